"""The sync feed's change log (`transaction_changes`): one entry per change to one of a user's
transactions, partitioned by (user, UTC day of the change), TTL'd (cassandra/009_user_features.cql).

An entry is written only after the change it records has committed (the consumers write it
after `TransactionRepository.write`, the api after an override or a re-label), and it is
stamped with the time of its own write attempt. `record` then checks how long the attempt took
on the writer's monotonic clock: an attempt acknowledged later than MAX_ENTRY_DELAY after its
stamp is written again with a fresh stamp. So every change has an entry that committed within
MAX_ENTRY_DELAY of its stamp, whatever paused the writer in between (a GC pause, a starved
CPU, a driver retry), and a reader that hands out only entries older than a horizon longer
than that plus the clocks' skew (service/history/sync.py) never sees an entry appear behind a
position it already passed. A slow attempt's own entries may commit too: duplicates, which the
feed folds (one per transaction per page, each in its current form).
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from cassandra.cluster import Session
from cassandra.query import BatchStatement, BatchType

from cassandra import OperationTimedOut

ADDED, MODIFIED, REMOVED = "added", "modified", "removed"
MAX_ENTRY_DELAY = timedelta(seconds=5)  # the sync horizon must exceed this plus the writers' clock skew
ATTEMPTS = 3  # quick attempts wanted before giving up (the caller retries: a consumer requeues, the api 503s)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BATCH_ROWS = 50  # entries per UNLOGGED batch of one partition (~3 KiB)
FETCH_ROWS = 500


class SlowChangeLog(OperationTimedOut):
    """No write attempt of the entries was acknowledged within MAX_ENTRY_DELAY: Cassandra is
    too slow now (transient, like any timeout)."""


@dataclass(frozen=True)
class Change:
    """What happened to one of a user's transactions."""

    user_id: uuid.UUID
    partner_id: str
    transaction_id: str
    kind: str  # ADDED, MODIFIED or REMOVED


@dataclass(frozen=True)
class Entry:
    """A change as read back: its place in the log and what it names."""

    day: date
    changed_at: datetime  # UTC, milliseconds
    partner_id: str
    transaction_id: str
    kind: str

    @property
    def position(self) -> tuple[date, datetime, str, str]:
        return (self.day, self.changed_at, self.partner_id, self.transaction_id)


def _ms(moment: datetime) -> datetime:
    """Cassandra keeps milliseconds: stamps are cut to them so positions compare exactly."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


class ChangeLogRepository:
    def __init__(self, session: Session, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 monotonic: Callable[[], float] = time.monotonic, max_delay: timedelta = MAX_ENTRY_DELAY) -> None:
        self.session = session
        self.max_delay = max_delay  # tests shorten it, with the reader's horizon
        self.clock = clock
        self.monotonic = monotonic
        self._insert = session.prepare(
            "INSERT INTO transaction_changes (user_id, day, changed_at, partner_id, transaction_id, kind) "
            "VALUES (?, ?, ?, ?, ?, ?)")
        columns = "SELECT changed_at, partner_id, transaction_id, kind FROM transaction_changes"
        self._after = session.prepare(
            f"{columns} WHERE user_id = ? AND day = ? AND (changed_at, partner_id, transaction_id) > (?, ?, ?) "
            "AND (changed_at) < (?)")
        self._erase = session.prepare(
            "DELETE FROM transaction_changes USING TIMESTAMP ? WHERE user_id = ? AND day = ?")
        for statement in (self._insert, self._after, self._erase):
            statement.is_idempotent = True

    def record(self, changes: Sequence[Change]) -> None:
        """Writes an entry per change, stamped now; again with a new stamp while an attempt
        takes longer than MAX_ENTRY_DELAY (see above). Raises SlowChangeLog after ATTEMPTS
        slow attempts, or the driver's error (a retry of the whole call is safe)."""
        if not changes:
            return
        for _ in range(ATTEMPTS):
            started = self.monotonic()
            self._write(changes, _ms(self.clock().astimezone(UTC)))
            if self.monotonic() - started <= self.max_delay.total_seconds():
                return
        raise SlowChangeLog(f"the change log took longer than {self.max_delay} {ATTEMPTS} times")

    def _write(self, changes: Sequence[Change], stamp: datetime) -> None:
        by_user: dict[uuid.UUID, list[Change]] = defaultdict(list)
        for change in changes:
            by_user[change.user_id].append(change)
        statements = []
        for user_id, mine in by_user.items():
            for start in range(0, len(mine), BATCH_ROWS):
                batch = BatchStatement(batch_type=BatchType.UNLOGGED)
                batch.is_idempotent = True
                for c in mine[start:start + BATCH_ROWS]:
                    batch.add(self._insert, (user_id, stamp.date(), stamp, c.partner_id, c.transaction_id, c.kind))
                statements.append((batch, None))
        results = self.session.execute_concurrent(statements, concurrency=16, raise_on_first_error=False)
        failures = [result for ok, result in results if not ok]
        if failures:
            raise failures[0]

    def entries(self, user_id: uuid.UUID, days: Sequence[date], after: tuple[date, datetime, str, str],
                before: datetime) -> Iterator[Entry]:
        """Entries of these day partitions (in the order given) changed before `before`, each
        partition in log order; in the partition of `after` (day, changed_at, partner_id,
        transaction_id) only those after it. Stop iterating at any time."""
        for day in days:
            start = after[1:] if day == after[0] else (_EPOCH, "", "")
            bound = self._after.bind((user_id, day, *start, before))
            bound.fetch_size = FETCH_ROWS
            for r in self.session.execute(bound):
                yield Entry(day, r.changed_at.replace(tzinfo=UTC), r.partner_id, r.transaction_id, r.kind)

    def erase(self, user_id: uuid.UUID, today: date, days: int, write_timestamp: int) -> None:
        """Deletes the user's partitions from tomorrow back to `days` days ago (older ones have
        expired), as of `write_timestamp`."""
        statements = [(self._erase, (write_timestamp, user_id, today + timedelta(days=1 - n)))
                      for n in range(days + 2)]
        results = self.session.execute_concurrent(statements, concurrency=16, raise_on_first_error=False)
        failures = [result for ok, result in results if not ok]
        if failures:
            raise failures[0]
