"""The webhook contract at the door: whatever it accepts can be stored, and every refusal names
the transaction and the field (service/contract.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.contract import BodyNotJson, InvalidBody, parse_body, parse_transaction, transaction_payloads


def tx(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "transaction_id": "tx-1", "account_number": "ACC-1", "card_id": "card-1", "amount": "-12.50",
        "currency": "EUR", "status": "pending", "authorized_at": "2026-11-30T10:00:00+01:00",
        "merchant": {"name": "ACME", "mcc": "5411"}}
    base.update(fields)
    return base


def raw(*items: dict[str, Any] | str) -> bytes:
    texts = [item if isinstance(item, str) else json.dumps(item) for item in items]
    return ('{"transactions":[' + ",".join(texts) + "]}").encode()


def problems(body: bytes) -> list[tuple[int | None, str]]:
    with pytest.raises(InvalidBody) as refused:
        parse_body(body)
    return [(d["index"], d["field"]) for d in refused.value.details]


@pytest.mark.parametrize(("field", "value"), [
    ("authorized_at", "0001-01-01T00:00:00+14:00"),   # overflowed when converted to UTC
    ("authorized_at", "1969-12-31T23:59:59Z"),
    ("authorized_at", "9999-12-31T23:00:00-14:00"),
    ("settled_at", "0001-01-01T00:00:00Z"),
    ("settled_at", "9999-12-31T23:59:59Z"),
    ("updated_at", "0001-01-01T00:00:00+14:00"),
])
def test_an_instant_outside_what_storage_can_hold_is_422_naming_index_and_field(field: str, value: str) -> None:
    bad = tx(transaction_id="tx-2", status="settled", settled_at="2026-11-30T12:00:00Z")
    bad[field] = value
    assert problems(raw(tx(), bad)) == [(1, field)]


def test_updated_at_may_not_be_more_than_five_minutes_ahead() -> None:
    soon = datetime.now(UTC) + timedelta(minutes=4)
    assert parse_body(raw(tx(updated_at=soon.isoformat())))[0].updated_utc == soon
    assert problems(raw(tx(updated_at=(soon + timedelta(minutes=2)).isoformat()))) == [(0, "updated_at")]


def test_every_accepted_instant_converts_to_utc() -> None:
    earliest = parse_body(raw(tx(authorized_at="1970-01-02T14:00:00+14:00")))[0]
    assert earliest.authorized_utc == datetime(1970, 1, 2, tzinfo=UTC)
    assert problems(raw(tx(authorized_at="1970-01-02T13:59:59+14:00"))) == [(0, "authorized_at")]


def test_a_number_no_decoder_holds_in_a_known_field_is_named() -> None:
    huge = json.dumps(tx(transaction_id="tx-2"))[:-1].replace('"-12.50"', "9" * 5001) + "}"
    assert problems(raw(tx(), huge)) == [(1, "amount")]
    inf = json.dumps(tx(transaction_id="tx-2")).replace('"-12.50"', "1e999999")
    assert problems(raw(tx(), inf)) == [(1, "amount")]


def test_unknown_fields_are_kept_verbatim_whatever_numbers_they_hold() -> None:
    big = json.dumps(tx())[:-1] + ', "bank_ref": ' + "7" * 5000 + "}"
    inf = json.dumps(tx(transaction_id="tx-2"))[:-1] + ', "score": 1e999999}'
    body = raw(big, inf)
    assert [t.transaction_id for t in parse_body(body)] == ["tx-1", "tx-2"]
    assert transaction_payloads(body) == [big, inf]
    assert [parse_transaction(p).transaction_id for p in transaction_payloads(body)] == ["tx-1", "tx-2"]


@pytest.mark.parametrize("body", [
    raw("[" * 1000 + "]" * 1000),                                   # nested in place of a transaction
    raw(json.dumps(tx())[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}"),  # nested in an unknown field
    b'{"transactions": [' + b"[" * 100_000,
])
def test_json_nested_too_deeply_is_400_not_a_crash(body: bytes) -> None:
    with pytest.raises(BodyNotJson, match="nested too deeply"):
        parse_body(body)


def test_a_body_that_is_not_utf8_anywhere_is_400() -> None:
    body = raw(json.dumps(tx())[:-1] + ', "note": "caf\u00e9"}').replace("é".encode(), b"\xe9")
    with pytest.raises(BodyNotJson, match="not UTF-8"):
        parse_body(body)


@pytest.mark.parametrize(("body", "expected"), [
    (b'{"transactions": 5}', [(None, "transactions")]),
    (b'{"transactions": []}', [(None, "transactions")]),
    (b'[1, 2]', [(None, "transactions")]),
    (raw(*[tx(transaction_id=f"tx-{i}") for i in range(101)]), [(None, "transactions")]),
])
def test_a_body_of_the_wrong_shape_is_named_at_the_top(body: bytes, expected: list[tuple[int | None, str]]) -> None:
    assert problems(body) == expected


def test_a_held_payload_the_rules_now_refuse_is_invalid_alone() -> None:
    with pytest.raises(InvalidBody) as refused:
        parse_transaction(json.dumps(tx(currency="XXZ")))
    assert refused.value.details[0]["field"] == "currency"
    with pytest.raises(InvalidBody):
        parse_transaction(b"\xff")


@pytest.mark.parametrize(("field", "value"), [
    ("amount", "-١٢.٥٠"),               # Arabic-Indic digits: Python's \d took them, JSON Schema's does not
    ("amount", "-１２.５０"),             # fullwidth digits
    ("merchant.mcc", "٥٤١١"),
])
def test_amounts_and_mccs_are_ascii_digits_as_the_openapi_document_says(field: str, value: str) -> None:
    bad = tx()
    if field == "amount":
        bad["amount"] = value
    else:
        bad["merchant"] = {"name": "ACME", "mcc": value}
    assert problems(raw(bad)) == [(0, field)]
