"""The version a bank produced last wins, whatever order versions arrive in, and one transaction
id is one row: the pipeline against the real Cassandra."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.bootstrap import Runtime
from tests.integration.test_pipeline import delivery, held_rows, no_reject
from tests.support.stored import rows_by_id, rows_of_user
from tests.support.users import LinkedUser, linked_user, new_user
from tests.support.webhooks import transaction


@pytest.fixture
def owner(runtime: Runtime, partner) -> LinkedUser:  # type: ignore[no-untyped-def]
    return linked_user(runtime, partner.partner_id)


def _stored(session: Any, partner_id: str, tid: str) -> tuple[Any, list[Any]]:
    """The transactions_by_id row and every transactions_by_user_day row of the transaction."""
    by_id = rows_by_id(session, partner_id, [tid])[tid]
    days = {by_id.day.date() + timedelta(days=d) for d in (-2, -1, 0, 1, 2)}
    return by_id, [r for r in rows_of_user(session, by_id.user_id, days) if r.transaction_id == tid]


def test_a_late_retry_of_an_older_version_does_not_roll_back_the_amount(
        runtime: Runtime, session, owner: LinkedUser) -> None:  # type: ignore[no-untyped-def]
    """The bank sends v1 (-10.00) as webhook w1, then v2 (-20.00) as w2; its retry of w1 (same
    webhook-id, re-signed) arrives last. Tally keeps -20.00."""
    base = transaction(account_number=owner.account_number, amount="-10.00")
    corrected = dict(base, amount="-20.00")
    t0 = datetime.now(UTC)
    pipeline = runtime.build_pipeline()
    pipeline.process([delivery(owner.partner_id, [base], t0, webhook_id="w1-" + base["transaction_id"])])
    pipeline.process([delivery(owner.partner_id, [corrected], t0 + timedelta(seconds=5),
                               webhook_id="w2-" + base["transaction_id"])])
    pipeline.process([delivery(owner.partner_id, [base], t0 + timedelta(seconds=30),
                               webhook_id="w1-" + base["transaction_id"])])  # the late retry

    by_id, day_rows = _stored(session, owner.partner_id, base["transaction_id"])
    assert str(by_id.amount) == "-20.00"
    assert [str(r.amount) for r in day_rows] == ["-20.00"]


def test_a_replayed_capture_arriving_first_in_a_new_consumer_still_loses(
        runtime: Runtime, session, owner: LinkedUser) -> None:  # type: ignore[no-untyped-def]
    """Two consumers: the replay of w1 is handled by a fresh pipeline (no memory of w1) after w2."""
    base = transaction(account_number=owner.account_number, amount="-10.00")
    t0 = datetime.now(UTC)
    replayed = "cap-1-" + base["transaction_id"]
    runtime.build_pipeline().process([delivery(owner.partner_id, [base], t0, webhook_id=replayed)])
    runtime.build_pipeline().process([delivery(owner.partner_id, [dict(base, amount="-20.00")],
                                              t0 + timedelta(seconds=1), webhook_id="cap-2-" + base["transaction_id"])])
    runtime.build_pipeline().process([delivery(owner.partner_id, [base], t0 + timedelta(minutes=4),
                                              webhook_id=replayed)])
    by_id, _ = _stored(session, owner.partner_id, base["transaction_id"])
    assert str(by_id.amount) == "-20.00"


def test_updated_at_orders_versions_when_the_bank_sends_it(runtime: Runtime, session,  # type: ignore[no-untyped-def]
                                                           owner: LinkedUser) -> None:
    """The bank's own version time wins over arrival: v2 (updated 10:05) sent in a first webhook
    and v1 (updated 10:00) in a later one keep v2."""
    now = datetime.now(UTC).replace(microsecond=0)
    base = transaction(account_number=owner.account_number, amount="-10.00",
                       updated_at=(now - timedelta(minutes=10)).isoformat())
    newer = dict(base, amount="-20.00", updated_at=(now - timedelta(minutes=5)).isoformat())
    pipeline = runtime.build_pipeline()
    pipeline.process([delivery(owner.partner_id, [newer], now, webhook_id=f"u2-{uuid.uuid4().hex}")])
    pipeline.process([delivery(owner.partner_id, [base], now + timedelta(seconds=5),
                               webhook_id=f"u1-{uuid.uuid4().hex}")])
    by_id, day_rows = _stored(session, owner.partner_id, base["transaction_id"])
    assert str(by_id.amount) == "-20.00" and [str(r.amount) for r in day_rows] == ["-20.00"]


def test_a_new_authorized_at_updates_the_one_row_in_place(runtime: Runtime, session,  # type: ignore[no-untyped-def]
                                                          owner: LinkedUser) -> None:
    """The same transaction id sent again with another authorized_at (two days later) stays one
    row, where the first version put it, with the newer facts."""
    first_at = datetime.now(UTC) - timedelta(days=3)
    base = transaction(account_number=owner.account_number, authorized_at=first_at.isoformat())
    moved = dict(base, status="settled", settled_at=datetime.now(UTC).isoformat(),
                 authorized_at=(first_at + timedelta(days=2)).isoformat())
    t0 = datetime.now(UTC)
    pipeline = runtime.build_pipeline()
    pipeline.process([delivery(owner.partner_id, [base], t0)])
    pipeline.process([delivery(owner.partner_id, [moved], t0 + timedelta(seconds=1))])

    by_id, _ = _stored(session, owner.partner_id, base["transaction_id"])
    rows = [r for r in rows_of_user(session, owner.user_id, [first_at.date() + timedelta(days=d) for d in range(4)])
            if r.transaction_id == base["transaction_id"]]
    assert len(rows) == 1
    assert rows[0].day.date() == first_at.date() == by_id.day.date()
    assert rows[0].status == "settled" == by_id.status


def test_both_versions_in_one_batch_with_different_authorized_at_make_one_row(
        runtime: Runtime, session, owner: LinkedUser) -> None:  # type: ignore[no-untyped-def]
    first_at = datetime.now(UTC) - timedelta(days=5)
    base = transaction(account_number=owner.account_number, authorized_at=first_at.isoformat())
    moved = dict(base, amount="-99.00", authorized_at=(first_at + timedelta(days=1)).isoformat())
    t0 = datetime.now(UTC)
    runtime.build_pipeline().process([delivery(owner.partner_id, [moved], t0 + timedelta(seconds=1)),
                                     delivery(owner.partner_id, [base], t0)])
    rows = [r for r in rows_of_user(session, owner.user_id, [first_at.date(), first_at.date() + timedelta(days=1)])
            if r.transaction_id == base["transaction_id"]]
    assert len(rows) == 1 and rows[0].day.date() == first_at.date()  # the first version placed it
    assert str(rows[0].amount) == "-99.00"  # the later version's facts


def test_a_new_version_after_the_account_moved_stays_with_its_first_owner(
        runtime: Runtime, session, owner: LinkedUser) -> None:  # type: ignore[no-untyped-def]
    """A pending written to A; A unlinks, B links; the settled version updates A's row: never a
    second row in B's list."""
    base = transaction(account_number=owner.account_number)
    t0 = datetime.now(UTC)
    runtime.build_pipeline().process([delivery(owner.partner_id, [base], t0)])
    accounts = runtime.accounts()
    assert accounts.release(owner.user_id, owner.partner_id, owner.account_number)
    other, _, _ = new_user(runtime)
    accounts.claim(other, owner.partner_id, owner.account_number, frozenset())
    runtime.build_pipeline().process([delivery(owner.partner_id, [dict(base, status="reversed")],
                                              t0 + timedelta(seconds=1))])

    by_id, day_rows = _stored(session, owner.partner_id, base["transaction_id"])
    assert by_id.user_id == owner.user_id and by_id.status == "reversed"
    assert [r.status for r in day_rows] == ["reversed"]
    day = by_id.day.date()
    assert [r for r in rows_of_user(session, other, [day]) if r.transaction_id == base["transaction_id"]] == []


