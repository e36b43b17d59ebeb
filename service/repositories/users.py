"""Users (`users`, the `users_by_email` claim, `user_activity`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from cassandra.cluster import Session

from service.storage.session import lwt_applied


@dataclass(frozen=True)
class User:
    user_id: uuid.UUID
    email: str
    name: str
    password_hash: str
    time_zone: str
    created_at: datetime | None


@dataclass(frozen=True)
class Activity:
    last_login_at: datetime | None
    last_transaction_at: datetime | None


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._insert = session.prepare(
            "INSERT INTO users (user_id, email, name, password_hash, time_zone, created_at) VALUES (?, ?, ?, ?, ?, ?)")
        self._claim = session.prepare("INSERT INTO users_by_email (email, user_id) VALUES (?, ?) IF NOT EXISTS")
        self._by_email = session.prepare("SELECT user_id FROM users_by_email WHERE email = ?")
        self._get = session.prepare(
            "SELECT user_id, email, name, password_hash, time_zone, created_at FROM users WHERE user_id = ?")
        self._activity = session.prepare(
            "SELECT last_login_at, last_transaction_at FROM user_activity WHERE user_id = ?")
        self._login = session.prepare("UPDATE user_activity SET last_login_at = ? WHERE user_id = ?")
        self._erase_user = session.prepare("DELETE FROM users USING TIMESTAMP ? WHERE user_id = ?")
        self._erase_activity = session.prepare("DELETE FROM user_activity USING TIMESTAMP ? WHERE user_id = ?")
        # users_by_email is only ever written with LWTs; so is its release, and only by its owner.
        self._release = session.prepare("DELETE FROM users_by_email WHERE email = ? IF user_id = ?")
        # Blind upserts and reads: safe to retry on another node (the LWT claim and release are not).
        for statement in (self._insert, self._by_email, self._get, self._activity, self._login,
                          self._erase_user, self._erase_activity):
            statement.is_idempotent = True

    def create(self, email: str, name: str, password_hash: str, time_zone: str) -> User | None:
        """Writes the user row, then claims the email (LWT). None when the email is taken: the
        unclaimed user row is then unreachable and harmless (no email points at it)."""
        user = User(uuid.uuid4(), email, name, password_hash, time_zone, datetime.now(UTC))
        self.session.execute(self._insert, (user.user_id, email, name, password_hash, time_zone, user.created_at))
        claim = self.session.execute(self._claim, (email, user.user_id)).one()
        if not claim[0]:
            # A claim whose user row is gone is an erase that stopped before its last step
            # (service/users/erasure.py): free the email and claim it once more.
            holder = getattr(claim, "user_id", None)
            if holder is None or self.get(holder) is not None or not self.release_email(email, holder):
                return None
            if not lwt_applied(self.session.execute(self._claim, (email, user.user_id))):
                return None
        return user

    def by_email(self, email: str) -> User | None:
        row = self.session.execute(self._by_email, (email,)).one()
        return self.get(row.user_id) if row else None

    def get(self, user_id: uuid.UUID) -> User | None:
        row = self.session.execute(self._get, (user_id,)).one()
        if row is None:
            return None
        return User(row.user_id, row.email, row.name, row.password_hash, row.time_zone or "UTC", row.created_at)

    def activity(self, user_id: uuid.UUID) -> Activity:
        row = self.session.execute(self._activity, (user_id,)).one()
        return Activity(row.last_login_at, row.last_transaction_at) if row else Activity(None, None)

    def erase(self, user_id: uuid.UUID, write_timestamp: int) -> None:
        """Deletes the user row and the activity row as of `write_timestamp` (an erase's: no
        write racing it, such as a consumer's last_transaction_at, brings them back)."""
        self.session.execute(self._erase_activity, (write_timestamp, user_id))
        self.session.execute(self._erase_user, (write_timestamp, user_id))

    def release_email(self, email: str, user_id: uuid.UUID) -> bool:
        """Frees the email for a new sign-up if `user_id` holds it; False if it does not."""
        row = self.session.execute(self._release, (email, user_id)).one()
        return bool(row[0]) or getattr(row, "user_id", None) is None

    def record_login(self, user_id: uuid.UUID, at: datetime) -> None:
        """A blind upsert of the login's own cell: nothing ingestion writes can contend with it."""
        self.session.execute(self._login, (at, user_id))
