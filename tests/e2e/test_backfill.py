"""`tally backfill` and `tally reconcile` against the simulated bank's list API, with real
consumers storing what they publish."""

from __future__ import annotations

import json
import signal
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import requests

from service.bootstrap import Runtime
from service.settings import Settings
from tests.support.simulators import TEST_API_TOKEN, TEST_SIGNING_SECRET, SimulatorProcess, run_send_job, start_bank_sim
from tests.support.stack import BIN, AppProcess, settings_env, start_consumer, wait_until
from tests.support.stored import rows_by_id
from tests.support.users import LinkedUser, linked_user


@pytest.fixture(scope="module")
def consumers(test_settings: Settings, log_dir: Path) -> Iterator[list[AppProcess]]:
    apps = [start_consumer(test_settings, log_dir, f"repair-{i}") for i in (1, 2)]
    yield apps
    for app in apps:
        app.stop()


@pytest.fixture
def bank(ingest: AppProcess, runtime: Runtime, log_dir: Path) -> Iterator[tuple[SimulatorProcess, str]]:
    partner_id = f"listbank-{uuid.uuid4().hex[:6]}"
    sim = start_bank_sim(partner_id=partner_id, webhook_url=f"{ingest.url}/hook/transaction", log_dir=log_dir)
    runtime.partners().add(partner_id, partner_id, sim.url, TEST_API_TOKEN, TEST_SIGNING_SECRET)
    yield sim, partner_id
    sim.stop()


def _tally(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "tally"), *args], env=settings_env(settings), capture_output=True,
                          text=True, timeout=300)


def _count_rows(session, owner: LinkedUser, first: date, last: date) -> int:  # type: ignore[no-untyped-def]
    count = session.prepare("SELECT COUNT(*) FROM transactions_by_user_day WHERE user_id = ? AND day = ?")
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return sum(session.execute(count, (owner.user_id, day)).one()[0] for day in days)


def test_reconcile_finds_exactly_the_forgotten_webhooks_and_repair_fills_them(
        consumers: list[AppProcess], bank: tuple[SimulatorProcess, str], runtime: Runtime, session,  # type: ignore[no-untyped-def]
        test_settings: Settings) -> None:
    sim, partner_id = bank
    owner = linked_user(runtime, partner_id)
    requests.post(f"{sim.url}/sim/config", json={"forget_rate": 0.05}, timeout=5).raise_for_status()
    report = run_send_job(sim, timeout=120, accounts=[owner.account_number], count=2000, rate=50, batch_size=20)
    forgotten = set(report["transaction_ids_forgotten"])
    assert forgotten and report["gave_up"] == 0
    accepted = report["transactions_accepted"]
    today = datetime.now(UTC).date()
    first, last = (today - timedelta(days=1)).isoformat(), (today + timedelta(days=1)).isoformat()
    wait_until(lambda: _count_rows(session, owner, today - timedelta(days=1), today + timedelta(days=1)) == accepted,
               timeout=60, message="the delivered transactions stored")

    scope = ["--partner", partner_id, "--account", owner.account_number, "--from", first, "--to", last]
    found = _tally(test_settings, "reconcile", *scope, "--json")
    assert found.returncode == 1, found.stderr
    account = json.loads(found.stdout)["accounts"][0]
    assert set(account["missing"]) == forgotten
    assert account["extra"] == [] and account["differing"] == []
    assert account["bank"] == accepted + len(forgotten)

    repaired = _tally(test_settings, "reconcile", *scope, "--repair")
    assert repaired.returncode == 1, repaired.stderr
    assert f"{len(forgotten)} queued for repair" in repaired.stdout
    wait_until(lambda: len(rows_by_id(session, partner_id, forgotten)) == len(forgotten), timeout=60,
               message="the repaired transactions stored")

    clean = _tally(test_settings, "reconcile", *scope)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "0 missing, 0 extra, 0 differing" in clean.stdout


def test_backfill_killed_half_way_resumes_and_ends_with_exactly_50000_rows(
        consumers: list[AppProcess], bank: tuple[SimulatorProcess, str], runtime: Runtime, session,  # type: ignore[no-untyped-def]
        test_settings: Settings, log_dir: Path) -> None:
    sim, partner_id = bank
    owner = linked_user(runtime, partner_id)
    last = datetime.now(UTC).date() - timedelta(days=1)
    first = last - timedelta(days=29)
    generated = requests.post(f"{sim.url}/sim/accounts/{owner.account_number}/generate",
                              json={"count": 50_000, "from": first.isoformat(), "to": last.isoformat()}, timeout=60)
    assert generated.status_code == 201, generated.text
    command = [str(BIN / "tally"), "backfill", "--partner", partner_id, "--account", owner.account_number,
               "--from", first.isoformat(), "--to", last.isoformat()]
    env = settings_env(test_settings, TALLY_BACKFILL_MAX_ROWS_PER_SECOND="8000")

    def pages_served() -> int:
        return int(requests.get(f"{sim.url}/sim/stats", timeout=5).json().get("list_pages_served", 0))

    requests.post(f"{sim.url}/sim/stats/reset", timeout=5)
    with open(log_dir / "backfill-first.out", "w") as out:
        first_run = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        wait_until(lambda: pages_served() >= 50, timeout=120, message="half the pages")
        first_run.send_signal(signal.SIGKILL)
        first_run.wait(10)
    assert first_run.returncode == -signal.SIGKILL

    requests.post(f"{sim.url}/sim/stats/reset", timeout=5)
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed at page" in resumed.stdout
    assert pages_served() <= 55  # of 100 pages: the rest came from the checkpoint

    wait_until(lambda: _count_rows(session, owner, first, last) == 50_000, timeout=180, interval=2,
               message="50,000 rows stored")
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "50000 transactions in 100 pages" in again.stdout  # done: nothing to do
