"""End-to-end fixtures: the real gunicorn instances started with the test settings, and per
test module two consumers, a simulated bank and an HTTP client of the api instance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.bootstrap import Runtime
from service.broker.topology import INGEST
from service.settings import Settings
from tests.support.api import HttpApi
from tests.support.bank import SimulatedBank, start_simulated_bank
from tests.support.queues import drain
from tests.support.stack import AppProcess, start_consumer, start_gunicorn


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


@pytest.fixture(scope="module")
def consumers(request: pytest.FixtureRequest, test_settings: Settings, log_dir: Path) -> Iterator[list[AppProcess]]:
    """Two consumers for the module (named after it), on an emptied tally.ingest."""
    drain(test_settings, INGEST)
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    apps = [start_consumer(test_settings, log_dir, f"{module}-{i}") for i in (1, 2)]
    yield apps
    for app in apps:
        app.stop()


@pytest.fixture(scope="module")
def bank(runtime: Runtime, log_dir: Path, ingest: AppProcess) -> Iterator[SimulatedBank]:
    """A partner whose bank is a running simulator sending to this session's ingest."""
    simulated = start_simulated_bank(runtime, log_dir, webhook_url=f"{ingest.url}/hook/transaction")
    yield simulated
    simulated.sim.stop()


@pytest.fixture(scope="module")
def http(api: AppProcess) -> HttpApi:
    assert api.url
    return HttpApi(api.url)


SCREENSHOTS = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def screenshots(request: pytest.FixtureRequest) -> list[str]:
    """Paths of the screenshots the browser tests saved, printed at the end of the run."""
    return request.config.stash.setdefault(SCREENSHOTS, [])


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    saved = config.stash.get(SCREENSHOTS, [])
    if saved:
        terminalreporter.write_sep("-", f"web app screenshots ({len(saved)})")
        for path in saved:
            terminalreporter.write_line(path)
