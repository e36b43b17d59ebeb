"""Prints `name==floor` for every dependency of setup.cfg that has a `>=` floor: the lowest
versions Tally says it works with, which the `wheel` test layer installs and runs."""

from __future__ import annotations

import configparser
import re
import sys
from pathlib import Path

REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(.*)$")


def floors(setup_cfg: Path) -> list[str]:
    config = configparser.ConfigParser()
    config.read(setup_cfg)
    pinned = []
    for line in config["options"]["install_requires"].splitlines():
        line = line.split("#", 1)[0].strip()
        match = REQUIREMENT.match(line)
        if not line or not match:
            continue
        floor = re.search(r">=\s*([0-9][^,;\s]*)", match.group(2))
        if floor:
            pinned.append(f"{match.group(1)}=={floor.group(1)}")
    return pinned


if __name__ == "__main__":
    print("\n".join(floors(Path(sys.argv[1]))))
