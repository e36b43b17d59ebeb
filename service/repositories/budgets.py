"""A user's monthly budgets (`budgets`): one row per category, read whole (at most 18)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from cassandra.cluster import Session


@dataclass(frozen=True)
class Budget:
    category: str
    amount: Decimal
    currency: str
    updated_at: datetime | None


class BudgetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._put = session.prepare(
            "INSERT INTO budgets (user_id, category, amount, currency, updated_at) VALUES (?, ?, ?, ?, ?)")
        self._of_user = session.prepare(
            "SELECT category, amount, currency, updated_at FROM budgets WHERE user_id = ?")
        self._get = session.prepare("SELECT category FROM budgets WHERE user_id = ? AND category = ?")
        self._delete = session.prepare("DELETE FROM budgets WHERE user_id = ? AND category = ?")
        self._erase = session.prepare("DELETE FROM budgets USING TIMESTAMP ? WHERE user_id = ?")
        for statement in (self._put, self._of_user, self._get, self._delete, self._erase):
            statement.is_idempotent = True

    def put(self, user_id: uuid.UUID, budget: Budget) -> None:
        self.session.execute(self._put, (user_id, budget.category, budget.amount, budget.currency,
                                         budget.updated_at))

    def of_user(self, user_id: uuid.UUID) -> list[Budget]:
        return [Budget(r.category, r.amount, r.currency, r.updated_at)
                for r in self.session.execute(self._of_user, (user_id,))]

    def delete(self, user_id: uuid.UUID, category: str) -> bool:
        """False when the user had no budget for the category."""
        existed = self.session.execute(self._get, (user_id, category)).one() is not None
        self.session.execute(self._delete, (user_id, category))
        return existed

    def erase(self, user_id: uuid.UUID, write_timestamp: int) -> None:
        self.session.execute(self._erase, (write_timestamp, user_id))
