"""The transaction pipeline against the real Cassandra: idempotence, the status order under
races, held accounts and the user's last transaction time."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.bootstrap import Runtime
from service.pipeline.deliveries import Delivery, decode
from service.pipeline.processor import TransactionPipeline
from service.repositories.held import HeldTransaction
from tests.support.stored import rows_by_id, rows_of_user
from tests.support.users import LinkedUser, linked_user, new_user
from tests.support.webhooks import body, transaction


def delivery(partner_id: str, txns: list[dict[str, Any]], received_at: datetime,
             webhook_id: str | None = None) -> Delivery:
    headers = {"partner_id": partner_id, "received_at": received_at.isoformat(), "request_id": uuid.uuid4().hex}
    if webhook_id:
        headers["webhook-id"] = webhook_id
    return decode(body(txns), headers)


def held_rows(runtime: Runtime, partner_id: str, account: str) -> list[HeldTransaction]:
    held = runtime.held()
    return [h for page in held.of_account(partner_id, account) for h in page]


def no_reject(held: HeldTransaction, why: str) -> None:
    raise AssertionError(f"{held.transaction_id} rejected: {why}")


@pytest.fixture
def pipeline(runtime: Runtime) -> TransactionPipeline:
    return runtime.build_pipeline()


@pytest.fixture
def owner(runtime: Runtime, partner) -> LinkedUser:  # type: ignore[no-untyped-def]
    return linked_user(runtime, partner.partner_id)


def _states(owner: LinkedUser, first: dict[str, Any], second: dict[str, Any]) -> tuple[Delivery, Delivery]:
    t0 = datetime.now(UTC)
    return (delivery(owner.partner_id, [first], t0), delivery(owner.partner_id, [second], t0 + timedelta(seconds=1)))


def _scenario(owner: LinkedUser, name: str) -> tuple[dict[str, Any], dict[str, Any], str, str | None]:
    """(first sent, sent later, expected status, expected settled_at) for one transaction."""
    tid = f"race-{uuid.uuid4().hex[:12]}"
    base = transaction(transaction_id=tid, account_number=owner.account_number)
    settled_a = dict(base, status="settled", settled_at="2026-11-20T10:00:00+00:00")
    settled_b = dict(base, status="settled", settled_at="2026-11-20T18:30:00+00:00")
    reversed_ = dict(base, status="reversed")
    return {
        "pending then settled": (base, settled_a, "settled", "2026-11-20 10:00:00"),
        "settled then pending": (settled_a, base, "settled", "2026-11-20 10:00:00"),
        "pending then reversed": (base, reversed_, "reversed", None),
        "same-day settle, new settled_at": (settled_a, settled_b, "settled", "2026-11-20 18:30:00"),
    }[name]


SCENARIOS = ["pending then settled", "settled then pending", "pending then reversed",
             "same-day settle, new settled_at"]


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("order", ["in order", "reversed order", "racing"])
def test_status_order_holds_whatever_the_arrival_order(name: str, order: str, runtime: Runtime, session,  # type: ignore[no-untyped-def]
                                                       owner: LinkedUser) -> None:
    first, second, status, settled_at = _scenario(owner, name)
    sent_first, sent_later = _states(owner, first, second)
    if order == "in order":
        runtime.build_pipeline().process([sent_first])
        runtime.build_pipeline().process([sent_later])
    elif order == "reversed order":  # the later message is consumed first (redelivery, two consumers)
        runtime.build_pipeline().process([sent_later])
        runtime.build_pipeline().process([sent_first])
    else:  # two consumers writing at the same moment
        barrier = threading.Barrier(2)
        pipelines = [runtime.build_pipeline(), runtime.build_pipeline()]

        def consume(p: TransactionPipeline, d: Delivery) -> None:
            barrier.wait()
            p.process([d])

        threads = [threading.Thread(target=consume, args=(p, d)) for p, d in zip(pipelines, (sent_first, sent_later),
                                                                                   strict=True)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    tid = first["transaction_id"]
    by_id = rows_by_id(session, owner.partner_id, [tid])[tid]
    day_rows = [r for r in rows_of_user(session, owner.user_id, [by_id.day.date()]) if r.transaction_id == tid]
    assert len(day_rows) == 1
    for row in (by_id, day_rows[0]):
        assert row.status == status
        assert (row.settled_at.strftime("%Y-%m-%d %H:%M:%S") if row.settled_at else None) == settled_at


def test_four_sends_of_100_transactions_store_100_rows(pipeline: TransactionPipeline, session,  # type: ignore[no-untyped-def]
                                                       owner: LinkedUser) -> None:
    txns = [transaction(account_number=owner.account_number) for _ in range(100)]
    now = datetime.now(UTC)
    for attempt in range(4):
        pipeline.process([delivery(owner.partner_id, txns, now + timedelta(seconds=attempt))])

    ids = [t["transaction_id"] for t in txns]
    assert len(rows_by_id(session, owner.partner_id, ids)) == 100
    days = {datetime.fromisoformat(t["authorized_at"]).astimezone(UTC).date() for t in txns}
    assert sorted(r.transaction_id for r in rows_of_user(session, owner.user_id, days)) == sorted(ids)


def test_last_transaction_at_never_moves_backwards(pipeline: TransactionPipeline, runtime: Runtime,
                                                   owner: LinkedUser) -> None:
    recent = datetime.now(UTC) - timedelta(minutes=5)
    old = recent - timedelta(days=90)
    pipeline.process([delivery(owner.partner_id, [transaction(account_number=owner.account_number,
                                                              authorized_at=recent.isoformat())], datetime.now(UTC))])
    pipeline.process([delivery(owner.partner_id, [transaction(account_number=owner.account_number,
                                                              authorized_at=old.isoformat())], datetime.now(UTC))])
    last = runtime.users().activity(owner.user_id).last_transaction_at
    assert last is not None and abs((last.replace(tzinfo=UTC) - recent).total_seconds()) < 0.01


def test_unlinked_account_is_held_then_drained_after_linking(pipeline: TransactionPipeline, runtime: Runtime,
                                                             session, partner) -> None:  # type: ignore[no-untyped-def]
    account = f"ACC-{uuid.uuid4().hex[:10]}"
    txns = [transaction(account_number=account) for _ in range(5)]
    outcome = pipeline.process([delivery(partner.partner_id, txns, datetime.now(UTC))])
    assert len(outcome.parked) == 5 and outcome.written == []
    assert len(held_rows(runtime, partner.partner_id, account)) == 5

    user_id, _, _ = new_user(runtime)
    runtime.accounts().claim(user_id, partner.partner_id, account, frozenset())
    drained = pipeline.drain(partner.partner_id, account, no_reject)

    assert sorted(r.transaction_id for r in drained.written) == sorted(t["transaction_id"] for t in txns)
    assert held_rows(runtime, partner.partner_id, account) == []
    stored = rows_by_id(session, partner.partner_id, [t["transaction_id"] for t in txns])
    assert {r.user_id for r in stored.values()} == {user_id} and len(stored) == 5


def test_no_transaction_is_lost_when_the_link_lands_during_parking(runtime: Runtime, session, partner) -> None:  # type: ignore[no-untyped-def]
    """Many rounds of: a consumer processes transactions of an unlinked account while, at the
    same moment, the account is linked and drained. Every transaction must end up stored."""
    rounds, per_round = 12, 20
    sent: list[str] = []
    users = {}
    for _ in range(rounds):
        account = f"ACC-{uuid.uuid4().hex[:10]}"
        user_id, _, _ = new_user(runtime)
        users[account] = user_id
        txns = [transaction(account_number=account) for _ in range(per_round)]
        sent.extend(t["transaction_id"] for t in txns)
        barrier = threading.Barrier(2)
        consumer, linker = runtime.build_pipeline(), runtime.build_pipeline()

        def consume(txns: list[dict[str, Any]] = txns, barrier: threading.Barrier = barrier,
                    consumer: TransactionPipeline = consumer) -> None:
            barrier.wait()
            consumer.process([delivery(partner.partner_id, txns, datetime.now(UTC))])

        def link(account: str = account, user_id: uuid.UUID = user_id, barrier: threading.Barrier = barrier,
                 linker: TransactionPipeline = linker) -> None:
            barrier.wait()
            runtime.accounts().claim(user_id, partner.partner_id, account, frozenset())
            linker.drain(partner.partner_id, account, no_reject)  # what the account_linked event triggers

        threads = [threading.Thread(target=consume), threading.Thread(target=link)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    stored = rows_by_id(session, partner.partner_id, sent)
    assert len(stored) == rounds * per_round
    assert all(held_rows(runtime, partner.partner_id, a) == [] for a in users)
