"""Cassandra paused (SIGSTOP) for longer than the broker's consumer_timeout: the consumers
hold, requeue and pause; once Cassandra resumes, the backlog lands and nothing is dead."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from service.bootstrap import Runtime
from service.broker.topology import DEAD, INGEST
from service.settings import Settings
from tests.support import webhooks
from tests.support.queues import drain, ready_count
from tests.support.servers import cassandra_paused
from tests.support.stack import AppProcess, running, start_consumer, wait_until
from tests.support.stored import rows_by_id
from tests.support.users import linked_user
from tests.support.webhooks import BankPartner, transaction

BROKER_CONSUMER_TIMEOUT = 60  # rabbitmq/rabbitmq.conf


def _send_like_a_bank(ingest: AppProcess, partner: BankPartner, batch: list[dict]) -> int:  # type: ignore[type-arg]
    """Posts, retrying 503 after Retry-After as partners do: a gunicorn worker that never saw
    this partner cannot verify it while Cassandra is down, the other worker can."""
    for _ in range(20):
        response = webhooks.post(ingest.url, partner, batch, timeout=30)
        if response.status_code != 503:
            return response.status_code
        assert response.headers["Retry-After"]
        time.sleep(0.5)
    return 503


@pytest.mark.disruptive
def test_backlog_lands_after_cassandra_paused_past_consumer_timeout(
        ingest: AppProcess, partner: BankPartner, runtime: Runtime, session,  # type: ignore[no-untyped-def]
        test_settings: Settings, log_dir: Path) -> None:
    drain(test_settings, INGEST)
    drain(test_settings, DEAD)
    owner = linked_user(runtime, partner.partner_id)
    consumer = start_consumer(test_settings, log_dir, "outage", TALLY_CONSUMER_HOLD_SECONDS="20")
    with running(consumer):
        before = [transaction(account_number=owner.account_number) for _ in range(50)]
        assert webhooks.post(ingest.url, partner, before).status_code == 202
        wait_until(lambda: len(rows_by_id(session, partner.partner_id, [t["transaction_id"] for t in before])) == 50)

        batches = [[transaction(account_number=owner.account_number) for _ in range(100)] for _ in range(8)]
        with cassandra_paused():
            paused_at = time.monotonic()
            statuses: list[int] = []
            senders = [threading.Thread(target=lambda b=b: statuses.append(_send_like_a_bank(ingest, partner, b)))
                       for b in batches]
            for s in senders:
                s.start()
            for s in senders:
                s.join()
            assert statuses == [202] * len(batches)  # ingestion goes on without the database
            time.sleep(max(0.0, BROKER_CONSUMER_TIMEOUT + 20 - (time.monotonic() - paused_at)))
        wait_until(lambda: runtime.check_cassandra()[0], timeout=60, message="Cassandra answering again")

        ids = [t["transaction_id"] for b in batches for t in b]
        wait_until(lambda: len(rows_by_id(session, partner.partner_id, ids)) == len(ids), timeout=120,
                   message="the backlog stored")
        assert ready_count(test_settings, DEAD) == 0
        log = (Path(test_settings.log_dir) / "consumer-outage.log").read_text()
        assert "requeueing held messages and pausing" in log
        assert "storage available again; consuming" in log
