"""The partner wire contract (docs/design.md, "The bank contract"): one webhook body is `{"transactions": [...]}`
with 1..100 transactions. Used by the ingest endpoint (to accept or refuse a request whole),
by the consumers (to decode the raw body they are handed) and by backfill.

`parse_body` raises BodyNotJson (→ 400) or InvalidBody (→ 422, one detail per problem:
`{"index", "field", "message"}`). msgspec decodes and checks the formats in one pass (it is
several times faster than a pydantic model here: the webhook's hot path, see bench/profiles);
the rules that relate fields to each other or to the request follow in one Python pass. A
body that fails is examined again transaction by transaction, so that every invalid
transaction is named, not only the first.

Whatever it accepts the consumers can store: the body is UTF-8 throughout, every instant lies
between 1970 and a day from now (so it converts to UTC and to a Cassandra timestamp), and each
transaction is kept as the exact JSON slice the partner sent (`transaction_payloads`), never
re-encoded by a parser with other limits.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import cache
from importlib import resources
from operator import attrgetter
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

MAX_TRANSACTIONS = 100
MAX_DETAILS = 200
FUTURE_TOLERANCE = timedelta(days=1)
# A version time (`updated_at`) from the future would win over every later correction until
# that moment passed: no more than the signature timestamps' own tolerance.
VERSION_TOLERANCE = timedelta(minutes=5)
# Card transactions before the Unix epoch do not exist; below it, write timestamps and some
# zone conversions (year 1 at +14:00) overflow.
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)

Instant = Annotated[datetime, Meta(tz=True)]  # an RFC 3339 string with its zone, never a number


@cache
def minor_units() -> dict[str, int]:
    """ISO 4217 code → digits after the decimal point (service/data/currencies.csv)."""
    text = resources.files("service").joinpath("data/currencies.csv").read_text()
    return {row["code"]: int(row["minor_units"]) for row in csv.DictReader(text.splitlines())}


# The formats of the wire's strings, declared once. Transaction checks them value by value
# (msgspec calls Python's regex once per value: 600 calls for 100 transactions, most of a body's
# decoding time); parse_body checks each field's values joined, one regex call per field, and
# leaves any doubt to Transaction (_formats_hold).
FORMATS = {
    "transaction_id": r"[A-Za-z0-9._:-]{1,64}",
    "account_number": r"[A-Za-z0-9-]{1,34}",
    "card_id": r"[A-Za-z0-9-]{1,32}",
    # [0-9], not \d: Python's \d takes any script's digits, the published schema's (JSON Schema) ASCII only
    "amount": r"-?[0-9]{1,12}(\.[0-9]{1,3})?",
    "currency": r"[A-Z]{3}",
    "merchant.mcc": r"[0-9]{4}",
}


def _format(field: str) -> Meta:
    return Meta(pattern=f"^{FORMATS[field]}$")


class Merchant(msgspec.Struct, frozen=True):
    name: Annotated[str, Meta(min_length=1, max_length=128)]
    mcc: Annotated[str, _format("merchant.mcc")] | None
    city: Annotated[str, Meta(max_length=64)] | None = None
    country: Annotated[str, Meta(max_length=64)] | None = None


class Transaction(msgspec.Struct, frozen=True):
    transaction_id: Annotated[str, _format("transaction_id")]
    account_number: Annotated[str, _format("account_number")]
    card_id: Annotated[str, _format("card_id")]
    amount: Annotated[str, _format("amount")]
    currency: Annotated[str, _format("currency")]
    status: Literal["pending", "settled", "reversed"]
    authorized_at: Instant
    merchant: Merchant
    settled_at: Instant | None = None
    description: Annotated[str, Meta(max_length=256)] | None = None
    # When the bank produced this version: optional. Within one status the latest version wins
    # by this time when it is given, else by when Tally first saw the webhook (docs/api.md).
    updated_at: Instant | None = None

    @property
    def amount_decimal(self) -> Decimal:
        return Decimal(self.amount)

    @property
    def authorized_utc(self) -> datetime:
        return self.authorized_at.astimezone(UTC)

    @property
    def settled_utc(self) -> datetime | None:
        return self.settled_at.astimezone(UTC) if self.settled_at else None

    @property
    def updated_utc(self) -> datetime | None:
        return self.updated_at.astimezone(UTC) if self.updated_at else None


class Accepted(msgspec.Struct, forbid_unknown_fields=True):
    """The 202 answer: how many transactions one confirmed message carries."""

    accepted: Annotated[int, Meta(ge=1, le=MAX_TRANSACTIONS)]
    request_id: str


class Body(msgspec.Struct):
    transactions: Annotated[list[Transaction], Meta(min_length=1, max_length=MAX_TRANSACTIONS)]


class _UncheckedMerchant(Merchant, frozen=True):
    """A Merchant whose format is checked after decoding (_formats_hold)."""

    mcc: str | None


class _UncheckedTransaction(Transaction, frozen=True):
    """What parse_body and parse_transaction return: a Transaction decoded without its string
    formats, which are checked after decoding, a field at a time (_formats_hold); everything
    else (types, lengths, the status, the instants and their zones) msgspec checks as for a
    Transaction."""

    transaction_id: str
    account_number: str
    card_id: str
    amount: str
    currency: str
    merchant: _UncheckedMerchant


class _UncheckedBody(msgspec.Struct):
    transactions: Annotated[list[_UncheckedTransaction], Meta(min_length=1, max_length=MAX_TRANSACTIONS)]


class _RawBody(msgspec.Struct):
    transactions: list[msgspec.Raw]


_BODY = msgspec.json.Decoder(Body)
_UNCHECKED_BODY = msgspec.json.Decoder(_UncheckedBody)
_RAW_BODY = msgspec.json.Decoder(_RawBody)
_TRANSACTION = msgspec.json.Decoder(Transaction)
_UNCHECKED_TRANSACTION = msgspec.json.Decoder(_UncheckedTransaction)
# Each format over a field's values joined by newlines, which no format matches: one call per field.
_JOINED = {field: (attrgetter(field), re.compile(f"(?:{pattern}\n)*{pattern}")) for field, pattern in FORMATS.items()}


class BodyNotJson(ValueError):
    """The body is not parseable JSON (HTTP 400)."""


class InvalidBody(ValueError):
    """The body is JSON but breaks the contract (HTTP 422); `details` names each problem."""

    def __init__(self, details: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(details)} problem(s) in the request body")
        self.details = details


def parse_body(raw: bytes | str) -> list[Transaction]:
    """Parses and checks a webhook body; the whole request is valid or it raises."""
    _check_utf8(raw)
    try:
        transactions = _decode_body(raw)
    except RecursionError:
        raise BodyNotJson("the body is nested too deeply") from None
    details = [] if _rules_hold(transactions) else _inconsistencies(transactions)
    if details:
        raise InvalidBody(details)
    return transactions


def _decode_body(raw: bytes | str) -> list[Transaction]:
    """The transactions, decoded without their string formats, which are then checked a field
    at a time; when they do not all hold, the body is decoded again by Body, whose verdict (and
    whose details, when it refuses) is the contract's."""
    try:
        transactions: list[Transaction] = list(_UNCHECKED_BODY.decode(raw).transactions)
        if not _formats_hold(transactions):
            _BODY.decode(raw)
        return transactions
    except msgspec.ValidationError:
        raise InvalidBody(_structure_problems(raw)) from None
    except msgspec.DecodeError as exc:
        raise BodyNotJson(f"the body is not valid JSON: {exc}") from None


