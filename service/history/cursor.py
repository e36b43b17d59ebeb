"""The list cursor: where the next page of `GET /me/transactions` starts, signed.

It carries the full position (the UTC day partition and, within it, the clustering key
(ts, partner_id, transaction_id) of the last row returned, or none to start the day from the
top) and binds what the page belongs to: the user, the filters and the window (frozen at the
first page, so paging across midnight never shifts it). The partitions still to read are the
days from the position's day down to the window's first day.

Format: base64url(compact JSON) "." base64url(HMAC-SHA256(secret, "tally-cursor-v1." + payload)).
Never the driver's paging_state. Anything that does not verify raises InvalidCursor (HTTP 400).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

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
    payload = _b64(json.dumps(_to_json(cursor), separators=(",", ":")).encode())
    return f"{payload}.{_b64(_sign(payload, secret))}"


def decode(token: str, secret: str) -> Cursor:
    """The cursor, once its signature verified. Raises InvalidCursor."""
    payload, dot, signature = token.partition(".")
    if not dot or len(token) > MAX_CURSOR_CHARS:
        raise InvalidCursor("the cursor is malformed")
    try:
        expected = _b64(_sign(payload, secret))
        # Compared as text: base64 leaves a few bits of the last character unused, so another
        # character there would decode to the same bytes and a changed cursor would verify.
        valid = hmac.compare_digest(signature.encode(), expected.encode())
    except (binascii.Error, ValueError):
        valid = False
    if not valid:
        raise InvalidCursor("the cursor's signature does not verify")
    try:
        return _from_json(json.loads(_unb64(payload)))
    except (ValueError, KeyError, TypeError, IndexError) as exc:  # signed but unreadable: another version
        raise InvalidCursor("the cursor cannot be read") from exc


def check_binding(cursor: Cursor, user_id: uuid.UUID, query: Query) -> None:
    """Raises InvalidCursor unless the cursor was issued for this user and these filters."""
    if cursor.user_id != user_id:
        raise InvalidCursor("the cursor was not issued to this user")
    if cursor.query != query:
        raise InvalidCursor("the cursor belongs to another query (days, card_id and status must not change)")


def _sign(payload: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), _CONTEXT + payload.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


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
