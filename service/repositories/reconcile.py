"""Reads for `tally reconcile`: a transaction's stored facts by id, and the ids Tally stored
for one account over a date range (through the owner's day partitions)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from cassandra.cluster import Session

from service.repositories.accounts import AccountRepository


@dataclass(frozen=True)
class StoredFacts:
    status: str
    amount: Decimal
    currency: str
    authorized_at: datetime
    settled_at: datetime | None


class TallyView:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.accounts = AccountRepository(session)
        self._by_id = session.prepare(
            "SELECT status, amount, currency, authorized_at, settled_at FROM transactions_by_id "
            "WHERE partner_id = ? AND transaction_id = ?")
        self._day = session.prepare(
            "SELECT partner_id, transaction_id, account_number FROM transactions_by_user_day "
            "WHERE user_id = ? AND day = ? AND ts >= ? AND ts < ?")
        for statement in (self._by_id, self._day):
            statement.is_idempotent = True

    def facts(self, partner_id: str, ids: Iterable[str]) -> dict[str, StoredFacts]:
        ids = list(ids)
        results = self.session.execute_concurrent(
            [(self._by_id, (partner_id, tid)) for tid in ids], concurrency=64, raise_on_first_error=True)
        found = {}
        for tid, (_, rows) in zip(ids, results, strict=True):
            row = rows.one()
            if row is not None:
                found[tid] = StoredFacts(row.status, row.amount, row.currency, row.authorized_at, row.settled_at)
        return found

    def stored_ids(self, partner_id: str, account: str, start: datetime, end: datetime) -> set[str]:
        """Ids stored for the account with authorized_at in [start, end) — empty if unlinked."""
        owner = self.accounts.owner(partner_id, account)
        if owner is None:
            return set()
        days = [(start + timedelta(days=i)).date() for i in range((end - start).days + 1)]
        results = self.session.execute_concurrent(
            [(self._day, (owner, day, start, end)) for day in days], concurrency=16, raise_on_first_error=True)
        return {r.transaction_id for _, rows in results for r in rows
                if r.partner_id == partner_id and r.account_number == account}
