"""Who owns a bank account (`accounts_by_partner`, claimed with lightweight transactions
only) and the user's view of their accounts (`accounts_by_user`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cassandra.cluster import Session
from cassandra.query import SimpleStatement

from cassandra import ConsistencyLevel
from service.storage.failures import answered_for
from service.storage.session import lwt_applied


@dataclass(frozen=True)
class LinkedAccount:
    partner_id: str
    account_number: str
    user_id: uuid.UUID
    card_ids: frozenset[str]
    linked_at: datetime | None


@dataclass(frozen=True)
class ClaimResult:
    """`created`: this call linked it; `owner`: whoever owns it now (this user or another)."""

    created: bool
    owner: uuid.UUID


class AccountRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        # The key comes back with the owner: checked (service/storage/failures.py, AnswerMismatch).
        self._owner = session.prepare(
            "SELECT partner_id, account_number, user_id FROM accounts_by_partner "
            "WHERE partner_id = ? AND account_number = ?")
        self._owner_serial = session.prepare(
            "SELECT partner_id, account_number, user_id FROM accounts_by_partner "
            "WHERE partner_id = ? AND account_number = ?")
        # A read at SERIAL completes any in-flight Paxos round, so it sees a claim that a
        # concurrent `POST /me/accounts` has just committed (used after parking a transaction).
        self._owner_serial.consistency_level = ConsistencyLevel.LOCAL_SERIAL
        self._claim = session.prepare(
            "INSERT INTO accounts_by_partner (partner_id, account_number, user_id, card_ids, linked_at) "
            "VALUES (?, ?, ?, ?, ?) IF NOT EXISTS")
        self._release = session.prepare(
            "DELETE FROM accounts_by_partner WHERE partner_id = ? AND account_number = ? IF user_id = ?")
        self._add_to_user = session.prepare(
            "INSERT INTO accounts_by_user (user_id, partner_id, account_number, card_ids, linked_at) "
            "VALUES (?, ?, ?, ?, ?)")
        self._remove_from_user = session.prepare(
            "DELETE FROM accounts_by_user WHERE user_id = ? AND partner_id = ? AND account_number = ?")
        self._of_user = session.prepare(
            "SELECT partner_id, account_number, card_ids, linked_at FROM accounts_by_user WHERE user_id = ?")
        self._erase = session.prepare("DELETE FROM accounts_by_user USING TIMESTAMP ? WHERE user_id = ?")
        # Reads and blind upserts/deletes: safe to retry on another node (the LWTs are not).
        for statement in (self._owner, self._owner_serial, self._of_user, self._add_to_user,
                          self._remove_from_user, self._erase):
            statement.is_idempotent = True

    def owner(self, partner_id: str, account_number: str, serial: bool = False) -> uuid.UUID | None:
        statement = self._owner_serial if serial else self._owner
        return _owner_of(self.session.execute(statement, (partner_id, account_number)).one(),
                         partner_id, account_number)

    def owners(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], uuid.UUID | None]:
        """Owners of several accounts, read concurrently."""
        futures = {key: self.session.execute_async(self._owner, key) for key in keys}
        return {key: _owner_of(future.result().one(), *key) for key, future in futures.items()}

    def claim(self, user_id: uuid.UUID, partner_id: str, account_number: str,
              card_ids: frozenset[str]) -> ClaimResult:
        """Links the account to `user_id` unless someone owns it already (LWT). The user's own
        list is written either way, so a retried link after a crash completes."""
        now = datetime.now(UTC)
        result = self.session.execute(self._claim, (partner_id, account_number, user_id, set(card_ids), now))
        row = result.one()
        owner = user_id if lwt_applied(result) else row.user_id
        if owner == user_id:
            self.session.execute(self._add_to_user, (user_id, partner_id, account_number, set(card_ids), now))
        return ClaimResult(lwt_applied(result), owner)

    def release(self, user_id: uuid.UUID, partner_id: str, account_number: str) -> bool:
        """Unlinks the account if `user_id` owns it; False otherwise."""
        applied = lwt_applied(self.session.execute(self._release, (partner_id, account_number, user_id)))
        if applied:
            self.session.execute(self._remove_from_user, (user_id, partner_id, account_number))
        return bool(applied)

    def erase(self, user_id: uuid.UUID, write_timestamp: int) -> None:
        """Deletes the user's own list as of an erase's timestamp (after every account was
        released: a claim racing the erase cannot list an account there again)."""
        self.session.execute(self._erase, (write_timestamp, user_id))

    def linked_accounts_of(self, partner_id: str) -> list[str]:
        """Every account of a partner that a user has linked. A paged scan of the whole table
        (no ALLOW FILTERING, no index): for operator commands, never a request path."""
        scan = SimpleStatement("SELECT partner_id, account_number FROM accounts_by_partner", fetch_size=2000)
        return [r.account_number for r in self.session.execute(scan) if r.partner_id == partner_id]

    def of_user(self, user_id: uuid.UUID) -> list[LinkedAccount]:
        return [LinkedAccount(r.partner_id, r.account_number, user_id, frozenset(r.card_ids or ()), r.linked_at)
                for r in self.session.execute(self._of_user, (user_id,))]


def _owner_of(row: Any, partner_id: str, account_number: str) -> uuid.UUID | None:
    if row is None:
        return None
    return answered_for(row, "accounts_by_partner", partner_id=partner_id, account_number=account_number).user_id