def _formats_hold(transactions: list[Transaction]) -> bool:
    """Every value of every formatted field matches its format in full. A value holding a
    newline could split into two that match: the count of newlines catches it (False: the
    caller asks Transaction)."""
    for value_of, joined_format in _JOINED.values():
        values = [v for v in map(value_of, transactions) if v is not None]
        if not values:
            continue
        text = "\n".join(values)
        if text.count("\n") != len(values) - 1 or joined_format.fullmatch(text) is None:
            return False
    return True


def parse_transaction(raw: bytes | str) -> Transaction:
    """One transaction's JSON (held transactions, bank list pages); raises InvalidBody."""
    try:
        _check_utf8(raw)
        transaction: Transaction = _UNCHECKED_TRANSACTION.decode(raw)
        if not _formats_hold([transaction]):
            _TRANSACTION.decode(raw)  # the contract's verdict, and its words when it refuses
    except (msgspec.DecodeError, BodyNotJson) as exc:
        raise InvalidBody([_detail(None, exc)]) from None
    except RecursionError:
        raise InvalidBody([{"index": None, "field": "", "message": "nested too deeply"}]) from None
    details = _inconsistencies([transaction])
    if details:
        raise InvalidBody(details)
    return transaction


def transaction_payloads(raw: bytes | str) -> list[str]:
    """Each transaction of a body `parse_body` accepted, as the exact JSON text the partner sent
    (unknown fields kept), in order. Never re-encoded: a number or a string Python's json module
    would refuse or change (over 4,300 digits, 1e999999) stays as it came."""
    return [bytes(item).decode() for item in _RAW_BODY.decode(raw).transactions]


