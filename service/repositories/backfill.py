"""Backfill checkpoints (`backfill_checkpoints`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from cassandra.cluster import Session
from cassandra.query import UNSET_VALUE


@dataclass(frozen=True)
class Checkpoint:
    next_page_token: str | None  # None with done=False: not started
    pages: int
    transactions: int
    done: bool


class CheckpointRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._get = session.prepare(
            "SELECT next_page_token, pages, transactions, done FROM backfill_checkpoints "
            "WHERE partner_id = ? AND account_number = ? AND from_day = ? AND to_day = ?")
        self._put = session.prepare(
            "INSERT INTO backfill_checkpoints (partner_id, account_number, from_day, to_day, next_page_token, pages, "
            "transactions, done, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        self._delete = session.prepare(
            "DELETE FROM backfill_checkpoints WHERE partner_id = ? AND account_number = ? AND from_day = ? "
            "AND to_day = ?")
        for statement in (self._get, self._put, self._delete):
            statement.is_idempotent = True

    def get(self, partner_id: str, account: str, first: date, last: date) -> Checkpoint:
        row = self.session.execute(self._get, (partner_id, account, first, last)).one()
        if row is None:
            return Checkpoint(None, 0, 0, False)
        return Checkpoint(row.next_page_token, row.pages or 0, row.transactions or 0, bool(row.done))

    def put(self, partner_id: str, account: str, first: date, last: date, checkpoint: Checkpoint) -> None:
        token = checkpoint.next_page_token if checkpoint.next_page_token is not None else UNSET_VALUE
        self.session.execute(self._put, (partner_id, account, first, last, token, checkpoint.pages,
                                         checkpoint.transactions, checkpoint.done, datetime.now(UTC)))

    def clear(self, partner_id: str, account: str, first: date, last: date) -> None:
        self.session.execute(self._delete, (partner_id, account, first, last))
