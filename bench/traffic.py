"""Requests of the benchmarks, each built just before it is sent: signed webhooks with fresh
transaction ids, logins, transaction-list reads.

Load generators run in their own processes (`in_process`), away from the harness's threads,
so that what slows a generator down is the machine, not the harness; their lateness behind
schedule is reported with every open-loop figure. Webhook bodies are assembled from a pool of
realistic transactions made once by the bank simulator's generator: each request takes 100 of
them, gives each a fresh id, and is signed at that moment.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

from bench import loadgen
from bench.data import PASSWORD, BenchUser, Transactions
from bench.loadgen import Request


@dataclass(frozen=True)
class WebhookSpec:
    """Everything a generator process needs to make webhooks (picklable)."""

    partner_id: str
    secret: str
    templates: list[dict[str, Any]]
    per_request: int = 100
    probe_account: str | None = None  # its transactions get authorized_at = now and are reported back

    @classmethod
    def of(cls, partner_id: str, secret: str, users: list[BenchUser], probe: BenchUser | None = None,
           pool: int = 3000) -> WebhookSpec:
        everyone = [*users, probe] if probe else users
        return cls(partner_id, secret, Transactions(everyone).batch(pool), probe_account=probe.account if probe
                   else None)


@dataclass
class Webhooks:
    """Makes signed webhook requests. Bodies come from a few pre-serialised templates whose
    transaction ids carry a placeholder, replaced per request by a unique token (one pass over
    the bytes), so the generator spends its CPU on sending, not on JSON. Probe transactions
    (freshness) need a fresh authorized_at, so with a probe account every body is built anew."""

    spec: WebhookSpec
    counter: itertools.count[int] = field(default_factory=itertools.count)
    sent_transactions: int = 0
    probes: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.signer = Webhook(self.spec.secret)
        self.run = uuid.uuid4().hex[:6]
        self.rng = random.Random(os.getpid())
        self.templates = [self._body(PLACEHOLDER) for _ in range(TEMPLATES)] if not self.spec.probe_account else []

    def _body(self, token: str) -> bytes:
        transactions = []
        for n, template in enumerate(self.rng.sample(self.spec.templates, self.spec.per_request)):
            t = dict(template, transaction_id=f"b{token}-{n}")
            if t["account_number"] == self.spec.probe_account:
                t.update(authorized_at=datetime.now(UTC).isoformat(), status="pending")
                t.pop("settled_at", None)
                self.probes[t["transaction_id"]] = time.time()
            transactions.append(t)
        return json.dumps({"transactions": transactions}, separators=(",", ":")).encode()

    def __call__(self) -> Request:
        count = next(self.counter)
        token = f"{self.run}{count:08d}"  # as long as PLACEHOLDER: unique per request
        if self.templates:
            body = self.templates[count % TEMPLATES].replace(PLACEHOLDER.encode(), token.encode())
        else:
            body = self._body(token)
        self.sent_transactions += self.spec.per_request
        now = datetime.now(UTC)
        webhook_id = f"wh-{token}"
        headers = {"Content-Type": "application/json", "webhook-id": webhook_id,
                   "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": self.signer.sign(webhook_id, now, body.decode()),
                   "x-partner-id": self.spec.partner_id}
        return ("POST", "/hook/transaction", headers, body)


PLACEHOLDER = "~" * 14
TEMPLATES = 16


def logins(users: list[BenchUser]) -> Callable[[], Request]:
    """POST /auth/login for the users in turn (all have the bench password)."""
    cycle = itertools.cycle(users)

    def make() -> Request:
        body = json.dumps({"email": next(cycle).email, "password": PASSWORD}).encode()
        return ("POST", "/auth/login", {"Content-Type": "application/json"}, body)
    return make


def reads(tokens: list[str], days: int = 30, limit: int = 50) -> Callable[[], Request]:
    """GET /me/transactions?days=…&limit=… as the users in turn."""
    cycle = itertools.cycle(tokens)

    def make() -> Request:
        return ("GET", f"/me/transactions?days={days}&limit={limit}", {"Authorization": f"Bearer {next(cycle)}"}, b"")
    return make


def summaries(spec: tuple[list[str], str]) -> Callable[[], Request]:
    """GET /me/summary?month=… (spend per category and the budgets' progress) as the users in turn."""
    tokens, month = spec
    cycle = itertools.cycle(tokens)

    def make() -> Request:
        return ("GET", f"/me/summary?month={month}", {"Authorization": f"Bearer {next(cycle)}"}, b"")
    return make


def _factory(kind: str, spec: Any) -> Callable[[], Request]:
    if kind == "webhooks":
        return Webhooks(spec)
    if kind == "logins":
        return logins(spec)
    if kind == "summaries":
        return summaries(spec)
    return reads(spec)


def _run(kind: str, spec: Any, url: str, load: tuple[str, float, float]) -> tuple[loadgen.Outcome, int,
                                                                                 dict[str, float]]:
    mode, rate, seconds = load
    make = _factory(kind, spec)
    if mode == "closed":
        outcome = loadgen.closed_loop(url, make, int(rate), seconds)
    else:
        outcome = loadgen.open_loop(url, make, rate, seconds)
    sent = make.sent_transactions if isinstance(make, Webhooks) else 0
    probes = make.probes if isinstance(make, Webhooks) else {}
    return outcome, sent, probes


@dataclass
class Generated:
    outcome: loadgen.Outcome
    transactions: int
    probes: dict[str, float]


def in_process(kind: str, spec: Any, url: str, *, mode: str = "open", rate: float,
               seconds: float) -> Generated:
    """Runs one generator (`webhooks` with a WebhookSpec, `logins` with users, `reads` with
    tokens) in a fresh process: open loop at `rate` req/s, or closed loop with `rate` connections."""
    context = multiprocessing.get_context("spawn")  # the harness holds driver threads: never fork it
    with context.Pool(1) as pool:
        outcome, sent, probes = pool.apply(_run, (kind, spec, url, (mode, rate, seconds)))
    return Generated(outcome, sent, probes)


def in_process_async(kind: str, spec: Any, url: str, *, rate: float, seconds: float) -> Callable[[], Generated]:
    """Starts an open-loop generator in its own process; returns a function that waits for it."""
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(1)
    pending = pool.apply_async(_run, (kind, spec, url, ("open", rate, seconds)))

    def result() -> Generated:
        try:
            outcome, sent, probes = pending.get(timeout=seconds + 600)
            return Generated(outcome, sent, probes)
        finally:
            pool.close()
            pool.join()
    return result
