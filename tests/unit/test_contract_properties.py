"""Properties of the webhook contract, checked on many generated cases (Hypothesis): every
valid transaction is accepted exactly as sent (and drains from its held payload to the same
transaction), anything else is refused as a client error (400/422), never a crash, and the
quick checks of the webhook's hot path accept and refuse (with the same details) exactly what
the contract's value-by-value checks do."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.contract import (
    _BODY,
    EARLIEST,
    FORMATS,
    BodyNotJson,
    InvalidBody,
    _inconsistencies,
    _structure_problems,
    minor_units,
    parse_body,
    parse_transaction,
    transaction_payloads,
)

CURRENCIES = sorted(minor_units())
NOW = datetime.now(UTC)

ids = st.text(string.ascii_letters + string.digits + "._:-", min_size=1, max_size=64)
accounts = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=34)
cards = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=32)
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


def test_generated_instants_carry_every_zone_offset() -> None:
    assert wire_instant(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=14)).endswith("+14:00")
    assert wire_instant(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=-14)).startswith("2025-12-31T10:00")


def verdict(raw: bytes) -> Any:
    """What parse_body says: "accepted", or the details of its refusal."""
    try:
        parse_body(raw)
    except InvalidBody as refused:
        return refused.details
    return "accepted"


def contract_verdict(raw: bytes) -> Any:
    """The same, checked the long way: every value by Body's own decoder (one regex call per
    value), then every rule transaction by transaction."""
    try:
        details = _inconsistencies(_BODY.decode(raw).transactions)
    except msgspec.ValidationError:
        details = _structure_problems(raw)
    return details or "accepted"




def near_misses(field: str) -> st.SearchStrategy[str]:
    """Values around a field's format: two valid ones joined by a newline (which a check of the
    joined values could take for two), by other separators, or nothing but odd characters."""
    valid = st.from_regex(FORMATS[field], fullmatch=True)
    return (st.tuples(valid, st.sampled_from(["", "\n", "\n\n", " ", "\u0663"]), valid | st.just(""))
            .map("".join) | st.text(string.ascii_letters + string.digits + "._:- \n\u0663\u00e9", max_size=70))


near_bounds = st.sampled_from([EARLIEST - timedelta(microseconds=1), EARLIEST, NOW + timedelta(days=1),
                               NOW + timedelta(days=2), NOW + timedelta(minutes=6)])


@given(st.lists(transactions(), min_size=1, max_size=3), st.integers(0, 2),
       st.sampled_from(sorted(FORMATS)).flatmap(lambda field: st.tuples(st.just(field), near_misses(field))))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_the_quick_format_checks_decide_as_the_contract_does(batch: list[dict[str, Any]], which: int,
                                                              change: tuple[str, str]) -> None:
    field, value = change
    target = batch[which % len(batch)]
    if field == "merchant.mcc":
        target["merchant"] = {**target["merchant"], "mcc": value}
    else:
        target[field] = value
    raw = json.dumps({"transactions": batch}).encode()
    assert verdict(raw) == contract_verdict(raw)


@given(st.lists(transactions(), min_size=1, max_size=3), st.integers(0, 2),
       st.sampled_from(["authorized_at", "settled_at", "updated_at", "status", "amount", "transaction_id"]),
       near_bounds, offsets, st.sampled_from(["pending", "settled", "reversed"]))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_the_quick_rule_checks_decide_as_the_contract_does(batch: list[dict[str, Any]], which: int, rule: str,
                                                            moment: datetime, offset: timedelta, status: str) -> None:
    target = batch[which % len(batch)]
    if rule in ("authorized_at", "settled_at", "updated_at"):
        target[rule] = wire_instant(moment, offset)
    elif rule == "status":
        target["status"] = status
    elif rule == "amount":
        target["amount"] = "-1.005"  # more decimals than most currencies have
    else:
        target["transaction_id"] = batch[0]["transaction_id"]  # a repeated id when it is not the first
    raw = json.dumps({"transactions": batch}).encode()
    assert verdict(raw) == contract_verdict(raw)
