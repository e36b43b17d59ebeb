"""Webhooks through gunicorn, RabbitMQ and two real consumer processes into Cassandra."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from service.bootstrap import Runtime
from service.broker import topology
from service.broker.connection import broker_connection, ensure_connected
from service.broker.publisher import PublisherPool
from service.settings import Settings
from tests.support import webhooks
from tests.support.metrics import acked
from tests.support.queues import drain
from tests.support.stack import BIN, AppProcess, settings_env, wait_until
from tests.support.stored import rows_by_id, rows_of_user
from tests.support.users import linked_user, new_user
from tests.support.webhooks import BankPartner, transaction


def _tally(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "tally"), *args], env=settings_env(settings), capture_output=True,
                          text=True, timeout=120)


def _day(txn: dict) -> object:  # type: ignore[type-arg]
    return datetime.fromisoformat(txn["authorized_at"]).astimezone(UTC).date()


def test_100_transactions_sent_four_times_are_100_rows_in_each_table(
        ingest: AppProcess, consumers: list[AppProcess], partner: BankPartner, runtime: Runtime, session) -> None:  # type: ignore[no-untyped-def]
    owner = linked_user(runtime, partner.partner_id)
    txns = [transaction(account_number=owner.account_number) for _ in range(100)]
    same_id = f"wh-{uuid.uuid4().hex}"
    for webhook_id in (same_id, same_id, None, None):  # a retry, then two new webhook-ids
        assert webhooks.post(ingest.url, partner, txns, webhook_id=webhook_id).status_code == 202
    ids = [t["transaction_id"] for t in txns]

    wait_until(lambda: len(rows_by_id(session, partner.partner_id, ids)) == 100, message="100 rows by id")
    wait_until(lambda: drain_empty(runtime.settings), message="an empty ingest queue")
    assert len(rows_by_id(session, partner.partner_id, ids)) == 100
    rows = rows_of_user(session, owner.user_id, {_day(t) for t in txns})
    assert sorted(r.transaction_id for r in rows) == sorted(ids)
    assert all(r.category and r.category_source and r.category_confidence is not None for r in rows)


def drain_empty(settings: Settings) -> bool:
    from tests.support.queues import ready_count
    return ready_count(settings, topology.INGEST) == 0


def test_two_consumers_racing_keep_the_status_order(
        ingest: AppProcess, consumers: list[AppProcess], partner: BankPartner, runtime: Runtime, session,  # type: ignore[no-untyped-def]
        test_settings: Settings) -> None:
    owner = linked_user(runtime, partner.partner_id)
    ports = [app.port for app in consumers]
    before = acked(ports, topology.INGEST)
    expected = {}
    for _ in range(10):
        base = transaction(account_number=owner.account_number)
        settled = dict(base, status="settled", settled_at="2026-11-20T10:00:00+00:00")
        later_settle = dict(settled, settled_at="2026-11-20T19:00:00+00:00")
        pairs = {"pending→settled": (base, settled, "settled"),
                 "settled→pending": (settled, base, "settled"),
                 "pending→reversed": (base, dict(base, status="reversed"), "reversed"),
                 "settle→resettle": (settled, later_settle, "settled")}
        for name, (state_a, state_b, status) in pairs.items():
            tid = f"{name[:4]}-{uuid.uuid4().hex[:10]}"
            first, second = dict(state_a, transaction_id=tid), dict(state_b, transaction_id=tid)
            # two messages back to back: the broker hands them to the two consumers in turn
            assert webhooks.post(ingest.url, partner, [first]).status_code == 202
            assert webhooks.post(ingest.url, partner, [second]).status_code == 202
            expected[tid] = (status, second.get("settled_at") if name == "settle→resettle" else
                             ("2026-11-20T10:00:00+00:00" if status == "settled" else None))

    # every message written and acked, not just the first of each pair (the queue's ready count
    # is 0 while the second is still in a consumer's batch)
    wait_until(lambda: acked(ports, topology.INGEST) - before >= 2 * len(expected), message="every message acked")
    stored = rows_by_id(session, partner.partner_id, expected)
    days = {r.day.date() for r in stored.values()}
    day_rows = {r.transaction_id: r for r in rows_of_user(session, owner.user_id, days)}
    assert len(day_rows) == len(expected)
    for tid, (status, settled_at) in expected.items():
        for row in (stored[tid], day_rows[tid]):
            assert row.status == status, tid
            want = datetime.fromisoformat(settled_at).replace(tzinfo=None) if settled_at else None
            assert row.settled_at == want, tid
    # both consumers took part
    writers = [app for app in consumers if _stored_ids(test_settings, app) & set(expected)]
    assert len(writers) == 2


def _stored_ids(settings: Settings, app: AppProcess) -> set[str]:
    name = app.name.rsplit("-", 1)[0]  # consumer-e2e-1
    path = Path(settings.log_dir) / f"{name}.log"
    ids = set()
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if entry.get("message") == "transaction stored":
            ids.add(entry["transaction_id"])
    return ids


def test_disabled_partner_dead_letters_then_replay_stores(
        ingest: AppProcess, consumers: list[AppProcess], partner: BankPartner, runtime: Runtime, session,  # type: ignore[no-untyped-def]
        test_settings: Settings) -> None:
    owner = linked_user(runtime, partner.partner_id)
    txns = [transaction(account_number=owner.account_number) for _ in range(3)]
    drain(test_settings, topology.DEAD)
    for c in consumers:  # queued while enabled, consumed after the partner was disabled
        c.signal(19)  # SIGSTOP
    try:
        assert webhooks.post(ingest.url, partner, txns).status_code == 202
        assert _tally(test_settings, "partner", "disable", partner.partner_id).returncode == 0
    finally:
        for c in consumers:
            c.signal(18)  # SIGCONT
    dead = wait_until(lambda: _peek_dead(test_settings), message="a dead letter")
    assert dead["x-tally-reason"] == "partner_disabled" and dead["x-tally-queue"] == topology.INGEST
    assert rows_by_id(session, partner.partner_id, [t["transaction_id"] for t in txns]) == {}

    assert _tally(test_settings, "partner", "enable", partner.partner_id).returncode == 0
    time.sleep(test_settings.partner_cache_seconds + 0.3)  # consumers see the partner enabled
    run = _tally(test_settings, "replay-dead-letters", "--reason", "partner_disabled")
    assert run.returncode == 0, run.stderr
    assert "replayed 1 (partner_disabled)" in run.stdout
    ids = [t["transaction_id"] for t in txns]
    wait_until(lambda: len(rows_by_id(session, partner.partner_id, ids)) == 3, message="replayed rows")


def _peek_dead(settings: Settings) -> dict | None:  # type: ignore[type-arg]
    """Headers of the first message in tally.dead, left in place."""
    with broker_connection(settings.amqp_url) as connection:
        message = topology.queue(topology.DEAD)(ensure_connected(connection).default_channel).get(no_ack=False)
        if message is None:
            return None
        headers = dict(message.headers)
        message.requeue()
        return headers


def test_corrupt_body_is_dead_lettered_once_as_decode_error(
        consumers: list[AppProcess], test_settings: Settings, partner: BankPartner) -> None:
    drain(test_settings, topology.DEAD)
    pool = PublisherPool(test_settings, 1)
    try:
        pool.publish(b'{"transactions": [ {"broken', topology.INGEST, message_id=uuid.uuid4().hex,
                     headers={"partner_id": partner.partner_id, "received_at": datetime.now(UTC).isoformat()})
    finally:
        pool.close()
    dead = wait_until(lambda: drain(test_settings, topology.DEAD), message="the dead letter")
    assert len(dead) == 1
    assert dead[0].headers["x-tally-reason"] == "decode_error"
    assert "not valid JSON" in dead[0].headers["x-tally-error"]
    assert dead[0].headers["x-tally-queue"] == topology.INGEST
    wait_until(lambda: drain_empty(test_settings), message="an empty ingest queue")  # no redelivery loop


def test_unlinked_account_is_held_and_appears_after_link_account(
        ingest: AppProcess, consumers: list[AppProcess], partner: BankPartner, runtime: Runtime, session,  # type: ignore[no-untyped-def]
        test_settings: Settings) -> None:
    account = f"ACC-{uuid.uuid4().hex[:10]}"
    txns = [transaction(account_number=account) for _ in range(20)]
    assert webhooks.post(ingest.url, partner, txns).status_code == 202
    ids = [t["transaction_id"] for t in txns]
    held = session.prepare("SELECT COUNT(*) FROM held_by_account WHERE partner_id = ? AND account_number = ?")
    wait_until(lambda: session.execute(held, (partner.partner_id, account)).one()[0] == 20, message="held rows")
    assert rows_by_id(session, partner.partner_id, ids) == {}

    _, email, _ = new_user(runtime)
    run = _tally(test_settings, "link-account", "--email", email, "--partner", partner.partner_id,
                 "--account", account, "--card", "card-1")
    assert run.returncode == 0, run.stderr

    wait_until(lambda: len(rows_by_id(session, partner.partner_id, ids)) == 20, message="drained rows")
    wait_until(lambda: session.execute(held, (partner.partner_id, account)).one()[0] == 0, message="no held rows")
