"""Cassandra killed with kill -9 (a crash, not a pause) and started again, once with a backlog
waiting in tally.ingest and once while a bank is sending: nothing is dead-lettered, every
transaction is stored exactly once, and while the database is down the api answers 503 with
Retry-After (never 500)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service.bootstrap import Runtime
from service.broker.topology import DEAD, INGEST
from service.settings import Settings
from tests.support import webhooks
from tests.support.api import HttpApi, new_session
from tests.support.queues import drain, ready_count
from tests.support.servers import cassandra_crashed
from tests.support.stack import AppProcess, running, start_consumer, wait_until
from tests.support.stored import rows_by_id, rows_of_user
from tests.support.users import linked_user
from tests.support.webhooks import BankPartner, transaction

Batch = list[dict[str, Any]]


def _send_like_a_bank(ingest: AppProcess, partner: BankPartner, batch: Batch) -> None:
    """Posts until accepted, as banks do: 5xx and connection errors are retried."""
    for _ in range(600):
        try:
            if webhooks.post(ingest.url, partner, batch, timeout=30).status_code == 202:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("a webhook was never accepted")


def _bank_sending(ingest: AppProcess, partner: BankPartner, batches: list[Batch],
                 per_second: float) -> threading.Thread:
    def send() -> None:
        for batch in batches:
            _send_like_a_bank(ingest, partner, batch)
            time.sleep(1 / per_second)

    sender = threading.Thread(target=send, name="bank", daemon=True)
    sender.start()
    return sender


def _stored_count(session: Any, partner_id: str, ids: list[str]) -> int:
    try:
        return len(rows_by_id(session, partner_id, ids))
    except Exception:  # noqa: BLE001 - the test's own session while the node is down
        return -1


def _api_is_unavailable_not_broken(api: AppProcess, email: str, token: str) -> None:
    http = HttpApi(api.url or "")
    for method, path, body, auth in (("POST", "/auth/login", {"email": email, "password": "correct horse battery"},
                                      None),
                                     ("GET", "/me", None, token), ("GET", "/me/transactions", None, token)):
        answer = http.call(method, path, json=body, token=auth)
        assert answer.status == 503, (path, answer.status, answer.body)
        assert answer.error() == "unavailable" and int(answer.headers["Retry-After"]) > 0


@pytest.mark.disruptive
def test_cassandra_killed_with_a_backlog_and_during_a_burst_dead_letters_nothing(
        ingest: AppProcess, api: AppProcess, partner: BankPartner, runtime: Runtime, session: Any,
        test_settings: Settings, log_dir: Path) -> None:
    drain(test_settings, INGEST)
    drain(test_settings, DEAD)
    owner = linked_user(runtime, partner.partner_id)
    _, email, token = new_session(HttpApi(api.url or ""))
    backlog = [[transaction(account_number=owner.account_number) for _ in range(100)] for _ in range(40)]
    burst = [[transaction(account_number=owner.account_number) for _ in range(100)] for _ in range(30)]
    ids = [t["transaction_id"] for batch in backlog + burst for t in batch]
    for batch in backlog:  # 4,000 transactions queued before any consumer runs
        assert webhooks.post(ingest.url, partner, batch).status_code == 202

    consumers = [start_consumer(test_settings, log_dir, f"crash-{i}") for i in (1, 2)]
    with running(consumers[0]), running(consumers[1]):
        wait_until(lambda: _stored_count(session, partner.partner_id, ids) >= 500, timeout=60,
                   message="the consumers into the backlog")
        with cassandra_crashed():  # 1: a crash with a backlog waiting
            _api_is_unavailable_not_broken(api, email, token)
            time.sleep(3)

        sender = _bank_sending(ingest, partner, burst, per_second=4)
        wait_until(lambda: _stored_count(session, partner.partner_id, ids) >= 4500, timeout=180,
                   message="the burst being stored")
        with cassandra_crashed():  # 2: a crash while the bank is sending
            time.sleep(3)
        sender.join(timeout=300)
        assert not sender.is_alive()

        wait_until(lambda: _stored_count(session, partner.partner_id, ids) == len(ids), timeout=240,
                   message="every transaction stored")
        assert ready_count(test_settings, DEAD) == 0
        assert all(c.alive() for c in consumers)

    days = {datetime.fromisoformat(t["authorized_at"]).astimezone(UTC).date() for b in backlog + burst for t in b}
    stored = [r.transaction_id for r in rows_of_user(session, owner.user_id, days)]
    assert sorted(stored) == sorted(ids)  # each exactly once in the read path too
