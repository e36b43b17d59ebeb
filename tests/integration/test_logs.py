"""JSON logs rotate by size, and several processes can share one file (gunicorn workers)."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

from service import logs
from service.settings import Settings

WRITER = """
import logging, sys
from service import logs
from service.settings import Settings
logs.configure(Settings.from_env(log_dir=sys.argv[1], log_max_bytes=4000, log_backups=200), "shared")
for i in range(400):
    logging.getLogger("tally.test").info("line", extra={"writer": sys.argv[2], "i": i})
"""


def test_log_lines_are_json_and_rotate_by_size(tmp_path: Path) -> None:
    path = logs.configure(Settings.from_env(log_dir=str(tmp_path), log_max_bytes=2000, log_backups=2), "rotating")
    try:
        for i in range(200):
            logging.getLogger("tally.test").info("hello", extra={"i": i, "partner_id": "p1"})
    finally:
        for handler in logging.getLogger().handlers:
            handler.close()
        logging.getLogger().handlers.clear()
    assert path == tmp_path / "rotating.log"
    files = sorted(tmp_path.glob("rotating.log*"))
    assert [f.name for f in files] == ["rotating.log", "rotating.log.1", "rotating.log.2"]  # backups capped
    assert all(f.stat().st_size <= 2000 + 300 for f in files)
    last = json.loads(path.read_text().splitlines()[-1])
    assert last["i"] == 199 and last["partner_id"] == "p1" and last["level"] == "INFO" and "time" in last


def test_two_processes_share_a_rotating_file_without_losing_lines(tmp_path: Path) -> None:
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), name]) for name in ("a", "b")]
    assert [w.wait(60) for w in writers] == [0, 0]
    files = list(tmp_path.glob("shared.log*"))
    lines = [json.loads(line) for f in files for line in f.read_text().splitlines()]  # none torn
    assert len(files) > 10  # it rotated many times while both wrote
    for writer in ("a", "b"):
        assert sorted(line["i"] for line in lines if line["writer"] == writer) == list(range(400))
