"""End-to-end fixtures: the real gunicorn instances, started with the test settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.settings import Settings
from tests.support.stack import AppProcess, start_gunicorn


@pytest.fixture(scope="session")
def ingest(test_settings: Settings, log_dir: Path) -> Iterator[AppProcess]:
    app = start_gunicorn("ingest", test_settings, log_dir)
    yield app
    app.stop()


@pytest.fixture(scope="session")
def api(test_settings: Settings, log_dir: Path) -> Iterator[AppProcess]:
    app = start_gunicorn("api", test_settings, log_dir)
    yield app
    app.stop()
