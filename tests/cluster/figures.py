"""The cluster layer's figures (boot times, outage windows, the consistency check): each test
records what it measured; conftest prints them after the run and writes them as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

FIGURES: dict[str, Any] = {}


def say(line: str) -> None:
    print(f"cluster [{datetime.now(UTC):%H:%M:%S}] {line}", flush=True)


def record(name: str, value: Any) -> None:
    FIGURES[name] = value
    say(f"{name}: {json.dumps(value)}")
