"""Transactions: `transactions_by_user_day` (the read path) and `transactions_by_id`.

Every write is a blind, idempotent upsert. Arrival order is settled by write timestamps:

    facts (status, amount, settled_at, …)  USING TIMESTAMP  status_rank   × 10^16 + version_at_µs
    category cells                          USING TIMESTAMP  source_rank   × 10^16 + decided_at_µs

Cassandra keeps, per cell, the value with the highest timestamp. So a `pending` that arrives
after its `settled` (or a redelivery of the `pending`) has a lower timestamp and changes
nothing; within one status the later *version* wins; a duplicate rewrites equal cells. A
version's time is the bank's `updated_at` when it sends one, else when Tally first saw the
webhook that carried it (`webhook_first_seen`), so a bank's late retry or a replayed capture of
an older version cannot roll a newer one back, whatever the order it arrives in.
Category cells follow their layer: a re-enrichment (merchant_api) beats an earlier mcc or
keyword answer, and a redelivered message classified by a lower layer cannot undo it. 10^16 µs
is 317 years, so version times (µs since 1970) stay below one rank step until 2286.

One transaction is one row: its place — owner, day and clustering ts — is fixed by the first
version stored (`placements` reads it from `transactions_by_id`), and later versions update
that row even if they carry another `authorized_at` or arrive after the account moved to
another user. (Two first versions with different `authorized_at` written by two consumers at
the same instant could still make two rows; nothing short of a lightweight transaction per
new row closes that, and banks do not change `authorized_at`.)
No multi-partition batches: rows of one (user, day) go in one UNLOGGED batch (one mutation).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from cassandra.cluster import Session
from cassandra.query import UNSET_VALUE, BatchStatement, BatchType

from service.classification.categories import SOURCE_RANK

STATUS_RANK = {"pending": 1, "settled": 2, "reversed": 3}
RANK_UNIT = 10**16
# An erase deletes a user's partitions as of this rank: above every status and category layer,
# so no write racing the erase (a consumer batch that read the owner before the unlink) can
# bring a row back. User ids are never reused, so nothing legitimate is ever written there again.
ERASED_RANK = 9
PARTITION_BATCH_ROWS = 40  # rows per UNLOGGED batch: ~25 KiB, under batch_size_warn_threshold
PLACEMENT_READ_KEYS = 100  # transaction ids per multi-partition IN read (one request to one coordinator)


FACTS_CQL = (
    "INSERT INTO transactions_by_user_day (user_id, day, ts, partner_id, transaction_id, account_number, "
    "card_id, amount, currency, status, authorized_at, settled_at, received_at, merchant_name, "
    "merchant_mcc, merchant_city, merchant_country, description, merchant_key) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?")
CATEGORY_CQL = (
    "UPDATE transactions_by_user_day USING TIMESTAMP ? SET category = ?, category_source = ?, "
    "category_confidence = ? WHERE user_id = ? AND day = ? AND ts = ? AND partner_id = ? AND transaction_id = ?")
BY_ID_CQL = (
    "INSERT INTO transactions_by_id (partner_id, transaction_id, user_id, day, ts, account_number, "
    "status, amount, currency, authorized_at, settled_at, received_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?")
ACTIVITY_CQL = "UPDATE user_activity USING TIMESTAMP ? SET last_transaction_at = ? WHERE user_id = ?"
USER_DAY_CQL = "INSERT INTO user_days (user_id, day) VALUES (?, ?)"
PLACEMENT_CQL = ("SELECT transaction_id, user_id, day, ts FROM transactions_by_id "
                 "WHERE partner_id = ? AND transaction_id IN ?")


class WriteFailed(RuntimeError):
    """Some statements of a write failed; the whole write is safe to retry (idempotent).
    `failures` holds each statement's exception."""

    def __init__(self, message: str, failures: Sequence[BaseException]) -> None:
        super().__init__(message)
        self.failures = list(failures)


def micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def fact_timestamp(status: str, version_at: datetime) -> int:
    return STATUS_RANK[status] * RANK_UNIT + micros(version_at)


def category_timestamp(source: str, decided_at: datetime) -> int:
    return SOURCE_RANK[source] * RANK_UNIT + micros(decided_at)


def erase_timestamp(at: datetime) -> int:
    return ERASED_RANK * RANK_UNIT + micros(at)


@dataclass(frozen=True)
class TransactionRow:
    user_id: uuid.UUID
    partner_id: str
    transaction_id: str
    account_number: str
    card_id: str
    amount: Decimal
    currency: str
    status: str
    authorized_at: datetime       # UTC; decides the partition day and the clustering ts
    settled_at: datetime | None
    received_at: datetime
    merchant_name: str
    merchant_mcc: str | None
    merchant_city: str | None
    merchant_country: str | None
    description: str | None
    merchant_key: str
    category: str
    category_source: str
    category_confidence: float
    version_at: datetime | None = None  # orders versions of one status; None: received_at

    @property
    def day(self) -> date:
        return self.authorized_at.date()

    @property
    def version_time(self) -> datetime:
        return self.version_at or self.received_at


@dataclass(frozen=True)
class Placement:
    """Where a stored transaction lives: its owner and the key of its row."""

    user_id: uuid.UUID
    day: date
    ts: datetime  # UTC, as stored (milliseconds)


@dataclass(frozen=True)
class CategoryUpdate:
    """New category cells for an existing row (re-enrichment, a user's rule applied to past)."""

    user_id: uuid.UUID
    day: date
    ts: datetime
    partner_id: str
    transaction_id: str
    category: str
    source: str
    confidence: float


