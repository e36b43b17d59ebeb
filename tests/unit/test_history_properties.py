"""Properties of the history helpers, checked on many generated cases (Hypothesis): the list
cursor round-trips and refuses any change, windows tile time in every zone across DST, and
amounts keep their value at their currency's scale."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from service.contract import minor_units
from service.history.amounts import format_amount
from service.history.cursor import Cursor, InvalidCursor, Key, Position, Query, decode, encode
from service.history.window import Window, last_days, local_midnight, month_window
from tests.unit.test_contract_properties import CURRENCIES, amounts, cards, ids, instants

# Zones with DST jumps at midnight, half-hour and 45-minute offsets, the date line.
ZONES = ["UTC", "Europe/Berlin", "America/Santiago", "Asia/Beirut", "America/Havana", "Australia/Lord_Howe",
         "Asia/Kathmandu", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/St_Johns", "Africa/Casablanca"]
zones = st.sampled_from(ZONES).map(ZoneInfo)

cursors = st.builds(
    Cursor, st.uuids(),
    st.builds(Query, st.integers(1, 400), st.none() | cards, st.none() | st.sampled_from(["pending", "settled"])),
    st.builds(lambda start, length: Window(start, start + timedelta(days=length)), instants, st.integers(1, 400)),
    st.builds(Position, st.dates(date(1970, 1, 3), date(2100, 1, 1)),
              st.none() | st.builds(Key, instants.map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000)),
                                    ids, ids)))


def _ms(cursor: Cursor) -> Cursor:
    """What survives the millisecond precision of Cassandra timestamps (and of the cursor)."""
    def cut(moment: datetime) -> datetime:
        return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return Cursor(cursor.user_id, cursor.query, Window(cut(cursor.window.start), cut(cursor.window.end)),
                  cursor.position)


@given(cursors, st.text(min_size=1, max_size=40))
def test_a_cursor_round_trips(cursor: Cursor, secret: str) -> None:
    assert decode(encode(_ms(cursor), secret), secret) == _ms(cursor)


@given(cursors, st.data())
@settings(max_examples=300)
def test_any_change_to_a_cursor_is_refused(cursor: Cursor, data: st.DataObject) -> None:
    token = encode(cursor, "secret")
    dot = token.index(".")  # the ends of both parts carry the base64 padding bits: try them often
    at = data.draw(st.sampled_from([0, dot - 1, dot, dot + 1, len(token) - 1]) | st.integers(0, len(token) - 1))
    replacement = data.draw(st.sampled_from(string.ascii_letters + string.digits + "-_.=").filter(
        lambda c: c != token[at]))
    changed = token[:at] + replacement + token[at + 1:]
    try:
        decode(changed, "secret")
    except InvalidCursor:
        return
    raise AssertionError(f"a changed cursor was accepted: position {at} {token[at]!r} -> {replacement!r}")


@given(zones, st.dates(date(1971, 1, 1), date(2090, 12, 1)), st.integers(1, 400))
@settings(max_examples=300)
def test_last_days_spans_exactly_that_many_local_days_in_any_zone(zone: ZoneInfo, today: date, days: int) -> None:
    now = local_midnight(today, zone) + timedelta(hours=12)
    window = last_days(days, zone, now)
    assert window.start.astimezone(zone).date() == today - timedelta(days=days - 1)
    assert window.end.astimezone(zone).date() == today + timedelta(days=1)
    assert window.contains(now) and window.start < window.end
    partitions = window.utc_days()
    assert partitions[0] == (window.end - timedelta(milliseconds=1)).astimezone(UTC).date()
    assert partitions[-1] == window.start.astimezone(UTC).date()
    assert len(partitions) == len(set(partitions)) and partitions == sorted(partitions, reverse=True)


@given(zones, st.integers(1970, 2090), st.integers(1, 12))
def test_consecutive_months_tile_time_without_gap_or_overlap(zone: ZoneInfo, year: int, month: int) -> None:
    this = month_window(f"{year}-{month:02d}", zone)
    following = month_window(f"{year + month // 12}-{month % 12 + 1:02d}", zone)
    assert this.end == following.start
    assert this.start.astimezone(zone).day == 1 and this.start.astimezone(zone).month == month


@given(st.sampled_from(CURRENCIES).flatmap(lambda c: st.tuples(st.just(c), st.lists(amounts(c), max_size=50))))
def test_amounts_keep_their_value_at_the_currency_scale(case: tuple[str, list[str]]) -> None:
    currency, texts = case
    units = minor_units()[currency]
    for text in texts:
        shown = format_amount(Decimal(text), currency)
        assert Decimal(shown) == Decimal(text)
        assert len(shown.partition(".")[2]) == units and "E" not in shown and shown != "-0" * 1
    total = sum((Decimal(t) for t in texts), Decimal(0))
    assert Decimal(format_amount(total, currency)) == total  # a sum of 50 maximal amounts stays exact
