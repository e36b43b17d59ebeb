"""What a consumer hands the pipeline: one message's transactions with their provenance."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from service.contract import Transaction, parse_body, transaction_payloads


class UndecodableMessage(ValueError):
    """The message can never be processed as sent (reason `decode_error`)."""


@dataclass(frozen=True)
class Delivery:
    partner_id: str
    # When Tally first received this content: the message's own arrival, or the first sight of
    # its webhook-id when a bank retried or someone replayed it (TransactionPipeline.process).
    received_at: datetime
    request_id: str | None
    transactions: list[Transaction]
    raw: bytes = field(repr=False, default=b"")
    webhook_id: str | None = None  # webhooks only (backfill pages and held rows have none)

    def payloads(self) -> list[str]:
        """Each transaction's JSON exactly as the partner sent it, in the order of `transactions`."""
        return transaction_payloads(self.raw) if self.raw else []

    def first_seen_at(self, moment: datetime) -> Delivery:
        return replace(self, received_at=min(moment, self.received_at))


def held_delivery(partner_id: str, payload: str, transaction: Transaction, received_at: datetime,
                  request_id: str | None) -> Delivery:
    """A held transaction as a one-transaction delivery, its payload kept byte for byte."""
    raw = b'{"transactions":[' + payload.encode() + b"]}"
    return Delivery(partner_id, received_at, request_id, [transaction], raw)


def decode(body: bytes | str, headers: dict[str, Any]) -> Delivery:
    """A webhook or backfill message → Delivery; UndecodableMessage if it breaks the contract."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    partner_id = headers.get("partner_id")
    if not partner_id:
        raise UndecodableMessage("no partner_id header")
    try:
        received_at = datetime.fromisoformat(str(headers["received_at"])).astimezone(UTC)
    except (KeyError, ValueError, OverflowError) as exc:
        raise UndecodableMessage(f"bad or missing received_at header: {exc}") from None
    try:
        transactions = parse_body(raw)
    except ValueError as exc:  # BodyNotJson, InvalidBody
        details = getattr(exc, "details", None)
        raise UndecodableMessage(f"{exc}{': ' + json.dumps(details[:3]) if details else ''}") from None
    webhook_id = headers.get("webhook-id")
    return Delivery(str(partner_id), received_at, headers.get("request_id"), transactions, raw,
                    str(webhook_id) if webhook_id else None)