def test_an_older_version_parked_after_a_newer_one_does_not_replace_it(
        runtime: Runtime, session, partner) -> None:  # type: ignore[no-untyped-def]
    account = f"ACC-{uuid.uuid4().hex[:10]}"
    base = transaction(account_number=account, amount="-10.00")
    t0 = datetime.now(UTC)
    pipeline = runtime.build_pipeline()
    pipeline.process([delivery(partner.partner_id, [base], t0, webhook_id=f"h1-{base['transaction_id']}")])
    pipeline.process([delivery(partner.partner_id, [dict(base, amount="-20.00")], t0 + timedelta(seconds=1),
                               webhook_id=f"h2-{base['transaction_id']}")])
    pipeline.process([delivery(partner.partner_id, [base], t0 + timedelta(seconds=9),
                               webhook_id=f"h1-{base['transaction_id']}")])  # a late retry, still unlinked
    assert len(held_rows(runtime, partner.partner_id, account)) == 1

    user_id, _, _ = new_user(runtime)
    runtime.accounts().claim(user_id, partner.partner_id, account, frozenset())
    pipeline.drain(partner.partner_id, account, no_reject)
    by_id, _ = _stored(session, partner.partner_id, base["transaction_id"])
    assert str(by_id.amount) == "-20.00" and by_id.user_id == user_id
    assert held_rows(runtime, partner.partner_id, account) == []
