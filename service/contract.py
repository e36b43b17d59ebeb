"""The partner wire contract (DESIGN.md §3): one webhook body is `{"transactions": [...]}`
with 1..100 transactions. Used by the ingest endpoint (to accept or refuse a request whole),
by the consumers (to decode the raw body they are handed) and by backfill.

`parse_body` raises BodyNotJson (→ 400) or InvalidBody (→ 422, one detail per problem:
`{"index", "field", "message"}`). msgspec decodes and checks the formats in one pass (it is
several times faster than a pydantic model here: the webhook's hot path, see bench/profiles);
the rules that relate fields to each other or to the request follow in one Python pass. A
body that fails is examined again transaction by transaction, so that every invalid
transaction is named, not only the first.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

MAX_TRANSACTIONS = 100
MAX_DETAILS = 200
FUTURE_TOLERANCE = timedelta(days=1)

Instant = Annotated[datetime, Meta(tz=True)]  # an RFC 3339 string with its zone, never a number


@cache
def minor_units() -> dict[str, int]:
    """ISO 4217 code → digits after the decimal point (service/data/currencies.csv)."""
    text = resources.files("service").joinpath("data/currencies.csv").read_text()
    return {row["code"]: int(row["minor_units"]) for row in csv.DictReader(text.splitlines())}


class Merchant(msgspec.Struct, frozen=True):
    name: Annotated[str, Meta(min_length=1, max_length=128)]
    mcc: Annotated[str, Meta(pattern=r"^\d{4}$")] | None
    city: Annotated[str, Meta(max_length=64)] | None = None
    country: Annotated[str, Meta(max_length=64)] | None = None


class Transaction(msgspec.Struct, frozen=True):
    transaction_id: Annotated[str, Meta(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]
    account_number: Annotated[str, Meta(pattern=r"^[A-Za-z0-9-]{1,34}$")]
    card_id: Annotated[str, Meta(pattern=r"^[A-Za-z0-9-]{1,32}$")]
    amount: Annotated[str, Meta(pattern=r"^-?\d{1,12}(\.\d{1,3})?$")]
    currency: Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]
    status: Literal["pending", "settled", "reversed"]
    authorized_at: Instant
    merchant: Merchant
    settled_at: Instant | None = None
    description: Annotated[str, Meta(max_length=256)] | None = None

    @property
    def amount_decimal(self) -> Decimal:
        return Decimal(self.amount)

    @property
    def authorized_utc(self) -> datetime:
        return self.authorized_at.astimezone(UTC)

    @property
    def settled_utc(self) -> datetime | None:
        return self.settled_at.astimezone(UTC) if self.settled_at else None


class Body(msgspec.Struct):
    transactions: Annotated[list[Transaction], Meta(min_length=1, max_length=MAX_TRANSACTIONS)]


_BODY = msgspec.json.Decoder(Body)
_ANY = msgspec.json.Decoder()
_TRANSACTION = msgspec.json.Decoder(Transaction)


class BodyNotJson(ValueError):
    """The body is not parseable JSON (HTTP 400)."""


class InvalidBody(ValueError):
    """The body is JSON but breaks the contract (HTTP 422); `details` names each problem."""

    def __init__(self, details: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(details)} problem(s) in the request body")
        self.details = details


def parse_body(raw: bytes | str) -> list[Transaction]:
    """Parses and checks a webhook body; the whole request is valid or it raises."""
    try:
        transactions = _BODY.decode(raw).transactions
    except msgspec.ValidationError:
        raise InvalidBody(_structure_problems(raw)) from None
    except msgspec.DecodeError as exc:
        raise BodyNotJson(f"the body is not valid JSON: {exc}") from None
    details = _inconsistencies(transactions)
    if details:
        raise InvalidBody(details)
    return transactions


def parse_transaction(raw: bytes | str) -> Transaction:
    """One transaction's JSON (held transactions, bank list pages); raises InvalidBody."""
    try:
        transaction = _TRANSACTION.decode(raw)
    except msgspec.DecodeError as exc:
        raise InvalidBody([_detail(None, exc)]) from None
    details = _inconsistencies([transaction])
    if details:
        raise InvalidBody(details)
    return transaction


def _structure_problems(raw: bytes | str) -> list[dict[str, Any]]:
    """Every transaction that breaks a format rule, each with its first problem."""
    document = _ANY.decode(raw)
    items = document.get("transactions") if isinstance(document, dict) else None
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_TRANSACTIONS:
        try:
            _BODY.decode(raw)
        except msgspec.ValidationError as exc:
            return [_detail(None, exc)]
    details = []
    for index, item in enumerate(items or []):
        try:
            msgspec.convert(item, Transaction)
        except msgspec.ValidationError as exc:
            details.append(_detail(index, exc))
    return details[:MAX_DETAILS] or [{"index": None, "field": "transactions", "message": "invalid"}]


_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$")


def _detail(index: int | None, exc: Exception) -> dict[str, Any]:
    """msgspec's "Expected `str`, got `int` - at `$.merchant.mcc`" → field and message."""
    match = _AT.match(str(exc))
    message, path = (match["message"], match["path"] or "") if match else (str(exc), "")
    field = re.sub(r"\[\d+\]", "", path).lstrip(".")
    missing = re.match(r"Object missing required field `(\w+)`", message)
    if missing:
        field = f"{field}.{missing[1]}".lstrip(".")
    if index is None and path.startswith(".transactions["):
        index = int(path.split("[", 1)[1].split("]", 1)[0])
        field = re.sub(r"^transactions\.?", "", field)
    return {"index": index, "field": field or "transactions", "message": message}


def _inconsistencies(transactions: list[Transaction]) -> list[dict[str, Any]]:
    """The rules between fields: currency and its scale, settled_at, the future bound, unique ids."""
    units_of = minor_units()
    latest = (datetime.now(UTC) + FUTURE_TOLERANCE).timestamp()
    seen: set[str] = set()
    details: list[dict[str, Any]] = []

    def problem(index: int, field: str, message: str) -> None:
        details.append({"index": index, "field": field, "message": message})

    for index, t in enumerate(transactions):
        units = units_of.get(t.currency)
        if units is None:
            problem(index, "currency", f"{t.currency} is not an ISO 4217 currency Tally knows")
        elif (scale := len(t.amount.partition(".")[2])) > units:
            problem(index, "amount", f"{t.currency} has {units} decimal places, got {scale}")
        if t.status == "settled" and t.settled_at is None:
            problem(index, "settled_at", "required when status is settled")
        elif t.status != "settled" and t.settled_at is not None:
            problem(index, "settled_at", f"must be null or absent when status is {t.status}")
        if t.authorized_at.timestamp() > latest:
            problem(index, "authorized_at", "more than 1 day in the future")
        if t.transaction_id in seen:
            problem(index, "transaction_id", f"{t.transaction_id} appears more than once in this request")
        seen.add(t.transaction_id)
    return details[:MAX_DETAILS]
