"""The merchant-lookup layer under failure: with the API down during a burst, ingestion and
storage go on at full speed with the lower layers and the breaker opens; once the API is back,
`tally enrich` upgrades those rows to merchant_api."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from service.bootstrap import Runtime
from service.broker.management import Management
from service.broker.topology import ENRICH
from service.settings import Settings
from tests.support.simulators import (
    TEST_MERCHANT_KEY,
    TEST_SIGNING_SECRET,
    SimulatorProcess,
    ledger_ids,
    run_send_job,
    start_bank_sim,
    start_merchant_sim,
)
from tests.support.stack import BIN, AppProcess, free_port, settings_env, start_consumer, start_process, wait_until
from tests.support.stored import rows_by_id, rows_of_user
from tests.support.users import LinkedUser, linked_user

LOWER = {"mcc", "description", "fallback"}


@pytest.fixture(scope="module")
def merchant_api(log_dir: Path) -> Iterator[SimulatorProcess]:
    sim = start_merchant_sim(latency_ms=5, log_dir=log_dir)
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def lookup_settings(test_settings: Settings, merchant_api: SimulatorProcess) -> Settings:
    return test_settings.replace(merchant_api_url=merchant_api.url, merchant_api_key=TEST_MERCHANT_KEY,
                                 merchant_breaker_failures=3, merchant_breaker_reset=2.0,
                                 merchant_batch_deadline=1.0, consumer_hold_seconds=4)


@pytest.fixture(scope="module")
def workers(lookup_settings: Settings, log_dir: Path) -> Iterator[list[AppProcess]]:
    apps = [start_consumer(lookup_settings, log_dir, f"lookup-{i}") for i in (1, 2)]
    port = free_port()
    apps.append(start_process(f"enrich-{port}", [str(BIN / "tally"), "enrich", "--name", "e2e",
                                                 "--metrics-port", str(port)],
                              settings_env(lookup_settings), log_dir, ready_url=f"http://127.0.0.1:{port}/livez"))
    yield apps
    for app in apps:
        app.stop()


@pytest.fixture(scope="module")
def bank(ingest: AppProcess, runtime: Runtime, log_dir: Path) -> Iterator[tuple[SimulatorProcess, str]]:
    partner_id = f"simbank-{uuid.uuid4().hex[:6]}"
    runtime.partners().add(partner_id, partner_id, None, None, TEST_SIGNING_SECRET)
    sim = start_bank_sim(partner_id=partner_id, webhook_url=f"{ingest.url}/hook/transaction", log_dir=log_dir,
                         args=["--seed", str(uuid.uuid4().int % 10_000)])
    yield sim, partner_id
    sim.stop()


def _faults(api: SimulatorProcess, **faults: object) -> None:
    assert requests.post(f"{api.url}/admin/faults", json=faults, timeout=5).ok


def _rows(session, owner: LinkedUser, ids: set[str], partner_id: str) -> list:  # type: ignore[no-untyped-def, type-arg]
    days = {r.day.date() for r in rows_by_id(session, partner_id, ids).values()}
    return [r for r in rows_of_user(session, owner.user_id, days) if r.transaction_id in ids]


def _sources(session, owner: LinkedUser, ids: set[str], partner_id: str) -> Counter[str]:  # type: ignore[no-untyped-def]
    return Counter(r.category_source for r in _rows(session, owner, ids, partner_id))


def _enrich_queue_done(management: Management, timeout: float = 120.0) -> None:
    """Every tally.enrich message acked: none ready, none held by the worker, twice in a row
    (the management API's counts lag by a second). A "no change for a few seconds" wait was
    shorter than the worker's hold-and-retry while the breaker closes again, so it stopped early."""
    deadline = time.monotonic() + timeout
    empty_since: float | None = None
    while empty_since is None or time.monotonic() - empty_since < 2.0:
        assert time.monotonic() < deadline, f"tally.enrich not done after {timeout}s: {management.queue(ENRICH)}"
        empty = management.queue(ENRICH).get("messages", 1) == 0
        empty_since = (empty_since or time.monotonic()) if empty else None
        time.sleep(0.5)


def test_api_outage_during_a_burst_then_re_enrichment(
        workers: list[AppProcess], merchant_api: SimulatorProcess, bank: tuple[SimulatorProcess, str],
        runtime: Runtime, session, management: Management) -> None:  # type: ignore[no-untyped-def]
    sim, partner_id = bank
    owner = linked_user(runtime, partner_id)
    _faults(merchant_api, outage=True)
    requests.post(f"{merchant_api.url}/admin/stats/reset", timeout=5)

    report = run_send_job(sim, timeout=90, accounts=[owner.account_number], count=2000, rate=20, batch_size=100)
    assert report["gave_up"] == 0 and report["transactions_accepted"] == 2000  # ingestion unaffected
    ids = ledger_ids(sim, owner.account_number)
    wait_until(lambda: len(rows_by_id(session, partner_id, ids)) == len(ids), timeout=60, message="all rows stored")

    before = _sources(session, owner, ids, partner_id)
    assert sum(before.values()) == len(ids)
    assert set(before) <= LOWER  # written with the lower layers while the API was down
    failed_calls = requests.get(f"{merchant_api.url}/admin/stats", timeout=5).json()["by_outcome"].get("outage", 0)
    merchants = {r.merchant_key for r in _rows(session, owner, ids, partner_id)}
    # The breaker opened: per consumer a few failures, then no calls until a half-open probe,
    # so far fewer calls reached the API than there were merchants to look up.
    assert 0 < failed_calls < len(merchants)

    _faults(merchant_api, outage=False)
    # Most rows are upgraded (waited for as such: on a loaded machine the worker's pauses while
    # the breaker closes again can outlast any quiet spell), then the queue is done.
    wait_until(lambda: _sources(session, owner, ids, partner_id)["merchant_api"] > len(ids) // 2, timeout=180,
               message="re-enrichment of most rows")
    _enrich_queue_done(management)
    after = _sources(session, owner, ids, partner_id)
    assert sum(after.values()) == len(ids)
    assert after["merchant_api"] > len(ids) // 2
    # What stayed on a lower layer is exactly what the API cannot answer: unknown merchants
    # (cached as not found) or categories Tally does not map.
    lower = {r.merchant_key for r in _rows(session, owner, ids, partner_id) if r.category_source in LOWER}
    cache = session.prepare("SELECT found, category, api_category FROM merchants WHERE merchant_key = ?")
    for key in lower:
        row = session.execute(cache, (key,)).one()
        assert row is not None and (not row.found or row.category is None), key
