"""`GET /me/transactions`: newest first over the user's (user_id, day) partitions.

A page reads at most MAX_PARTITIONS day partitions (a few in flight at a time, in order) and
stops as soon as it holds `limit + 1` matching rows (the extra row only says "there is more").
So a page may be short, or empty, and still carry a cursor: the partitions left to read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from service.history import cursor as cursors
from service.history.cursor import Cursor, Key, Position, Query
from service.history.rows import Labelled, merge
from service.history.window import Window, last_days
from service.repositories.history import HistoryRepository
from service.repositories.overrides import CategoryOverrideRepository
from service.repositories.transactions import TransactionRow

MAX_PARTITIONS = 31
STATUSES = ("pending", "settled", "reversed")
DEFAULT_DAYS, MAX_DAYS = 30, 400
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
FILTERED_FETCH_SIZE = 500  # with a filter, rows are skipped in Python: fetch more per round trip


@dataclass(frozen=True)
class ListRequest:
    user_id: uuid.UUID
    time_zone: str
    query: Query
    limit: int
    cursor: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[Labelled]
    next_cursor: str | None


def list_transactions(history: HistoryRepository, overrides: CategoryOverrideRepository, request: ListRequest,
                      secret: str, now: datetime) -> Page:
    """One page. Raises cursor.InvalidCursor for a cursor that does not verify or was issued
    for another user, filters or `days`."""
    window, position = _start(request, secret, now)
    days = [day for day in window.utc_days() if day <= position.day]
    planned, later = days[:MAX_PARTITIONS], days[MAX_PARTITIONS:]
    query = request.query
    # The overrides of every month the read may touch, fetched while the days are read.
    overridden = overrides.of_months_async(request.user_id, {day.strftime('%Y-%m') for day in planned})
    filtered = query.card_id is not None or query.status is not None
    scan = history.scan(request.user_id, planned, window.start, window.end, after=position.after,
                        fetch_size=FILTERED_FETCH_SIZE if filtered else request.limit + 1)
    rows = list(islice(_matching(scan, query), request.limit + 1))
    page = rows[:request.limit]
    following = _next_position(page, len(rows) > request.limit, later)
    next_cursor = None
    if following is not None:
        next_cursor = cursors.encode(Cursor(request.user_id, query, window, following), secret)
    return Page(merge(page, overridden()), next_cursor)


def _start(request: ListRequest, secret: str, now: datetime) -> tuple[Window, Position]:
    if request.cursor:
        cursor = cursors.decode(request.cursor, secret)
        cursors.check_binding(cursor, request.user_id, request.query)
        return cursor.window, cursor.position
    window = last_days(request.query.days, ZoneInfo(request.time_zone), now)
    return window, Position(window.utc_days()[0], None)


def _matching(rows: Iterable[TransactionRow], query: Query) -> Iterator[TransactionRow]:
    for row in rows:
        if query.card_id is not None and row.card_id != query.card_id:
            continue
        if query.status is not None and row.status != query.status:
            continue
        yield row


def _next_position(page: list[TransactionRow], more_read: bool, later: list[date]) -> Position | None:
    """After the last row returned when more rows were seen; else the first partition this
    request did not read; else the end."""
    if more_read:
        last = page[-1]
        return Position(last.day, Key(last.authorized_at, last.partner_id, last.transaction_id))
    if later:
        return Position(later[0], None)
    return None
