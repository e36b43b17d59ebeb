"""Properties, checked on many generated cases (Hypothesis): the webhook contract accepts every
valid transaction exactly as sent and answers anything else with a 4xx-kind error, the list
cursor round-trips and refuses any change, windows tile time in every zone across DST, and
amounts keep their value at their currency's scale."""

from __future__ import annotations

import json
import string
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.contract import (
    EARLIEST,
    BodyNotJson,
    InvalidBody,
    minor_units,
    parse_body,
    parse_transaction,
    transaction_payloads,
)
from service.history.amounts import format_amount
from service.history.cursor import Cursor, InvalidCursor, Key, Position, Query, decode, encode
from service.history.window import Window, last_days, local_midnight, month_window

# Zones with DST jumps at midnight, half-hour and 45-minute offsets, the date line.
ZONES = ["UTC", "Europe/Berlin", "America/Santiago", "Asia/Beirut", "America/Havana", "Australia/Lord_Howe",
         "Asia/Kathmandu", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/St_Johns", "Africa/Casablanca"]
CURRENCIES = sorted(minor_units())
NOW = datetime.now(UTC)

ids = st.text(string.ascii_letters + string.digits + "._:-", min_size=1, max_size=64)
accounts = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=34)
cards = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=32)
zones = st.sampled_from(ZONES).map(ZoneInfo)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timedelta(minutes=m))
instants = st.datetimes(min_value=datetime(1970, 1, 3), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@st.composite
def amounts(draw: st.DrawFn, currency: str) -> str:
    units = min(minor_units()[currency], 3)  # the wire format allows 3 decimals at most
    whole = draw(st.integers(0, 10**12 - 1))
    sign = draw(st.sampled_from(["", "-"]))
    if units == 0 or draw(st.booleans()):
        return f"{sign}{whole}"
    decimals = draw(st.integers(1, units))
    return f"{sign}{whole}.{draw(st.integers(0, 10**decimals - 1)):0{decimals}d}"


def wire_instant(moment: datetime, offset: timedelta) -> str:
    return moment.astimezone(timezone(offset)).isoformat()


@st.composite
def transactions(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(st.sampled_from(CURRENCIES))
    status = draw(st.sampled_from(["pending", "settled", "reversed"]))
    authorized = draw(st.datetimes(min_value=datetime(1970, 1, 3), max_value=NOW.replace(tzinfo=None),
                                   timezones=st.just(UTC)))
    tx: dict[str, Any] = {
        "transaction_id": draw(ids), "account_number": draw(accounts), "card_id": draw(cards),
        "amount": draw(amounts(currency)), "currency": currency, "status": status,
        "authorized_at": wire_instant(authorized, draw(offsets)),
        "merchant": {"name": draw(st.text(min_size=1, max_size=128)),
                     "mcc": draw(st.none() | st.from_regex(r"^[0-9]{4}$", fullmatch=True))},
    }
    if status == "settled":
        tx["settled_at"] = wire_instant(draw(st.datetimes(min_value=datetime(1970, 1, 3),
                                                          max_value=NOW.replace(tzinfo=None), timezones=st.just(UTC))),
                                        draw(offsets))
    if draw(st.booleans()):
        tx["description"] = draw(st.text(max_size=256))
    if draw(st.booleans()):
        tx["extra"] = draw(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                                        lambda inner: st.lists(inner, max_size=3), max_leaves=8))
    return tx


@given(st.lists(transactions(), min_size=1, max_size=5, unique_by=lambda t: t["transaction_id"]))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_every_valid_transaction_is_accepted_and_kept_as_sent(batch: list[dict[str, Any]]) -> None:
    raw = json.dumps({"transactions": batch}).encode()
    parsed = parse_body(raw)
    payloads = transaction_payloads(raw)
    assert [json.loads(p) for p in payloads] == batch  # the exact JSON of each, unknown fields kept
    for sent, got, payload in zip(batch, parsed, payloads, strict=True):
        assert got.transaction_id == sent["transaction_id"] and got.amount == sent["amount"]
        assert got.authorized_utc >= EARLIEST and got.authorized_utc.tzinfo is not None
        assert Decimal(got.amount).as_tuple().exponent >= -minor_units()[got.currency]
        assert parse_transaction(payload) == got  # a held payload drains to the same transaction


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)


@given(st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.lists(json_values, max_size=3).map(lambda items: json.dumps({"transactions": items}).encode()),
    st.lists(transactions(), min_size=1, max_size=2).flatmap(lambda batch: st.tuples(
        st.just(batch), st.sampled_from(["amount", "currency", "authorized_at", "status", "merchant", "card_id"]),
        json_values)).map(lambda b: json.dumps({"transactions": [{**b[0][0], b[1]: b[2]}, *b[0][1:]]}).encode()),
))
@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
def test_anything_else_is_refused_as_a_client_error_never_a_crash(raw: bytes) -> None:
    try:
        parse_body(raw)
    except (BodyNotJson, InvalidBody):
        return
    payloads = transaction_payloads(raw)  # accepted: then it must be storable as text, each alone
    assert all(isinstance(p, str) and parse_transaction(p) for p in payloads)


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


def test_the_instant_strategy_really_spans_zones() -> None:
    assert wire_instant(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=14)).endswith("+14:00")
