"""Transactions of accounts nobody has linked yet (`held_by_account`, TTL'd)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cassandra.cluster import Session


@dataclass(frozen=True)
class HeldTransaction:
    partner_id: str
    account_number: str
    transaction_id: str
    payload: str          # the transaction's JSON as the partner sent it
    received_at: datetime
    request_id: str | None


class HeldRepository:
    def __init__(self, session: Session, ttl_days: int = 400) -> None:
        self.session = session
        self.ttl_seconds = ttl_days * 86400
        self._park = session.prepare(
            "INSERT INTO held_by_account (partner_id, account_number, transaction_id, payload, received_at, "
            "request_id) VALUES (?, ?, ?, ?, ?, ?) USING TTL ?")
        self._park.is_idempotent = True
        self._list = session.prepare(
            "SELECT transaction_id, payload, received_at, request_id FROM held_by_account "
            "WHERE partner_id = ? AND account_number = ?")
        self._list.is_idempotent = True
        self._delete = session.prepare(
            "DELETE FROM held_by_account WHERE partner_id = ? AND account_number = ? AND transaction_id = ?")
        self._delete.is_idempotent = True

    def park(self, held: list[HeldTransaction]) -> None:
        futures = [self.session.execute_async(self._park, (
            h.partner_id, h.account_number, h.transaction_id, h.payload, h.received_at, h.request_id,
            self.ttl_seconds)) for h in held]
        for future in futures:
            future.result()

    def of_account(self, partner_id: str, account_number: str) -> list[HeldTransaction]:
        return [HeldTransaction(partner_id, account_number, r.transaction_id, r.payload, r.received_at, r.request_id)
                for r in self.session.execute(self._list, (partner_id, account_number))]

    def delete(self, held: list[HeldTransaction]) -> None:
        futures = [self.session.execute_async(self._delete, (h.partner_id, h.account_number, h.transaction_id))
                   for h in held]
        for future in futures:
            future.result()
