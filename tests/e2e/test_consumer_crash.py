"""A consumer killed between its Cassandra write and its acks loses and duplicates nothing."""

from __future__ import annotations

import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from service.bootstrap import Runtime
from service.broker.topology import INGEST
from service.settings import Settings
from tests.support import webhooks
from tests.support.queues import drain
from tests.support.stack import AppProcess, running, start_consumer, start_worker, wait_until
from tests.support.stored import rows_by_id, rows_of_user
from tests.support.users import linked_user
from tests.support.webhooks import BankPartner, transaction


def test_sigkilled_consumer_with_unacked_messages_stores_every_id_once(
        ingest: AppProcess, partner: BankPartner, runtime: Runtime, session, management,  # type: ignore[no-untyped-def]
        test_settings: Settings, log_dir: Path) -> None:
    drain(test_settings, INGEST)
    owner = linked_user(runtime, partner.partner_id)
    batches = [[transaction(account_number=owner.account_number) for _ in range(100)] for _ in range(10)]
    ids = [t["transaction_id"] for batch in batches for t in batch]

    # This consumer waits 30 s between its write and its acks (a subclass of the real worker).
    doomed = start_worker(test_settings, log_dir, "doomed", [sys.executable, "-m", "tests.support.slow_consumer"],
                          ACK_DELAY_SECONDS="30")
    try:
        for batch in batches:
            assert webhooks.post(ingest.url, partner, batch).status_code == 202
        wait_until(lambda: management.queue(INGEST).get("messages_unacknowledged", 0) > 0, timeout=30,
                   message="unacked messages held by the consumer")
        wait_until(lambda: rows_by_id(session, partner.partner_id, ids), message="a first write")
        assert management.queue(INGEST)["messages_unacknowledged"] > 0
    finally:
        doomed.signal(signal.SIGKILL)
        doomed.process.wait(10)

    with running(start_consumer(test_settings, log_dir, "survivor")):
        wait_until(lambda: len(rows_by_id(session, partner.partner_id, ids)) == len(ids), timeout=60,
                   message="every transaction stored")
        wait_until(lambda: management.queue(INGEST).get("messages", 1) == 0, timeout=30, message="an empty queue")

    days = {datetime.fromisoformat(t["authorized_at"]).astimezone(UTC).date() for b in batches for t in b}
    stored = [r.transaction_id for r in rows_of_user(session, owner.user_id, days)]
    assert sorted(stored) == sorted(ids)  # each exactly once
    assert len(rows_by_id(session, partner.partner_id, ids)) == 1000
