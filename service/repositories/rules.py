"""A user's merchant rules (`user_rules`): future transactions of a merchant classify as the
user chose (`user_rule`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from cassandra.cluster import Session


@dataclass(frozen=True)
class UserRule:
    merchant_key: str
    category: str
    created_at: datetime | None
    updated_at: datetime | None


class UserRuleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._of_user = session.prepare(
            "SELECT merchant_key, category, created_at, updated_at FROM user_rules WHERE user_id = ?")
        self._get = session.prepare(
            "SELECT merchant_key, category, created_at, updated_at FROM user_rules "
            "WHERE user_id = ? AND merchant_key = ?")
        self._put = session.prepare(
            "UPDATE user_rules SET category = ?, updated_at = ? WHERE user_id = ? AND merchant_key = ?")
        self._created = session.prepare(
            "UPDATE user_rules SET created_at = ? WHERE user_id = ? AND merchant_key = ?")
        self._delete = session.prepare("DELETE FROM user_rules WHERE user_id = ? AND merchant_key = ?")
        self._erase = session.prepare("DELETE FROM user_rules USING TIMESTAMP ? WHERE user_id = ?")
        for statement in (self._of_user, self._get, self._put, self._created, self._delete, self._erase):
            statement.is_idempotent = True

    def of_user(self, user_id: uuid.UUID) -> list[UserRule]:
        return [UserRule(r.merchant_key, r.category, r.created_at, r.updated_at)
                for r in self.session.execute(self._of_user, (user_id,))]

    def categories_of(self, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
        """merchant_key → category for each user, read concurrently (one partition each)."""
        futures = {u: self.session.execute_async(self._of_user, (u,)) for u in set(user_ids)}
        return {u: {r.merchant_key: r.category for r in f.result()} for u, f in futures.items()}

    def get(self, user_id: uuid.UUID, merchant_key: str) -> UserRule | None:
        row = self.session.execute(self._get, (user_id, merchant_key)).one()
        return UserRule(row.merchant_key, row.category, row.created_at, row.updated_at) if row else None

    def put(self, user_id: uuid.UUID, merchant_key: str, category: str) -> UserRule:
        now = datetime.now(UTC)
        existing = self.get(user_id, merchant_key)
        self.session.execute(self._put, (category, now, user_id, merchant_key))
        if existing is None:
            self.session.execute(self._created, (now, user_id, merchant_key))
        return UserRule(merchant_key, category, existing.created_at if existing else now, now)

    def erase(self, user_id: uuid.UUID, write_timestamp: int) -> None:
        self.session.execute(self._erase, (write_timestamp, user_id))

    def delete(self, user_id: uuid.UUID, merchant_key: str) -> bool:
        existed = self.get(user_id, merchant_key) is not None
        self.session.execute(self._delete, (user_id, merchant_key))
        return existed
