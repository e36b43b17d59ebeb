"""The list cursor: where the next page of `GET /me/transactions` starts, signed.

It carries the full position (the UTC day partition and, within it, the clustering key
(ts, partner_id, transaction_id) of the last row returned, or none to start the day from the
top) and binds what the page belongs to: the user, the filters and the window (frozen at the
first page, so paging across midnight never shifts it). The partitions still to read are the
days from the position's day down to the window's first day.

Format: service.signed_payloads with the context "tally-cursor-v1.". Never the driver's
paging_state. Anything that does not verify raises InvalidCursor (HTTP 400).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from service import signed_payloads
from service.history.window import Window

_CONTEXT = b"tally-cursor-v1."
MAX_CURSOR_CHARS = 2048


class InvalidCursor(ValueError):
    """Forged, tampered, truncated, or issued for another user, query or window."""


class Key(NamedTuple):
    """A row's clustering key inside its (user_id, day) partition."""

    ts: datetime
    partner_id: str
    transaction_id: str


@dataclass(frozen=True)
class Position:
    day: date
    after: Key | None  # None: the day has not been started


@dataclass(frozen=True)
class Query:
    """What a cursor is bound to besides the user and the window."""

    days: int
    card_id: str | None
    status: str | None


@dataclass(frozen=True)
class Cursor:
    user_id: uuid.UUID
    query: Query
    window: Window
    position: Position


def encode(cursor: Cursor, secret: str) -> str:
    return signed_payloads.encode(_to_json(cursor), secret, _CONTEXT)


def verified(token: str, secret: str, context: bytes, max_chars: int) -> Any:
    """The payload of a signed cursor (the list's or the sync feed's), once its signature
    verified. Raises InvalidCursor saying what is wrong with it."""
    try:
        return signed_payloads.decode(token, secret, context, max_chars)
    except signed_payloads.Malformed:
        raise InvalidCursor("the cursor is malformed") from None
    except signed_payloads.Unverified:
        raise InvalidCursor("the cursor's signature does not verify") from None
    except signed_payloads.Unreadable as exc:
        raise InvalidCursor("the cursor cannot be read") from exc


def decode(token: str, secret: str) -> Cursor:
    """The cursor, once its signature verified. Raises InvalidCursor."""
    data = verified(token, secret, _CONTEXT, MAX_CURSOR_CHARS)
    try:
        return _from_json(data)
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # signed but unreadable: another version
        raise InvalidCursor("the cursor cannot be read") from exc


def check_binding(cursor: Cursor, user_id: uuid.UUID, query: Query) -> None:
    """Raises InvalidCursor unless the cursor was issued for this user and these filters."""
    if cursor.user_id != user_id:
        raise InvalidCursor("the cursor was not issued to this user")
    if cursor.query != query:
        raise InvalidCursor("the cursor belongs to another query (days, card_id and status must not change)")


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _to_json(cursor: Cursor) -> dict[str, Any]:
    after = cursor.position.after
    return {"u": str(cursor.user_id),
            "q": [cursor.query.days, cursor.query.card_id, cursor.query.status],
            "w": [_ms(cursor.window.start), _ms(cursor.window.end)],
            "p": [cursor.position.day.isoformat(),
                  None if after is None else [_ms(after.ts), after.partner_id, after.transaction_id]]}


def _from_json(data: dict[str, Any]) -> Cursor:
    days, card_id, status = data["q"]
    start, end = data["w"]
    day, after = data["p"]
    key = None if after is None else Key(_at(int(after[0])), str(after[1]), str(after[2]))
    return Cursor(uuid.UUID(data["u"]), Query(int(days), card_id, status),
                  Window(_at(int(start)), _at(int(end))), Position(date.fromisoformat(day), key))
