"""Reading the JSON log lines an app process wrote (one object per line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def lines_of(log_file: Path, request_id: str) -> list[dict[str, Any]]:
    """Every line of `log_file` (and its rotated copies) about one request."""
    found = []
    for path in sorted(log_file.parent.glob(f"{log_file.name}*")):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            if entry.get("request_id") == request_id:
                found.append(entry)
    return found


def reasons_of(log_file: Path, request_id: str) -> list[dict[str, Any]]:
    """The lines that say why a request failed (those with a `reason`)."""
    return [entry for entry in lines_of(log_file, request_id) if entry.get("reason")]
