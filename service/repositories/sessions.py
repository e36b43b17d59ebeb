"""Login sessions (`sessions`): only the SHA-256 of a token is stored, the row expires with
its TTL, and `expires_at` is checked as well (a TTL is enforced lazily by compaction reads)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from cassandra.cluster import Session


@dataclass(frozen=True)
class StoredSession:
    user_id: uuid.UUID
    created_at: datetime
    expires_at: datetime


class SessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._insert = session.prepare(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?) USING TTL ?")
        self._get = session.prepare("SELECT user_id, created_at, expires_at FROM sessions WHERE token_hash = ?")
        self._delete = session.prepare("DELETE FROM sessions WHERE token_hash = ?")
        for statement in (self._insert, self._get, self._delete):
            statement.is_idempotent = True

    def create(self, token_hash: bytes, user_id: uuid.UUID, created_at: datetime, expires_at: datetime,
               ttl_seconds: int) -> None:
        """A blind upsert of a new partition: nothing ingestion writes can contend with it."""
        self.session.execute(self._insert, (token_hash, user_id, created_at, expires_at, ttl_seconds))

    def get(self, token_hash: bytes) -> StoredSession | None:
        row = self.session.execute(self._get, (token_hash,)).one()
        if row is None:
            return None
        return StoredSession(row.user_id, row.created_at.replace(tzinfo=UTC), row.expires_at.replace(tzinfo=UTC))

    def delete(self, token_hash: bytes) -> None:
        self.session.execute(self._delete, (token_hash,))
