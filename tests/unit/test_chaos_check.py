"""`tally chaos`: the verdict on each transaction from the rows stored (missing, duplicated,
wrong version, uncategorised, misowned), and the user API listing against the stored rows."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from chaos.check import (
    DUPLICATED,
    MISOWNED,
    MISSING,
    UNCATEGORISED,
    UNSENT,
    WRONG_VERSION,
    Expectation,
    Listed,
    StoredRow,
    check,
    compare_listing,
    expect,
    verdict,
)
from chaos.ledger import Send, SentLedger
from chaos.ownership import Ownership, Relink

A, B, C = "user-a", "user-b", "user-c"
SETTLED_AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def settled(owners: frozenset[str] = frozenset({A})) -> Expectation:
    return Expectation("tx1", "X", "settled", Decimal("-12.50"), SETTLED_AT, owners, delivered=True)


def row(user: str = A, status: str = "settled", amount: str = "-12.5", settled_at: datetime | None = SETTLED_AT,
        category: str | None = "groceries") -> StoredRow:
    return StoredRow(user, status, Decimal(amount), settled_at, category)


def test_a_transaction_stored_once_in_its_last_version_for_its_owner_is_right() -> None:
    assert verdict(settled(), [row(category=None)], [row()]) == {}  # by_id rows carry no category


def test_absent_from_either_table_is_missing() -> None:
    assert set(verdict(settled(), [], [row()])) == {MISSING}
    assert set(verdict(settled(), [row()], [])) == {MISSING}
    assert set(verdict(settled(), [], [])) == {MISSING}


def test_two_read_rows_for_one_user_are_a_duplicate() -> None:
    assert set(verdict(settled(), [row()], [row(), row()])) == {DUPLICATED}


def test_rows_with_two_users_are_duplicated_and_misowned_even_when_both_were_allowed() -> None:
    found = verdict(settled(frozenset({A, B})), [row(B)], [row(A), row(B)])
    assert set(found) == {DUPLICATED, MISOWNED}


def test_a_row_for_a_user_the_timeline_does_not_allow_is_misowned() -> None:
    assert set(verdict(settled(), [row(B)], [row(B)])) == {MISOWNED}


def test_the_two_tables_naming_different_users_is_misowned() -> None:
    assert set(verdict(settled(frozenset({A, B})), [row(B)], [row(A)])) == {MISOWNED}


def test_an_older_status_amount_or_settlement_time_is_the_wrong_version() -> None:
    assert set(verdict(settled(), [row(status="pending", settled_at=None)], [row()])) == {WRONG_VERSION}
    assert set(verdict(settled(), [row()], [row(amount="-11.00")])) == {WRONG_VERSION}
    later = datetime(2026, 12, 1, 10, 0, 1, tzinfo=UTC)
    assert set(verdict(settled(), [row(settled_at=later)], [row()])) == {WRONG_VERSION}


def test_amounts_compare_as_decimals_not_as_text() -> None:
    assert verdict(settled(), [row(amount="-12.500")], [row(amount="-12.50")]) == {}


def test_a_read_row_without_category_is_uncategorised() -> None:
    assert set(verdict(settled(), [row()], [row(category=None)])) == {UNCATEGORISED}


def test_a_last_version_the_bank_never_got_accepted_is_unsent() -> None:
    undelivered = Expectation("tx1", "X", "settled", Decimal("-12.50"), SETTLED_AT, frozenset({A}), delivered=False)
    assert UNSENT in verdict(undelivered, [row()], [row()])


def test_check_counts_each_kind_and_the_rows_of_ids_nobody_sent() -> None:
    expectations = [settled(), Expectation("tx2", "X", "pending", Decimal("3"), None, frozenset({A}), True)]
    result = check(expectations, by_id={"tx1": [row()], "ghost": [row()]}, by_day={"tx1": [row(), row()]})
    assert result.sent == 2 and result.stored == 0
    assert result.counts[DUPLICATED] == 1 and result.counts[MISSING] == 1
    assert result.unknown_rows == 1 and result.failed
    assert result.samples[MISSING][0]["transaction_id"] == "tx2"


def test_expect_takes_the_last_version_and_the_owners_of_all_its_sends() -> None:
    ledger = SentLedger()
    pending = {"transaction_id": "tx1", "account_number": "X", "status": "pending", "amount": "-10.00"}
    final = {**pending, "status": "settled", "amount": "-11.00", "settled_at": "2026-12-01T11:00:00+01:00"}
    ledger.add(Send("w1", [pending], ["new"], started=1.0, accepted=2.0))
    ledger.add(Send("w2", [final], ["settle"], started=30.0, accepted=31.0))
    ownership = Ownership({"X": A}, [Relink("X", A, B, started=10.0, answered=20.0)])
    [history] = ledger.histories()
    expected = expect(history, ownership)
    assert (expected.status, expected.amount, expected.settled_at) == ("settled", Decimal("-11.00"), SETTLED_AT)
    assert expected.owners == {A, B} and expected.delivered


def test_a_transaction_first_sent_after_the_link_answered_may_only_be_the_new_owners() -> None:
    """Stored when its first version is processed: never for an owner from before that send."""
    ledger = SentLedger()
    ledger.add(Send("w1", [{"transaction_id": "tx1", "account_number": "X", "status": "pending",
                            "amount": "-1.00"}], ["new"], started=25.0, accepted=26.0))
    ownership = Ownership({"X": A}, [Relink("X", A, B, started=10.0, answered=20.0),
                                     Relink("X", B, C, started=40.0, answered=50.0)])
    [history] = ledger.histories()
    assert expect(history, ownership).owners == {B, C}  # C: stored after the second move (it waited)


def test_a_listing_is_compared_with_the_users_stored_rows() -> None:
    stored = {"tx1": row(), "tx2": row(status="pending", amount="5", settled_at=None)}
    listed = [Listed("tx1", "settled", Decimal("-12.50")), Listed("tx1", "settled", Decimal("-12.50")),
              Listed("tx3", "pending", Decimal("1"))]
    assert compare_listing(listed, stored) == {"missing": ["tx2"], "extra": ["tx3"], "duplicated": ["tx1"],
                                               "differing": []}
    assert compare_listing([Listed("tx1", "pending", Decimal("-12.5"))], {"tx1": row()})["differing"] == ["tx1"]
