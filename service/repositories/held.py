"""Transactions of accounts nobody has linked yet (`held_by_account`, TTL'd).

A held row is written USING TIMESTAMP of its version (status rank and version time, as the
transaction tables are: service/repositories/transactions.py), so an older version parked
after a newer one changes nothing. Deleting a drained row uses that same timestamp: it removes
the version that was written and nothing newer that was parked meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cassandra.cluster import Session
from cassandra.query import SimpleStatement

DRAIN_PAGE_ROWS = 500  # held rows drained per round: bounds the memory of a long-unlinked account


@dataclass(frozen=True)
class HeldTransaction:
    partner_id: str
    account_number: str
    transaction_id: str
    payload: str          # the transaction's JSON exactly as the partner sent it
    received_at: datetime  # when Tally first received this version
    request_id: str | None
    write_timestamp: int | None = None  # the row's version: what `delete` removes


class HeldRepository:
    def __init__(self, session: Session, ttl_days: int = 400) -> None:
        self.session = session
        self.ttl_seconds = ttl_days * 86400
        self._park = session.prepare(
            "INSERT INTO held_by_account (partner_id, account_number, transaction_id, payload, received_at, "
            "request_id) VALUES (?, ?, ?, ?, ?, ?) USING TTL ? AND TIMESTAMP ?")
        self._park.is_idempotent = True
        self._list_cql = ("SELECT transaction_id, payload, received_at, request_id, WRITETIME(payload) AS written "
                          "FROM held_by_account WHERE partner_id = %s AND account_number = %s")
        self._delete = session.prepare(
            "DELETE FROM held_by_account USING TIMESTAMP ? "
            "WHERE partner_id = ? AND account_number = ? AND transaction_id = ?")
        self._delete.is_idempotent = True

    def park(self, held: Sequence[HeldTransaction]) -> None:
        futures = [self.session.execute_async(self._park, (
            h.partner_id, h.account_number, h.transaction_id, h.payload, h.received_at, h.request_id,
            self.ttl_seconds, _timestamp(h))) for h in held]
        for future in futures:
            future.result()

    def of_account(self, partner_id: str, account_number: str) -> Iterator[list[HeldTransaction]]:
        """The account's held rows, a page of DRAIN_PAGE_ROWS at a time (the driver pages)."""
        statement = SimpleStatement(self._list_cql, fetch_size=DRAIN_PAGE_ROWS, is_idempotent=True)
        page: list[HeldTransaction] = []
        for r in self.session.execute(statement, (partner_id, account_number)):
            page.append(HeldTransaction(partner_id, account_number, r.transaction_id, r.payload,
                                        r.received_at.replace(tzinfo=UTC), r.request_id, r.written))
            if len(page) == DRAIN_PAGE_ROWS:
                yield page
                page = []
        if page:
            yield page

    def delete(self, held: Sequence[HeldTransaction]) -> None:
        """Deletes each row as of its write timestamp: a newer version parked since survives."""
        futures = [self.session.execute_async(self._delete, (_timestamp(h), h.partner_id, h.account_number,
                                                             h.transaction_id)) for h in held]
        for future in futures:
            future.result()


def _timestamp(held: HeldTransaction) -> int:
    if held.write_timestamp is None:
        raise ValueError(f"held row {held.transaction_id} has no write timestamp")
    return held.write_timestamp