def _check_utf8(raw: bytes | str) -> None:
    """msgspec does not check the bytes of strings it skips (unknown fields): a body must be
    UTF-8 throughout, or its held payload could not be stored as text."""
    if isinstance(raw, bytes | bytearray | memoryview):
        try:
            bytes(raw).decode()
        except UnicodeDecodeError as exc:
            raise BodyNotJson(f"the body is not UTF-8 (byte {exc.start})") from None


def _structure_problems(raw: bytes | str) -> list[dict[str, Any]]:
    """Every transaction that breaks a format rule, each with its first problem. Each is
    checked on its own JSON slice, so a value no decoder can hold (a 5,000-digit number)
    is named by its index and field like any other."""
    try:
        items = _RAW_BODY.decode(raw).transactions
    except msgspec.ValidationError:
        items = None
    except msgspec.DecodeError as exc:  # malformed after a part that already broke a rule
        raise BodyNotJson(f"the body is not valid JSON: {exc}") from None
    if items is None or not 1 <= len(items) <= MAX_TRANSACTIONS:
        try:
            _BODY.decode(raw)
        except msgspec.ValidationError as exc:
            return [_detail(None, exc)]
    details = []
    for index, item in enumerate(items or []):
        try:
            _TRANSACTION.decode(item)
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


_ID, _STATUS, _SETTLED = attrgetter("transaction_id"), attrgetter("status"), attrgetter("settled_at")
_AUTHORIZED, _UPDATED = attrgetter("authorized_at"), attrgetter("updated_at")


def _rules_hold(transactions: list[Transaction]) -> bool:
    """The rules of _inconsistencies over the whole request at once, mostly with builtins over
    each field's values (about half the time of the pass that names each problem); False
    sends the request through that pass."""
    now, units = datetime.now(UTC), minor_units()
    if len(set(map(_ID, transactions))) != len(transactions):
        return False
    if any(len(t.amount.partition(".")[2]) > units.get(t.currency, -1) for t in transactions):
        return False
    settled = list(map(_SETTLED, transactions))
    if [s is not None for s in settled] != [status == "settled" for status in map(_STATUS, transactions)]:
        return False
    for moments, highest in ((list(map(_AUTHORIZED, transactions)), now + FUTURE_TOLERANCE),
                             ([s for s in settled if s is not None], now + FUTURE_TOLERANCE),
                             ([u for u in map(_UPDATED, transactions) if u is not None], now + VERSION_TOLERANCE)):
        if not _within(moments, highest):
            return False
    return True


def _within(moments: list[datetime], highest: datetime) -> bool:
    """EARLIEST ≤ every moment ≤ highest. Two instants of different zones compare through a
    conversion each; msgspec gives the instants of one offset one tzinfo, and those compare as
    they are, so each zone's extremes are found first (a quarter of the time)."""
    zones: dict[tzinfo | None, list[datetime]] = {}
    for moment in moments:
        zones.setdefault(moment.tzinfo, []).append(moment)
    return all(min(group) >= EARLIEST and max(group) <= highest for group in zones.values())


def _inconsistencies(transactions: list[Transaction]) -> list[dict[str, Any]]:
    """The rules between fields: currency and its scale, settled_at, the future bound, unique ids."""
    units_of = minor_units()
    now = datetime.now(UTC)
    bounds = {"authorized_at": (now + FUTURE_TOLERANCE, "more than 1 day in the future"),
              "settled_at": (now + FUTURE_TOLERANCE, "more than 1 day in the future"),
              "updated_at": (now + VERSION_TOLERANCE, "more than 5 minutes in the future")}
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
        for name, (highest, too_late) in bounds.items():
            moment = getattr(t, name)
            if moment is None:
                continue
            if moment < EARLIEST:
                problem(index, name, f"before {EARLIEST.date().isoformat()}")
            elif moment > highest:
                problem(index, name, too_late)
        if t.transaction_id in seen:
            problem(index, "transaction_id", f"{t.transaction_id} appears more than once in this request")
        seen.add(t.transaction_id)
    return details[:MAX_DETAILS]
