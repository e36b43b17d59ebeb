"""The sync cursor: signed, bound to its kind, round-trips every position it can hold."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from service.history import cursor as list_cursor
from service.history.cursor import InvalidCursor, Key
from service.history.sync import HORIZON, MAX_CURSOR_AGE, SyncCursor, decode, encode
from service.repositories.changes import MAX_ENTRY_DELAY

SECRET = "unit-secret"
AT = datetime(2026, 5, 1, 12, 30, 15, 123000, tzinfo=UTC)


@pytest.mark.parametrize("history", [None, (date(2026, 5, 1), None),
                                     (date(2026, 5, 1), Key(AT, "bank", "tx:1.a-b"))])
def test_a_cursor_round_trips(history: tuple[date, Key | None] | None) -> None:
    made = SyncCursor(uuid.uuid4(), history, (date(2026, 5, 1), AT, "bank", "tx-9"))
    assert decode(encode(made, SECRET), SECRET) == made


def test_a_tampered_forged_or_list_cursor_does_not_verify() -> None:
    token = encode(SyncCursor(uuid.uuid4(), None, (date(2026, 5, 1), AT, "", "")), SECRET)
    payload, signature = token.split(".")
    for bad in (f"{payload[:-1]}A.{signature}", f"{payload}.{'A' * len(signature)}", "nonsense",
                encode(SyncCursor(uuid.uuid4(), None, (date(2026, 5, 1), AT, "", "")), "another-secret")):
        with pytest.raises(InvalidCursor):
            decode(bad, SECRET)
    listing = list_cursor.Cursor(uuid.uuid4(), list_cursor.Query(30, None, None),
                                 list_cursor.Window(AT, AT), list_cursor.Position(date(2026, 5, 1), None))
    with pytest.raises(InvalidCursor):  # signed with the same secret, another context
        decode(list_cursor.encode(listing, SECRET), SECRET)


def test_the_horizon_covers_the_change_logs_delay_and_cursors_expire_before_entries() -> None:
    assert HORIZON >= MAX_ENTRY_DELAY * 2
    assert MAX_CURSOR_AGE.days < 32  # transaction_changes' TTL (cassandra/009_user_features.cql)
