"""When Tally first saw each webhook (`webhook_first_seen`): the time a later version of a
transaction must beat. See cassandra/008_integrity.cql for why the earliest write wins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cassandra.cluster import Session

from service.repositories.transactions import micros

EARLIEST_WINS = 2**62  # write timestamp = EARLIEST_WINS - µs: the earliest time is the newest write


@dataclass(frozen=True)
class Sighting:
    partner_id: str
    webhook_id: str
    received_at: datetime


class FirstSeenRepository:
    def __init__(self, session: Session, ttl_days: int = 7) -> None:
        self.session = session
        self.ttl_seconds = ttl_days * 86400
        self._record = session.prepare(
            "INSERT INTO webhook_first_seen (partner_id, webhook_id, first_seen) VALUES (?, ?, ?) "
            "USING TIMESTAMP ? AND TTL ?")
        self._read = session.prepare(
            "SELECT first_seen FROM webhook_first_seen WHERE partner_id = ? AND webhook_id = ?")
        self._record.is_idempotent = self._read.is_idempotent = True

    def first_seen(self, sightings: Sequence[Sighting]) -> list[datetime]:
        """Records each sighting, then reads back the earliest time each webhook was seen
        (this sighting's own time at the latest). Both steps run concurrently per step."""
        writes = [self.session.execute_async(self._record, (
            s.partner_id, s.webhook_id, s.received_at, EARLIEST_WINS - micros(s.received_at), self.ttl_seconds))
            for s in sightings]
        for future in writes:
            future.result()
        reads = [self.session.execute_async(self._read, (s.partner_id, s.webhook_id)) for s in sightings]
        earliest = []
        for sighting, future in zip(sightings, reads, strict=True):
            row = future.result().one()
            seen = row.first_seen.replace(tzinfo=UTC) if row is not None else sighting.received_at
            earliest.append(min(seen, sighting.received_at))
        return earliest
