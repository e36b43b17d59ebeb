"""What a consumer hands the pipeline: one message's transactions with their provenance."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from service.contract import Transaction, parse_body


class UndecodableMessage(ValueError):
    """The message can never be processed as sent (reason `decode_error`)."""


@dataclass(frozen=True)
class Delivery:
    partner_id: str
    received_at: datetime
    request_id: str | None
    transactions: list[Transaction]
    raw: bytes = field(repr=False, default=b"")

    def payloads(self) -> dict[str, str]:
        """Each transaction's JSON as the partner sent it (unknown fields kept), by id."""
        items = json.loads(self.raw)["transactions"] if self.raw else []
        return {item["transaction_id"]: json.dumps(item, separators=(",", ":")) for item in items}


def decode(body: bytes | str, headers: dict[str, Any]) -> Delivery:
    """A webhook or backfill message → Delivery; UndecodableMessage if it breaks the contract."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    partner_id = headers.get("partner_id")
    if not partner_id:
        raise UndecodableMessage("no partner_id header")
    try:
        received_at = datetime.fromisoformat(str(headers["received_at"])).astimezone(UTC)
    except (KeyError, ValueError) as exc:
        raise UndecodableMessage(f"bad or missing received_at header: {exc}") from None
    try:
        transactions = parse_body(raw)
    except ValueError as exc:  # BodyNotJson, InvalidBody
        details = getattr(exc, "details", None)
        raise UndecodableMessage(f"{exc}{': ' + json.dumps(details[:3]) if details else ''}") from None
    return Delivery(str(partner_id), received_at, headers.get("request_id"), transactions, raw)
