"""A user's category for one transaction (`category_overrides`), partitioned by the UTC month
of the transaction's authorized_at. Written only by the API; merged at read time."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

from cassandra.cluster import Session

OverrideKey = tuple[str, str]  # (partner_id, transaction_id)


class CategoryOverrideRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._put = session.prepare(
            "INSERT INTO category_overrides (user_id, month, partner_id, transaction_id, category, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)")
        self._of_month = session.prepare(
            "SELECT partner_id, transaction_id, category FROM category_overrides WHERE user_id = ? AND month = ?")
        self._erase = session.prepare(
            "DELETE FROM category_overrides USING TIMESTAMP ? WHERE user_id = ? AND month = ?")
        for statement in (self._put, self._of_month, self._erase):
            statement.is_idempotent = True

    def put(self, user_id: uuid.UUID, month: str, key: OverrideKey, category: str, at: datetime) -> None:
        self.session.execute(self._put, (user_id, month, key[0], key[1], category, at))

    def erase(self, user_id: uuid.UUID, months: Iterable[str], write_timestamp: int) -> None:
        futures = [self.session.execute_async(self._erase, (write_timestamp, user_id, month))
                   for month in sorted(set(months))]
        for future in futures:
            future.result()

    def of_months(self, user_id: uuid.UUID, months: Iterable[str]) -> dict[OverrideKey, str]:
        """Every override of the user in these months (one partition each, read concurrently)."""
        return self.of_months_async(user_id, months)()

    def of_months_async(self, user_id: uuid.UUID, months: Iterable[str]) -> Callable[[], dict[OverrideKey, str]]:
        """Starts those reads now; the returned function waits for them (so a caller can read
        the transactions meanwhile)."""
        futures = [self.session.execute_async(self._of_month, (user_id, month)) for month in sorted(set(months))]

        def result() -> dict[OverrideKey, str]:
            found: dict[OverrideKey, str] = {}
            for future in futures:
                for row in future.result():
                    found[(row.partner_id, row.transaction_id)] = row.category
            return found
        return result