def stored_date(value: Any) -> date:
    """The driver hands `date` columns over as cassandra.util.Date."""
    return value.date() if hasattr(value, "date") and not isinstance(value, date) else value


def _opt(value: Any) -> Any:
    """Absent optional values are left unset, never bound as null (no tombstones)."""
    return UNSET_VALUE if value is None else value


class TransactionRepository:
    def __init__(self, session: Session, concurrency: int = 64) -> None:
        self.session = session
        self.concurrency = concurrency
        self._facts = session.prepare(FACTS_CQL)
        self._category = session.prepare(CATEGORY_CQL)
        self._by_id = session.prepare(BY_ID_CQL)
        self._activity = session.prepare(ACTIVITY_CQL)
        self._placement = session.prepare(PLACEMENT_CQL)
        self._user_day = session.prepare(USER_DAY_CQL)
        for statement in (self._facts, self._category, self._by_id, self._activity, self._placement,
                          self._user_day):
            statement.is_idempotent = True

    def placements(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Placement]:
        """Where each (partner_id, transaction_id) already stored lives; absent keys are new."""
        by_partner: dict[str, list[str]] = defaultdict(list)
        for partner_id, transaction_id in set(keys):
            by_partner[partner_id].append(transaction_id)
        chunks = [(partner_id, ids[i:i + PLACEMENT_READ_KEYS])
                  for partner_id, ids in by_partner.items() for i in range(0, len(ids), PLACEMENT_READ_KEYS)]
        futures = [(partner_id, self.session.execute_async(self._placement, (partner_id, ids)))
                   for partner_id, ids in chunks]
        found = {}
        for partner_id, future in futures:
            for r in future.result():
                place = Placement(r.user_id, stored_date(r.day), r.ts.replace(tzinfo=UTC))
                found[(partner_id, r.transaction_id)] = place
        return found

    def write(self, rows: Sequence[TransactionRow]) -> None:
        """Stores rows in both tables, indexes each (user, day) partition in `user_days` (a
        blind upsert per partition: what an erase and the sync feed's first call read), and
        moves each user's last_transaction_at (never back). Raises WriteFailed if any statement
        failed; retrying the same rows is safe."""
        statements: list[tuple[Any, Any]] = []
        by_partition: dict[tuple[uuid.UUID, date], list[TransactionRow]] = defaultdict(list)
        latest: dict[uuid.UUID, datetime] = {}
        for row in rows:
            by_partition[(row.user_id, row.day)].append(row)
            statements.append((self._by_id, self._by_id_values(row)))
            if row.user_id not in latest or row.authorized_at > latest[row.user_id]:
                latest[row.user_id] = row.authorized_at
        for (user_id, day), partition_rows in by_partition.items():
            statements.append((self._user_day, (user_id, day)))
            for start in range(0, len(partition_rows), PARTITION_BATCH_ROWS):
                statements.append((self._partition_batch(partition_rows[start:start + PARTITION_BATCH_ROWS]), None))
        for user_id, moment in latest.items():
            statements.append((self._activity, (micros(moment), moment, user_id)))
        self.execute(statements)

    def set_categories(self, updates: Sequence[CategoryUpdate], decided_at: datetime) -> None:
        """Writes category cells with their layer's timestamp at `decided_at`: they replace a
        lower layer's answer and lose to a higher one (a user_rule beats merchant_api)."""
        self.execute((self._category, (category_timestamp(u.source, decided_at), u.category, u.source, u.confidence,
                                       u.user_id, u.day, u.ts, u.partner_id, u.transaction_id)) for u in updates)

    def execute(self, statements: Iterable[tuple[Any, Any]]) -> None:
        results = self.session.execute_concurrent(
            statements, concurrency=self.concurrency, raise_on_first_error=False)
        failures = [result for ok, result in results if not ok]
        if failures:
            raise WriteFailed(f"{len(failures)} statement(s) failed, first: {type(failures[0]).__name__}: "
                              f"{failures[0]}", failures) from failures[0]

    def _partition_batch(self, rows: Sequence[TransactionRow]) -> BatchStatement:
        batch = BatchStatement(batch_type=BatchType.UNLOGGED)
        batch.is_idempotent = True
        for row in rows:
            batch.add(self._facts, self._fact_values(row))
            batch.add(self._category, self._category_values(row, row.version_time))
        return batch

    @staticmethod
    def _fact_values(row: TransactionRow) -> tuple[Any, ...]:
        return (row.user_id, row.day, row.authorized_at, row.partner_id, row.transaction_id, row.account_number,
                row.card_id, row.amount, row.currency, row.status, row.authorized_at, _opt(row.settled_at),
                row.received_at, row.merchant_name, _opt(row.merchant_mcc), _opt(row.merchant_city),
                _opt(row.merchant_country), _opt(row.description), row.merchant_key,
                fact_timestamp(row.status, row.version_time))

    @staticmethod
    def _category_values(row: TransactionRow, decided_at: datetime) -> tuple[Any, ...]:
        return (category_timestamp(row.category_source, decided_at), row.category, row.category_source,
                row.category_confidence, row.user_id, row.day, row.authorized_at, row.partner_id, row.transaction_id)

    @staticmethod
    def _by_id_values(row: TransactionRow) -> tuple[Any, ...]:
        return (row.partner_id, row.transaction_id, row.user_id, row.day, row.authorized_at, row.account_number,
                row.status, row.amount, row.currency, row.authorized_at, _opt(row.settled_at), row.received_at,
                fact_timestamp(row.status, row.version_time))
