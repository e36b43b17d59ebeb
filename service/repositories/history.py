"""A user's transactions as the API reads them (`transactions_by_user_day`, located through
`transactions_by_id`), and the category re-labels of `apply_to_past`.

Reads are single-partition and bounded by clustering ranges (the window's [start, end) on
`ts`, and a keyset position); a few partitions are read concurrently, in order, and the
caller stops consuming as soon as it has enough. Rows are filtered by card or status in
Python, never with ALLOW FILTERING. The driver's paging is used only inside one request.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from cassandra.cluster import ResponseFuture, Session

from service.repositories.transactions import Placement, TransactionRow, stored_date
from service.storage.failures import answered_for

# Partitions read ahead of the one being consumed. A dense user fills a page from the first
# partition and wastes at most this many small reads; a sparse user's 31 partitions cost
# about 31 / READ_AHEAD round trips instead of 31.
READ_AHEAD = 5
RELABEL_CONCURRENCY = 32

_COLUMNS = ("user_id, ts, partner_id, transaction_id, account_number, card_id, amount, currency, status, "
            "authorized_at, settled_at, received_at, merchant_name, merchant_mcc, merchant_city, merchant_country, "
            "description, merchant_key, category, category_source, category_confidence")
_TABLE = "transactions_by_user_day WHERE user_id = ? AND day = ?"



@dataclass(frozen=True)
class StoredKey:
    """The full primary key of a row of `transactions_by_user_day` (minus the user)."""

    day: date
    ts: datetime
    partner_id: str
    transaction_id: str


class HistoryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        # S608: the f-strings join module constants only; every value is a bound marker.
        self._range = session.prepare(f"SELECT {_COLUMNS} FROM {_TABLE} AND ts >= ? AND ts < ?")  # noqa: S608
        self._tail = session.prepare(
            f"SELECT {_COLUMNS} FROM {_TABLE} AND ts = ? AND (partner_id, transaction_id) > (?, ?)")  # noqa: S608
        self._one = session.prepare(
            f"SELECT {_COLUMNS} FROM {_TABLE} AND ts = ? AND partner_id = ? AND transaction_id = ?")  # noqa: S608
        self._locate = session.prepare(
            "SELECT user_id, day, ts FROM transactions_by_id WHERE partner_id = ? AND transaction_id = ?")
        self._merchants = session.prepare(
            f"SELECT ts, partner_id, transaction_id, merchant_key FROM {_TABLE}")  # noqa: S608
        self._relabel = session.prepare(
            "UPDATE transactions_by_user_day USING TIMESTAMP ? SET category = ?, category_source = ?, "
            "category_confidence = ? WHERE user_id = ? AND day = ? AND ts = ? AND partner_id = ? "
            "AND transaction_id = ?")
        self._days = session.prepare("SELECT day FROM user_days WHERE user_id = ?")
        self._ids = session.prepare(f"SELECT partner_id, transaction_id FROM {_TABLE}")  # noqa: S608
        self._by_id_version = session.prepare(
            "SELECT user_id, WRITETIME(status) AS written FROM transactions_by_id "
            "WHERE partner_id = ? AND transaction_id = ?")
        self._forget_by_id = session.prepare(
            "DELETE FROM transactions_by_id USING TIMESTAMP ? WHERE partner_id = ? AND transaction_id = ?")
        self._erase_day = session.prepare(
            "DELETE FROM transactions_by_user_day USING TIMESTAMP ? WHERE user_id = ? AND day = ?")
        self._erase_days = session.prepare("DELETE FROM user_days USING TIMESTAMP ? WHERE user_id = ?")
        self._versions = session.prepare(
            "SELECT ts, partner_id, transaction_id, account_number, WRITETIME(status) AS facts, "  # noqa: S608
            f"WRITETIME(category) AS labelled FROM {_TABLE}")
        self._forget_row = session.prepare(
            "DELETE FROM transactions_by_user_day USING TIMESTAMP ? WHERE user_id = ? AND day = ? AND ts = ? "
            "AND partner_id = ? AND transaction_id = ?")
        self._forget_label = session.prepare(
            "DELETE category, category_source, category_confidence FROM transactions_by_user_day USING TIMESTAMP ? "
            "WHERE user_id = ? AND day = ? AND ts = ? AND partner_id = ? AND transaction_id = ?")
        for statement in (self._range, self._tail, self._one, self._locate, self._merchants, self._relabel,
                          self._days, self._ids, self._by_id_version, self._forget_by_id, self._erase_day,
                          self._erase_days, self._versions, self._forget_row, self._forget_label):
            statement.is_idempotent = True

    def scan(self, user_id: uuid.UUID, days: Sequence[date], start: datetime, end: datetime, *,
             after: tuple[datetime, str, str] | None = None, fetch_size: int = 100,
             read_ahead: int = READ_AHEAD) -> Iterator[TransactionRow]:
        """Rows with start <= ts < end of the given day partitions, in list order (days as
        given, then ts DESC, partner_id, transaction_id). `after` = (ts, partner_id,
        transaction_id): on the first day, only rows that come after that key. Stop iterating
        at any time; reads still in flight are dropped."""
        segments = self._segments(user_id, days, start, end, after)
        in_flight: deque[ResponseFuture] = deque()

        def issue() -> None:
            segment = next(segments, None)
            if segment is not None:
                bound = segment[0].bind(segment[1])
                bound.fetch_size = fetch_size  # later pages are fetched only if consumed
                in_flight.append(self.session.execute_async(bound))

        for _ in range(read_ahead):
            issue()
        while in_flight:
            result = in_flight.popleft().result()
            issue()
            for row in result:
                yield _row(user_id, row)

    def _segments(self, user_id: uuid.UUID, days: Sequence[date], start: datetime, end: datetime,
                  after: tuple[datetime, str, str] | None) -> Iterator[tuple[Any, tuple[Any, ...]]]:
        for index, day in enumerate(days):
            if index == 0 and after is not None:
                ts, partner_id, transaction_id = after
                # The clustering order (ts DESC, partner_id ASC, transaction_id ASC) is mixed, so
                # "after this key" is two slices: the rest of the same ts, then every older ts.
                yield self._tail, (user_id, day, ts, partner_id, transaction_id)
                yield self._range, (user_id, day, start, min(ts, end))
            else:
                yield self._range, (user_id, day, start, end)

    def locate(self, partner_id: str, transaction_id: str) -> Placement | None:
        row = self.session.execute(self._locate, (partner_id, transaction_id)).one()
        if row is None or row.user_id is None:
            return None
        return Placement(row.user_id, stored_date(row.day), row.ts.replace(tzinfo=UTC))

    def get(self, user_id: uuid.UUID, located: Placement, partner_id: str,
            transaction_id: str) -> TransactionRow | None:
        row = self.session.execute(self._one, (user_id, located.day, located.ts, partner_id, transaction_id)).one()
        return _row(user_id, row) if row is not None else None

    def days_of(self, user_id: uuid.UUID) -> list[date]:
        """The UTC days that hold the user's transactions (`user_days`), newest first."""
        bound = self._days.bind((user_id,))
        bound.fetch_size = 5000
        return [stored_date(r.day) for r in self.session.execute(bound)]

    def current(self, user_id: uuid.UUID, keys: Sequence[tuple[str, str]],
                concurrency: int = 32) -> dict[tuple[str, str], TransactionRow]:
        """The stored row of each (partner_id, transaction_id) that is the user's now; absent
        keys are not (never stored, another user's, or deleted)."""
        found: dict[tuple[str, str], TransactionRow] = {}
        for start in range(0, len(keys), concurrency):
            chunk = keys[start:start + concurrency]
            located = [(key, self.session.execute_async(self._locate, key)) for key in chunk]
            reads = []
            for key, future in located:
                row = future.result().one()
                if row is not None and row.user_id == user_id:
                    reads.append((key, self.session.execute_async(
                        self._one, (user_id, stored_date(row.day), row.ts, *key))))
            for key, future in reads:
                row = future.result().one()
                if row is not None:
                    found[key] = _row(user_id, row)
        return found

    def erase(self, user_id: uuid.UUID, days: Sequence[date], write_timestamp: int, concurrency: int = 16) -> int:
        """Deletes every transaction of the user in these day partitions: each one's
        `transactions_by_id` row as of the version stored (a later version of the id, stored
        once another user links the account, is theirs), then the partitions and `user_days`
        as of `write_timestamp` (service/repositories/transactions.py: ERASED_RANK). Returns
        how many transactions."""
        erased = 0
        for start in range(0, len(days), concurrency):
            chunk = days[start:start + concurrency]
            listed = [self.session.execute_async(self._ids, (user_id, day)) for day in chunk]
            keys = [(r.partner_id, r.transaction_id) for future in listed for r in future.result()]
            versions = [(key, self.session.execute_async(self._by_id_version, key)) for key in keys]
            forget = []
            for key, future in versions:
                row = future.result().one()
                if row is not None and row.user_id == user_id and row.written is not None:
                    forget.append((self._forget_by_id, (row.written, *key)))
            self._execute(forget + [(self._erase_day, (write_timestamp, user_id, day)) for day in chunk])
            erased += len(keys)
        self._execute([(self._erase_days, (write_timestamp, user_id))])
        return erased

    def forget_account(self, user_id: uuid.UUID, days: Sequence[date], partner_id: str, account_number: str,
                       read_ahead: int = 16) -> list[tuple[str, str]]:
        """Deletes the user's transactions of one account from these day partitions and from
        `transactions_by_id`, each as of the version stored (facts and category cells by their
        own write timestamps): a later version the bank sends once the account is linked again
        is stored anew. Returns the (partner_id, transaction_id) deleted."""
        forgotten: list[tuple[str, str]] = []
        for start in range(0, len(days), read_ahead):
            chunk = days[start:start + read_ahead]
            futures = [(day, self.session.execute_async(self._versions, (user_id, day))) for day in chunk]
            statements: list[tuple[Any, Any]] = []
            for day, future in futures:
                for r in future.result():
                    if r.partner_id != partner_id or r.account_number != account_number or r.facts is None:
                        continue
                    row_key = (user_id, day, r.ts, r.partner_id, r.transaction_id)
                    statements.append((self._forget_row, (r.facts, *row_key)))
                    if r.labelled is not None and r.labelled > r.facts:
                        statements.append((self._forget_label, (r.labelled, *row_key)))
                    forgotten.append((r.partner_id, r.transaction_id))
            self._execute(statements)
        versions = [(key, self.session.execute_async(self._by_id_version, key)) for key in forgotten]
        by_id = []
        for key, future in versions:
            row = future.result().one()
            if row is not None and row.user_id == user_id and row.written is not None:
                by_id.append((self._forget_by_id, (row.written, *key)))
        self._execute(by_id)
        return forgotten

    def _execute(self, statements: Sequence[tuple[Any, Any]]) -> None:
        results = self.session.execute_concurrent(statements, concurrency=RELABEL_CONCURRENCY,
                                                  raise_on_first_error=False)
        failures = [result for ok, result in results if not ok]
        if failures:
            raise failures[0]

    def keys_of_merchant(self, user_id: uuid.UUID, days: Sequence[date], merchant_key: str,
                         read_ahead: int = 16) -> list[StoredKey]:
        """Keys of the user's rows of one merchant in these day partitions (key columns only)."""
        found: list[StoredKey] = []
        for start in range(0, len(days), read_ahead):
            batch = days[start:start + read_ahead]
            futures = [(day, self.session.execute_async(self._merchants, (user_id, day))) for day in batch]
            for day, future in futures:
                found.extend(StoredKey(day, r.ts.replace(tzinfo=UTC), r.partner_id, r.transaction_id)
                             for r in future.result() if r.merchant_key == merchant_key)
        return found

    def relabel(self, user_id: uuid.UUID, keys: Sequence[StoredKey], *, category: str, source: str,
                confidence: float, write_timestamp: int) -> None:
        """Sets the category cells of these rows USING TIMESTAMP `write_timestamp`, so a later
        write by a lower classification layer (a lower timestamp) cannot undo it."""
        self._execute([(self._relabel, (write_timestamp, category, source, confidence, user_id, k.day, k.ts,
                                        k.partner_id, k.transaction_id)) for k in keys])


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None


def _row(user_id: uuid.UUID, r: Any) -> TransactionRow:
    answered_for(r, "transactions_by_user_day", user_id=user_id)  # never another user's row in this list
    return TransactionRow(
        user_id=user_id, partner_id=r.partner_id, transaction_id=r.transaction_id, account_number=r.account_number,
        card_id=r.card_id, amount=r.amount, currency=r.currency, status=r.status,
        authorized_at=r.ts.replace(tzinfo=UTC), settled_at=_utc(r.settled_at),
        received_at=_utc(r.received_at) or r.ts.replace(tzinfo=UTC), merchant_name=r.merchant_name or "",
        merchant_mcc=r.merchant_mcc, merchant_city=r.merchant_city, merchant_country=r.merchant_country,
        description=r.description, merchant_key=r.merchant_key or "", category=r.category or "other",
        category_source=r.category_source or "fallback", category_confidence=float(r.category_confidence or 0.0))
