"""Building and sending signed webhooks in tests, the way a partner bank does."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from requests.auth import AuthBase
from standardwebhooks.webhooks import Webhook

if TYPE_CHECKING:
    from service.bootstrap import Runtime


@dataclass(frozen=True)
class BankPartner:
    partner_id: str
    secret: str


def new_partner(runtime: Runtime) -> BankPartner:
    """A fresh enabled partner with one secret, stored."""
    from service.repositories.partners import new_secret

    partner_id = f"bank-{uuid.uuid4().hex[:8]}"
    secret = new_secret()
    assert runtime.partners().add(partner_id, partner_id, None, None, secret)
    return BankPartner(partner_id, secret)


def transaction(**overrides: Any) -> dict[str, Any]:
    """A valid wire transaction with a unique id; keyword arguments replace fields."""
    base: dict[str, Any] = {
        "transaction_id": f"tx-{uuid.uuid4().hex[:16]}",
        "account_number": "ACC-1",
        "card_id": "card-1",
        "amount": "-12.50",
        "currency": "EUR",
        "status": "pending",
        "authorized_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "merchant": {"name": "ACME MARKET 123", "mcc": "5411", "city": "Berlin", "country": "DE"},
        "description": "ACME MARKET 123 BERLIN",
    }
    base.update(overrides)
    if base.get("status") == "settled" and "settled_at" not in overrides:
        base["settled_at"] = datetime.now(UTC).isoformat()
    return base


def body(transactions: list[dict[str, Any]]) -> bytes:
    return json.dumps({"transactions": transactions}).encode()


def signed_headers(partner: BankPartner, raw: bytes, webhook_id: str | None = None,
                   timestamp: datetime | None = None, secret: str | None = None) -> dict[str, str]:
    return {"content-type": "application/json", **signature_headers(partner, raw, webhook_id, timestamp, secret)}


def signature_headers(partner: BankPartner, raw: bytes, webhook_id: str | None = None,
                      timestamp: datetime | None = None, secret: str | None = None) -> dict[str, str]:
    """The Standard Webhooks headers and x-partner-id of `raw`, whatever its content type."""
    webhook_id = webhook_id or f"wh-{uuid.uuid4().hex}"
    timestamp = timestamp or datetime.now(UTC)
    # A body that is not UTF-8 cannot be signed as text; ingest refuses it (401) before anything else.
    signature = Webhook(secret or partner.secret).sign(webhook_id, timestamp, raw.decode(errors="replace"))
    return {"webhook-id": webhook_id, "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signature, "x-partner-id": partner.partner_id}


class SignedBy(AuthBase):
    """A requests auth that signs each request's body as sent, as `partner` would: for clients
    that build the body themselves (the fuzz layer's generated webhooks)."""

    def __init__(self, partner: BankPartner) -> None:
        self.partner = partner

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        raw = request.body or b""
        request.headers.update(signature_headers(self.partner, raw.encode() if isinstance(raw, str) else raw))
        return request


def post(base_url: str, partner: BankPartner, transactions: list[dict[str, Any]],
         webhook_id: str | None = None, timeout: float = 10) -> requests.Response:
    raw = body(transactions)
    return requests.post(f"{base_url}/hook/transaction", data=raw,
                         headers=signed_headers(partner, raw, webhook_id), timeout=timeout)
