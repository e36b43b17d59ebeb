"""The list cursor: round trip, signature, tampering, binding."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, date, datetime

import pytest

from service.history.cursor import Cursor, InvalidCursor, Key, Position, Query, check_binding, decode, encode
from service.history.window import Window

SECRET = "unit-test-cursor-secret"
USER = uuid.UUID("00000000-0000-0000-0000-000000000042")
QUERY = Query(days=30, card_id="card-1", status=None)
WINDOW = Window(datetime(2026, 4, 1, 22, tzinfo=UTC), datetime(2026, 5, 1, 22, tzinfo=UTC))
KEY = Key(datetime(2026, 4, 20, 12, 30, 5, 123000, tzinfo=UTC), "bank-a", "tx:1.2-3")


def _cursor(after: Key | None = KEY) -> Cursor:
    return Cursor(USER, QUERY, WINDOW, Position(date(2026, 4, 20), after))


def test_round_trip_keeps_the_full_key_and_the_window() -> None:
    for cursor in (_cursor(), _cursor(None)):
        token = encode(cursor, SECRET)
        assert decode(token, SECRET) == cursor
        assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def _payload(token: str) -> dict:  # type: ignore[type-arg]
    part = token.split(".", maxsplit=1)[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _with_payload(token: str, data: dict) -> str:  # type: ignore[type-arg]
    part = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{part}.{token.split('.')[1]}"


@pytest.mark.parametrize("change", [
    lambda d: d.update(u=str(uuid.uuid4())),
    lambda d: d["q"].__setitem__(0, 400),
    lambda d: d["w"].__setitem__(0, d["w"][0] - 86_400_000),
    lambda d: d["p"].__setitem__(0, "2026-04-21"),
    lambda d: d["p"][1].__setitem__(2, "tx:other"),
])
def test_any_edit_of_a_signed_payload_is_refused(change) -> None:  # type: ignore[no-untyped-def]
    token = encode(_cursor(), SECRET)
    data = _payload(token)
    change(data)
    with pytest.raises(InvalidCursor):
        decode(_with_payload(token, data), SECRET)


@pytest.mark.parametrize("token", ["", "abc", "abc.", ".abc", "a.b.c", "!!!.###", "x" * 5000])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(InvalidCursor):
        decode(token, SECRET)


def test_another_secret_or_a_truncated_signature_is_refused() -> None:
    token = encode(_cursor(), SECRET)
    with pytest.raises(InvalidCursor):
        decode(token, "another-secret")
    with pytest.raises(InvalidCursor):
        decode(token[:-2], SECRET)


def test_binding_to_user_and_filters() -> None:
    cursor = _cursor()
    check_binding(cursor, USER, QUERY)
    with pytest.raises(InvalidCursor):
        check_binding(cursor, uuid.uuid4(), QUERY)
    for other in (Query(31, "card-1", None), Query(30, None, None), Query(30, "card-1", "settled")):
        with pytest.raises(InvalidCursor):
            check_binding(cursor, USER, other)


def test_no_other_last_character_of_either_part_verifies() -> None:
    """base64 leaves bits of a last character unused: another character there decodes to the
    same bytes, so the signature is compared as text."""
    token = encode(_cursor(), SECRET)
    payload, signature = token.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for other in alphabet.replace(signature[-1], ""):
        with pytest.raises(InvalidCursor):
            decode(f"{payload}.{signature[:-1]}{other}", SECRET)
    for other in alphabet.replace(payload[-1], ""):
        with pytest.raises(InvalidCursor):
            decode(f"{payload[:-1]}{other}.{signature}", SECRET)
