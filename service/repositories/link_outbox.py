"""The outbox of `account_linked` events (`link_outbox`, see cassandra/008_integrity.cql).

A link records its row before it claims the account and publishes the event after; the
consumer that drains the account marks the row drained. The sweep (`due`) finds rows whose
event may have been lost — not drained, linked a while ago, not republished recently — so
they can be published again: held transactions of a linked account always drain, with no
further request from anyone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cassandra.cluster import Session


@dataclass(frozen=True)
class PendingLink:
    hour: datetime
    partner_id: str
    account_number: str
    user_id: uuid.UUID
    linked_at: datetime
    published_at: datetime | None


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


class LinkOutboxRepository:
    def __init__(self, session: Session, ttl_hours: int = 72) -> None:
        self.session = session
        self.ttl_hours = ttl_hours
        self._add = session.prepare(
            "INSERT INTO link_outbox (hour, partner_id, account_number, user_id, linked_at) "
            "VALUES (?, ?, ?, ?, ?) USING TTL ?")
        self._published = session.prepare(
            "UPDATE link_outbox USING TTL ? SET published_at = ? WHERE hour = ? AND partner_id = ? "
            "AND account_number = ?")
        self._drained = session.prepare(
            "UPDATE link_outbox USING TTL ? SET drained_at = ? WHERE hour = ? AND partner_id = ? "
            "AND account_number = ?")
        self._hour = session.prepare(
            "SELECT partner_id, account_number, user_id, linked_at, published_at, drained_at "
            "FROM link_outbox WHERE hour = ?")
        self._forget = session.prepare(
            "DELETE FROM link_outbox WHERE hour = ? AND partner_id = ? AND account_number = ?")
        for statement in (self._add, self._published, self._drained, self._hour, self._forget):
            statement.is_idempotent = True

    @property
    def _ttl(self) -> int:
        return self.ttl_hours * 3600

    def add(self, partner_id: str, account_number: str, user_id: uuid.UUID, now: datetime) -> datetime:
        """Records a link about to be made; returns its hour (the event carries it)."""
        hour = hour_of(now)
        self.session.execute(self._add, (hour, partner_id, account_number, user_id, now, self._ttl))
        return hour

    def mark_published(self, links: Sequence[PendingLink], now: datetime) -> None:
        self._update(self._published, [(link.hour, link.partner_id, link.account_number) for link in links], now)

    def mark_drained(self, hour: datetime, partner_id: str, account_number: str, now: datetime) -> None:
        self._update(self._drained, [(hour, partner_id, account_number)], now)

    def due(self, now: datetime, *, older_than: timedelta, republish_after: timedelta) -> list[PendingLink]:
        """Links not drained, made more than `older_than` ago and not (re)published within
        `republish_after`, from every hour the outbox still keeps."""
        hours = [hour_of(now) - timedelta(hours=i) for i in range(self.ttl_hours + 1)]
        futures = [(hour, self.session.execute_async(self._hour, (hour,))) for hour in hours]
        due = []
        for hour, future in futures:
            for r in future.result():
                linked_at = r.linked_at.replace(tzinfo=UTC) if r.linked_at else hour
                published_at = r.published_at.replace(tzinfo=UTC) if r.published_at else None
                if r.drained_at is not None or r.user_id is None or now - linked_at < older_than:
                    continue
                if published_at is not None and now - published_at < republish_after:
                    continue
                due.append(PendingLink(hour, r.partner_id, r.account_number, r.user_id, linked_at, published_at))
        return due

    def forget_user(self, user_id: uuid.UUID, now: datetime) -> int:
        """Deletes the user's rows from every hour the outbox keeps (an erase); returns how many.
        An account the user no longer owns drains nothing, so no pending event is lost."""
        hours = [hour_of(now) - timedelta(hours=i) for i in range(self.ttl_hours + 2)]
        futures = [(hour, self.session.execute_async(self._hour, (hour,))) for hour in hours]
        mine = [(hour, r.partner_id, r.account_number) for hour, future in futures for r in future.result()
                if r.user_id == user_id]
        deletes = [self.session.execute_async(self._forget, key) for key in mine]
        for future in deletes:
            future.result()
        return len(mine)

    def _update(self, statement: object, keys: list[tuple[datetime, str, str]], now: datetime) -> None:
        futures = [self.session.execute_async(statement, (self._ttl, now, *key)) for key in keys]
        for future in futures:
            future.result()
