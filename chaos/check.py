"""The verdict on every transaction the bank sent, from the rows Tally stored (pure logic).

A transaction is right when it is present exactly once in `transactions_by_id` and in
`transactions_by_user_day`, both rows carry the bank's last version (status, amount,
settled_at), the read row has a category, and both name one user its account's ownership
timeline allows (chaos.ownership). Each failed condition is one finding kind; a transaction
can have several (a duplicated row is often also misowned).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from chaos.ledger import History
from chaos.ownership import Ownership

MISSING = "missing"
DUPLICATED = "duplicated"
WRONG_VERSION = "wrong_version"
UNCATEGORISED = "uncategorised"
MISOWNED = "misowned"
UNSENT = "unsent"  # the bank never got a 2xx for its last version: the campaign's own failure
KINDS = (MISSING, DUPLICATED, WRONG_VERSION, UNCATEGORISED, MISOWNED, UNSENT)
SAMPLES = 20  # transactions shown per finding kind


@dataclass(frozen=True)
class StoredRow:
    """One stored row of a transaction, from either table (by_id rows have no category)."""

    user_id: str
    status: str | None
    amount: Decimal | None
    settled_at: datetime | None  # UTC
    category: str | None = None
    day: date | None = None


@dataclass(frozen=True)
class Expectation:
    transaction_id: str
    account_number: str
    status: str
    amount: Decimal
    settled_at: datetime | None
    owners: frozenset[str]
    delivered: bool


def expect(history: History, ownership: Ownership) -> Expectation:
    """What must be stored for a transaction: its last version, owned as its sends allow."""
    last = history.last
    return Expectation(
        transaction_id=history.transaction_id, account_number=history.account_number, status=last["status"],
        amount=Decimal(last["amount"]), settled_at=parse_instant(last.get("settled_at")),
        owners=ownership.owners_during(history.account_number, [(min(start for start, _ in history.windows()),
                                                                  math.inf)]),
        delivered=history.delivered)


def parse_instant(text: str | None) -> datetime | None:
    return None if not text else datetime.fromisoformat(text).astimezone(UTC)


def verdict(expected: Expectation, by_id: list[StoredRow], by_day: list[StoredRow]) -> dict[str, str]:
    """Finding kind → what is wrong, for one transaction; empty when it is right."""
    found: dict[str, str] = {}
    if not expected.delivered:
        found[UNSENT] = "the bank never got a 2xx for its last version"
    if not by_id or not by_day:
        found[MISSING] = f"{len(by_id)} row(s) in transactions_by_id, {len(by_day)} in transactions_by_user_day"
    if len(by_id) > 1 or len(by_day) > 1:
        found[DUPLICATED] = f"{len(by_day)} rows in transactions_by_user_day (users {_users(by_day)})"
    wrong = [_difference(expected, row) for row in (*by_id, *by_day)]
    if any(wrong):
        found[WRONG_VERSION] = "; ".join(w for w in wrong if w)
    if any(row.category is None for row in by_day):
        found[UNCATEGORISED] = "a transactions_by_user_day row has no category"
    stored_users = {row.user_id for row in (*by_id, *by_day)}
    if stored_users - expected.owners or len(stored_users) > 1:
        found[MISOWNED] = (f"transactions_by_id: user(s) {_users(by_id)}; transactions_by_user_day: user(s) "
                           f"{_users(by_day)}; may be owned by {', '.join(sorted(expected.owners))} "
                           f"(account {expected.account_number})")
    return found


def _difference(expected: Expectation, row: StoredRow) -> str:
    differences = [f"{name} {stored!r} instead of {wanted!r}" for name, stored, wanted in (
        ("status", row.status, expected.status), ("amount", row.amount, expected.amount),
        ("settled_at", row.settled_at, expected.settled_at)) if stored != wanted]
    return ", ".join(differences)


def _users(rows: Iterable[StoredRow]) -> str:
    return ", ".join(sorted(row.user_id for row in rows))


@dataclass
class CheckResult:
    sent: int = 0
    stored: int = 0  # present exactly once in both tables
    counts: Counter[str] = field(default_factory=Counter)
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ids: dict[str, list[str]] = field(default_factory=dict)  # every transaction of each finding kind
    unknown_rows: int = 0  # rows of transaction ids the bank never sent

    @property
    def failed(self) -> bool:
        return any(self.counts[kind] for kind in KINDS) or self.unknown_rows > 0


def check(expectations: Iterable[Expectation], by_id: dict[str, list[StoredRow]],
          by_day: dict[str, list[StoredRow]]) -> CheckResult:
    """Verdicts for every expected transaction; rows of ids nobody expected are counted apart."""
    result = CheckResult()
    expected_ids = set()
    for expected in expectations:
        expected_ids.add(expected.transaction_id)
        result.sent += 1
        id_rows, day_rows = by_id.get(expected.transaction_id, []), by_day.get(expected.transaction_id, [])
        if len(id_rows) == 1 and len(day_rows) == 1:
            result.stored += 1
        for kind, detail in verdict(expected, id_rows, day_rows).items():
            result.counts[kind] += 1
            result.ids.setdefault(kind, []).append(expected.transaction_id)
            shown = result.samples.setdefault(kind, [])
            if len(shown) < SAMPLES:
                shown.append({"transaction_id": expected.transaction_id, "detail": detail})
    result.unknown_rows = sum(len(rows) for tid, rows in (*by_id.items(), *by_day.items()) if tid not in expected_ids)
    return result


@dataclass(frozen=True)
class Listed:
    """One transaction as `GET /me/transactions` showed it to its user."""

    transaction_id: str
    status: str
    amount: Decimal


def compare_listing(listed: list[Listed], stored: dict[str, StoredRow]) -> dict[str, list[str]]:
    """How one user's listing differs from their stored `transactions_by_user_day` rows (by
    transaction id): `missing` (stored, not listed), `extra` (listed, not theirs), `duplicated`
    (listed more than once), `differing` (another status or amount than stored)."""
    seen = Counter(item.transaction_id for item in listed)
    return {
        "missing": sorted(set(stored) - set(seen)),
        "extra": sorted(set(seen) - set(stored)),
        "duplicated": sorted(tid for tid, n in seen.items() if n > 1),
        "differing": sorted({item.transaction_id for item in listed if item.transaction_id in stored
                             and (item.status, item.amount) != (stored[item.transaction_id].status,
                                                                stored[item.transaction_id].amount)}),
    }
