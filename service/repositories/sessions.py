"""Login sessions (`sessions`): only the SHA-256 of a token is stored, the row expires with
its TTL, and `expires_at` is checked as well (a TTL is enforced lazily by compaction reads).
`sessions_by_user` lists a user's token hashes (same TTL), so an erase can revoke them all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from cassandra.cluster import Session

from service.storage.failures import answered_for


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
        self._get = session.prepare(
            "SELECT token_hash, user_id, created_at, expires_at FROM sessions WHERE token_hash = ?")
        self._delete = session.prepare("DELETE FROM sessions WHERE token_hash = ?")
        self._index = session.prepare(
            "INSERT INTO sessions_by_user (user_id, token_hash, expires_at) VALUES (?, ?, ?) USING TTL ?")
        self._of_user = session.prepare("SELECT token_hash FROM sessions_by_user WHERE user_id = ?")
        self._erase = session.prepare("DELETE FROM sessions_by_user USING TIMESTAMP ? WHERE user_id = ?")
        for statement in (self._insert, self._get, self._delete, self._index, self._of_user, self._erase):
            statement.is_idempotent = True

    def create(self, token_hash: bytes, user_id: uuid.UUID, created_at: datetime, expires_at: datetime,
               ttl_seconds: int) -> None:
        """Blind upserts of new rows: nothing ingestion writes can contend with them."""
        self.session.execute(self._index, (user_id, token_hash, expires_at, ttl_seconds))
        self.session.execute(self._insert, (token_hash, user_id, created_at, expires_at, ttl_seconds))

    def get(self, token_hash: bytes) -> StoredSession | None:
        row = self.session.execute(self._get, (token_hash,)).one()
        if row is None:
            return None
        answered_for(row, "sessions", token_hash=token_hash)  # who is asking: never another's session
        return StoredSession(row.user_id, row.created_at.replace(tzinfo=UTC), row.expires_at.replace(tzinfo=UTC))

    def delete(self, token_hash: bytes) -> None:
        self.session.execute(self._delete, (token_hash,))

    def revoke_all(self, user_id: uuid.UUID) -> int:
        """Deletes every session of the user; returns how many were listed."""
        hashes = [r.token_hash for r in self.session.execute(self._of_user, (user_id,))]
        futures = [self.session.execute_async(self._delete, (token_hash,)) for token_hash in hashes]
        for future in futures:
            future.result()
        return len(hashes)

    def erase(self, user_id: uuid.UUID, write_timestamp: int) -> None:
        self.session.execute(self._erase, (write_timestamp, user_id))
