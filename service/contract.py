"""The partner wire contract (DESIGN.md §3): one webhook body is `{"transactions": [...]}`
with 1..100 transactions. Used by the ingest endpoint (to accept or refuse a request whole),
by the consumers (to decode the raw body they are handed) and by backfill.

`parse_body` raises BodyNotJson (→ 400) or InvalidBody (→ 422, with one detail per problem:
`{"index", "field", "message"}`); pydantic does the parsing and checks in one pass.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

MAX_TRANSACTIONS = 100
MAX_DETAILS = 200
FUTURE_TOLERANCE = timedelta(days=1)

Text = Annotated[str, StringConstraints(min_length=1, max_length=128)]
Instant = Annotated[AwareDatetime, Field(strict=True)]  # an ISO 8601 string with zone, never a number


@cache
def minor_units() -> dict[str, int]:
    """ISO 4217 code → digits after the decimal point (service/data/currencies.csv)."""
    text = resources.files("service").joinpath("data/currencies.csv").read_text()
    return {row["code"]: int(row["minor_units"]) for row in csv.DictReader(text.splitlines())}


class Merchant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    name: Text
    mcc: Annotated[str, StringConstraints(pattern=r"^\d{4}$")] | None
    city: Annotated[str, StringConstraints(max_length=64)] | None = None
    country: Annotated[str, StringConstraints(max_length=64)] | None = None


class Transaction(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    transaction_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]
    account_number: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,34}$")]
    card_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{1,32}$")]
    amount: Annotated[str, StringConstraints(pattern=r"^-?\d{1,12}(\.\d{1,3})?$")]
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    status: Literal["pending", "settled", "reversed"]
    authorized_at: Instant
    settled_at: Instant | None = None
    merchant: Merchant
    description: Annotated[str, StringConstraints(max_length=256)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Transaction:
        units = minor_units().get(self.currency)
        if units is None:
            raise ValueError(f"currency: {self.currency} is not an ISO 4217 currency Tally knows")
        scale = len(self.amount.partition(".")[2])
        if scale > units:
            raise ValueError(f"amount: {self.currency} has {units} decimal places, got {scale}")
        if self.status == "settled" and self.settled_at is None:
            raise ValueError("settled_at: required when status is settled")
        if self.status != "settled" and self.settled_at is not None:
            raise ValueError(f"settled_at: must be null or absent when status is {self.status}")
        if self.authorized_at > datetime.now(UTC) + FUTURE_TOLERANCE:
            raise ValueError("authorized_at: more than 1 day in the future")
        return self

    @property
    def amount_decimal(self) -> Decimal:
        return Decimal(self.amount)

    @property
    def authorized_utc(self) -> datetime:
        return self.authorized_at.astimezone(UTC)

    @property
    def settled_utc(self) -> datetime | None:
        return self.settled_at.astimezone(UTC) if self.settled_at else None


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    transactions: Annotated[list[Transaction], Field(min_length=1, max_length=MAX_TRANSACTIONS)]


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
        body = Body.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            first = next(e for e in exc.errors() if e["type"] == "json_invalid")
            raise BodyNotJson(f"the body is not valid JSON: {first['ctx'].get('error', first['msg'])}") from None
        raise InvalidBody(_details(exc)) from None
    duplicates = [t.transaction_id for t, n in _counted(body.transactions) if n > 1]
    if duplicates:
        seen: set[str] = set()
        details = []
        for index, txn in enumerate(body.transactions):
            if txn.transaction_id in duplicates and txn.transaction_id in seen:
                details.append({"index": index, "field": "transaction_id",
                                "message": f"{txn.transaction_id} appears more than once in this request"})
            seen.add(txn.transaction_id)
        raise InvalidBody(details)
    return body.transactions


def _counted(transactions: list[Transaction]) -> list[tuple[Transaction, int]]:
    counts = Counter(t.transaction_id for t in transactions)
    return [(t, counts[t.transaction_id]) for t in transactions]


_PREFIXED = re.compile(r"^(?P<field>[a-z_.]+): (?P<message>.*)$")


def _details(exc: ValidationError) -> list[dict[str, Any]]:
    details = []
    for error in exc.errors()[:MAX_DETAILS]:
        loc = list(error["loc"])
        index = None
        if len(loc) >= 2 and loc[0] == "transactions" and isinstance(loc[1], int):
            index = loc[1]
            loc = loc[2:]
        field = ".".join(str(part) for part in loc) or ("transactions" if index is None else "")
        message = error["msg"]
        if error["type"] == "value_error":
            message = message.removeprefix("Value error, ")
            match = _PREFIXED.match(message)
            if match:  # model-level checks name their own field
                field, message = match["field"], match["message"]
        elif error["type"] == "string_pattern_mismatch":
            message = f"does not match {error['ctx']['pattern']}"
        details.append({"index": index, "field": field, "message": message})
    return details
