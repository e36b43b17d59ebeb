"""JSON logs, one object per line, for every process (docs/operators.md).

Each process type writes `<TALLY_LOG_DIR>/<name>.log`, rotated by size. gunicorn workers of
one instance share a file, so rotation uses concurrent-log-handler's lock-protected handler
(the stdlib RotatingFileHandler corrupts files rotated by several processes). With an empty
TALLY_LOG_DIR (containers), lines go to stderr for the platform to collect.

Never log a password, token, secret, raw body or card number: callers pass ids only.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from concurrent_log_handler import ConcurrentRotatingFileHandler
from pythonjsonlogger.json import JsonFormatter

from service.settings import Settings

FORMAT = "{levelname}{name}{message}"
RENAME = {"levelname": "level", "name": "logger"}


def configure(settings: Settings, process: str, level: int = logging.INFO) -> Path | None:
    """Routes the root logger to the process's JSON log; returns the file (None: stderr)."""
    # "time": ISO 8601 in UTC, so `jq 'select(.time >= "2026-11-27T15:00")'` works across hosts.
    formatter = JsonFormatter(FORMAT, style="{", rename_fields=RENAME, timestamp="time",
                              static_fields={"process_type": process})
    path: Path | None = None
    handler: logging.Handler
    if settings.log_dir:
        path = Path(settings.log_dir) / f"{process}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = ConcurrentRotatingFileHandler(
            str(path), maxBytes=settings.log_max_bytes, backupCount=settings.log_backups,
            use_gzip=False, lock_file_directory=str(path.parent / ".locks"))
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # The driver logs every reconnect attempt at WARNING; keep its errors only.
    logging.getLogger("cassandra").setLevel(logging.ERROR)
    logging.getLogger("pid").setLevel(logging.WARNING)
    os.environ.setdefault("TALLY_PROCESS_TYPE", process)
    return path


def configure_cli(level: int = logging.WARNING) -> None:
    """Operator commands: warnings and errors as plain lines on stderr."""
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("cassandra").setLevel(logging.ERROR)
