"""Requests of the benchmarks, each built just before it is sent: signed webhooks with fresh
transaction ids, logins, transaction-list reads."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

from bench.data import PASSWORD, BenchUser, Transactions
from bench.loadgen import Request


class Webhooks:
    """POST /hook/transaction with 100 fresh transactions, signed now. Thread-safe."""

    def __init__(self, partner_id: str, secret: str, users: Sequence[BenchUser], per_request: int = 100,
                 probe: Callable[[list[dict[str, Any]]], None] | None = None) -> None:
        self.partner_id = partner_id
        self.signer = Webhook(secret)
        self.source = Transactions(users)
        self.per_request = per_request
        self.probe = probe
        self.lock = threading.Lock()
        self.sent_transactions = 0

    def __call__(self) -> Request:
        with self.lock:
            transactions = self.source.batch(self.per_request)
            self.sent_transactions += len(transactions)
        if self.probe:
            self.probe(transactions)
        body = json.dumps({"transactions": transactions}, separators=(",", ":"))
        webhook_id, now = f"wh-{uuid.uuid4().hex}", datetime.now(UTC)
        headers = {"Content-Type": "application/json", "webhook-id": webhook_id,
                   "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": self.signer.sign(webhook_id, now, body), "x-partner-id": self.partner_id}
        return ("POST", "/hook/transaction", headers, body.encode())


def logins(users: Sequence[BenchUser]) -> Callable[[], Request]:
    """POST /auth/login for the users in turn (all have the bench password)."""
    state = {"i": 0}

    def make() -> Request:
        user = users[state["i"] % len(users)]
        state["i"] += 1
        body = json.dumps({"email": user.email, "password": PASSWORD}).encode()
        return ("POST", "/auth/login", {"Content-Type": "application/json"}, body)
    return make


def reads(tokens: Sequence[str], days: int = 30, limit: int = 50) -> Callable[[], Request]:
    """GET /me/transactions?days=…&limit=… as the users in turn."""
    state = {"i": 0}

    def make() -> Request:
        token = tokens[state["i"] % len(tokens)]
        state["i"] += 1
        return ("GET", f"/me/transactions?days={days}&limit={limit}", {"Authorization": f"Bearer {token}"}, b"")
    return make
