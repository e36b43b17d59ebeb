"""`GET /me/transactions/sync`: a feed an app keeps a local copy with, after Plaid's
/transactions/sync (docs/api.md, "The sync feed").

A cursor is a position, signed like the list cursor (service/signed_payloads.py). The first
call (no cursor) pages through the user's history — every stored transaction as `added`, day
partition by day partition (`user_days`), newest first — and then the change log
(`transaction_changes`, service/repositories/changes.py) from the moment the first call was
made, less the horizon. From then on a cursor is a position in the change log.

The horizon. Two consumers may race: an entry stamped earlier can commit after one stamped
later was already read. The change log guarantees that every change has an entry committed
within MAX_ENTRY_DELAY of its stamp, and the feed hands out only entries stamped before
`now - HORIZON`, with HORIZON above that plus the clocks' skew between writers and readers:
nothing can still arrive behind a position the feed has passed. An app sees a change at most
HORIZON after it happened.

A page holds each transaction once, in its current form read from the transaction tables
(overrides merged), however many entries it had (redeliveries and retries duplicate entries):
`added` when one of its entries in the page is its first storing, `modified` otherwise,
`removed` when it is no longer the user's (an account unlinked with `forget`). Apps apply
`added` and `modified` alike as upserts by (partner_id, transaction_id): a transaction can come
again in a later page when it changed again, or when a duplicate entry falls there.

Entries live 32 days; a cursor whose position is older than MAX_CURSOR_AGE (31 days) answers
400 `cursor_expired`: the app starts again without a cursor.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import islice

from service import signed_payloads
from service.history.cursor import InvalidCursor, Key, verified
from service.history.rows import Labelled, merge
from service.repositories.changes import ADDED, MAX_ENTRY_DELAY, ChangeLogRepository
from service.repositories.history import HistoryRepository
from service.repositories.overrides import CategoryOverrideRepository
from service.repositories.transactions import TransactionRow

HORIZON = timedelta(seconds=15)  # > MAX_ENTRY_DELAY (5 s) + clock skew between hosts (NTP: far under 10 s)
MAX_CURSOR_AGE = timedelta(days=31)
DEFAULT_COUNT, MAX_COUNT = 100, 500
HISTORY_PARTITIONS = 62  # day partitions one history page reads at most (a few in flight)
_CONTEXT = b"tally-sync-v1."
MAX_CURSOR_CHARS = 1024
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_END = datetime(9999, 12, 31, tzinfo=UTC)

assert HORIZON > MAX_ENTRY_DELAY  # noqa: S101 - the feed's correctness rests on it

TransactionKey = tuple[str, str]
LogPosition = tuple[date, datetime, str, str]  # (day, changed_at, partner_id, transaction_id), exclusive


class CursorExpired(ValueError):
    """The cursor is older than the change log keeps: resync from scratch (no cursor)."""


@dataclass(frozen=True)
class SyncCursor:
    user_id: uuid.UUID
    history: tuple[date, Key | None] | None  # the next history page's start; None: history done
    log: LogPosition  # everything up to here (inclusive) has been handed out


@dataclass(frozen=True)
class SyncPage:
    added: list[Labelled]
    modified: list[Labelled]
    removed: list[TransactionKey]
    next_cursor: str
    has_more: bool


def _ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def sync(history: HistoryRepository, changes: ChangeLogRepository, overrides: CategoryOverrideRepository, *,
         user_id: uuid.UUID, cursor: str | None, count: int, secret: str, now: datetime,
         horizon: timedelta = HORIZON) -> SyncPage:
    """One page. Raises InvalidCursor (forged, tampered, another user's) or CursorExpired.
    `horizon` must exceed the change log's max_delay plus the clocks' skew (tests shorten both)."""
    now = now.astimezone(UTC)
    if cursor:
        position = decode(cursor, secret)
        if position.user_id != user_id:
            raise InvalidCursor("the cursor was not issued to this user")
        if position.log[1] < now - MAX_CURSOR_AGE:
            raise CursorExpired("the cursor is older than 31 days: start again without a cursor")
    else:
        start = _ms(now - horizon)
        days = history.days_of(user_id)
        position = SyncCursor(user_id, (days[0], None) if days else None, (start.date(), start, "", ""))
    if position.history is not None:
        return _history_page(history, overrides, position, count, secret)
    return _log_page(history, changes, overrides, position, count=count, secret=secret, now=now, horizon=horizon)


def _history_page(history: HistoryRepository, overrides: CategoryOverrideRepository, position: SyncCursor,
                  count: int, secret: str) -> SyncPage:
    assert position.history is not None  # noqa: S101 - the caller's branch
    day, after = position.history
    days = [d for d in history.days_of(position.user_id) if d <= day]
    planned = days[:HISTORY_PARTITIONS]
    start_after = (after.ts, after.partner_id, after.transaction_id) if after and planned and planned[0] == day \
        else None
    scan = history.scan(position.user_id, planned, _EPOCH, _END, after=start_after, fetch_size=count + 1)
    rows = list(islice(scan, count + 1))
    page = rows[:count]
    following: tuple[date, Key | None] | None = None
    if len(rows) > count:
        last = page[-1]
        following = (last.day, Key(last.authorized_at, last.partner_id, last.transaction_id))
    elif len(days) > len(planned):
        following = (days[len(planned)], None)
    # History done: one more call reads the changes made since the first call (has_more).
    next_cursor = encode(SyncCursor(position.user_id, following, position.log), secret)
    return SyncPage(_labelled(overrides, position.user_id, page), [], [], next_cursor, True)


def _log_page(history: HistoryRepository, changes: ChangeLogRepository, overrides: CategoryOverrideRepository,
              position: SyncCursor, *, count: int, secret: str, now: datetime, horizon: timedelta) -> SyncPage:
    until = _ms(now - horizon)
    first_day = position.log[0]
    days = [first_day + timedelta(days=n) for n in range((until.date() - first_day).days + 1)]
    chosen: dict[TransactionKey, str] = {}
    last: LogPosition | None = None
    more = False
    for entry in changes.entries(position.user_id, days, position.log, until):
        key = (entry.partner_id, entry.transaction_id)
        if key not in chosen and len(chosen) == count:
            more = True
            break
        chosen[key] = ADDED if ADDED in (entry.kind, chosen.get(key)) else entry.kind
        last = entry.position
    if more:
        assert last is not None  # noqa: S101 - count >= 1: the first entry is always taken
        following = last
    else:  # every entry before the horizon was read: start there next time
        following = max(last or position.log, (until.date(), until, "", ""))
    current = history.current(position.user_id, list(chosen))
    labelled = {(item.row.partner_id, item.row.transaction_id): item
                for item in _labelled(overrides, position.user_id, list(current.values()))}
    added = [labelled[key] for key, kind in chosen.items() if key in labelled and kind == ADDED]
    modified = [labelled[key] for key, kind in chosen.items() if key in labelled and kind != ADDED]
    removed = [key for key in chosen if key not in labelled]
    next_cursor = encode(SyncCursor(position.user_id, None, following), secret)
    return SyncPage(added, modified, removed, next_cursor, more)


def _labelled(overrides: CategoryOverrideRepository, user_id: uuid.UUID, rows: list[TransactionRow]) -> list[Labelled]:
    if not rows:
        return []
    return merge(rows, overrides.of_months(user_id, {row.authorized_at.strftime("%Y-%m") for row in rows}))


# -- the cursor --------------------------------------------------------------------------------
def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _to_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def encode(cursor: SyncCursor, secret: str) -> str:
    history = None
    if cursor.history is not None:
        day, after = cursor.history
        history = [day.isoformat(), None if after is None else [_to_ms(after.ts), after.partner_id,
                                                                 after.transaction_id]]
    day, changed_at, partner_id, transaction_id = cursor.log
    payload = {"u": str(cursor.user_id), "h": history,
               "l": [day.isoformat(), _to_ms(changed_at), partner_id, transaction_id]}
    return signed_payloads.encode(payload, secret, _CONTEXT)


def decode(token: str, secret: str) -> SyncCursor:
    """Raises InvalidCursor for anything that does not verify or cannot be read."""
    data = verified(token, secret, _CONTEXT, MAX_CURSOR_CHARS)
    try:
        history = None
        if data["h"] is not None:
            day, after = data["h"]
            key = None if after is None else Key(_at(int(after[0])), str(after[1]), str(after[2]))
            history = (date.fromisoformat(day), key)
        day, changed_at, partner_id, transaction_id = data["l"]
        return SyncCursor(uuid.UUID(data["u"]), history,
                          (date.fromisoformat(day), _at(int(changed_at)), str(partner_id), str(transaction_id)))
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise InvalidCursor("the cursor cannot be read") from exc
