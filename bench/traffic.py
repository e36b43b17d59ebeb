"""Requests of the benchmarks, each built just before it is sent: signed webhooks with fresh
transaction ids, logins, transaction-list reads.

Load generators run in processes of their own (`Generators`), away from the harness's threads,
so that what slows a generator down is the machine, not the harness; their lateness behind
schedule is reported with every open-loop figure, and each load reads the CPU of the processes
it is told to watch over its own seconds (bench/host.py). Webhook bodies are assembled from a pool of
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

from bench import host, loadgen
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


@dataclass(frozen=True)
class Load:
    """One load to generate: `kind` ("webhooks" with a WebhookSpec, "logins" with users, "reads"
    with tokens) against `url`, open loop at `rate` req/s or closed loop with `rate` connections.
    The CPU of the `watch` groups of processes (and the generator's own) is read when the load
    starts and ends; `cpus`, when given, is where the generator may run."""

    kind: str
    spec: Any
    url: str
    rate: float
    seconds: float
    mode: str = "open"
    watch: dict[str, list[int]] = field(default_factory=dict)
    cpus: frozenset[int] | None = None


@dataclass
class Generated:
    outcome: loadgen.Outcome
    transactions: int
    probes: dict[str, float]
    cpu: dict[str, float]  # bench.host.usage over the load's own seconds


def _run(load: Load) -> Generated:
    if load.cpus:
        os.sched_setaffinity(0, load.cpus)
    make = _factory(load.kind, load.spec)
    groups = {**load.watch, "generator": [os.getpid()]}
    before = host.read(groups)
    if load.mode == "closed":
        outcome = loadgen.closed_loop(load.url, make, int(load.rate), load.seconds)
    else:
        outcome = loadgen.open_loop(load.url, make, load.rate, load.seconds)
    cpu = host.usage(before, host.read(groups), outcome.ok)
    if isinstance(make, Webhooks):
        return Generated(outcome, make.sent_transactions, make.probes, cpu)
    return Generated(outcome, 0, {}, cpu)


class Generators:
    """Generator processes that live as long as the block (a round's own process would cost a
    second of interpreter start-up every round): `run` one load and wait for it, or `start`
    one and get a function that waits for it; two can run at once."""

    def __init__(self, processes: int = 2) -> None:
        # spawn: the harness holds driver threads, never fork it
        self.pool = multiprocessing.get_context("spawn").Pool(processes)

    def __enter__(self) -> Generators:
        return self

    def __exit__(self, *_: object) -> None:
        self.pool.terminate()
        self.pool.join()

    def run(self, load: Load) -> Generated:
        return self.pool.apply(_run, (load,))

    def start(self, load: Load) -> Callable[[], Generated]:
        pending = self.pool.apply_async(_run, (load,))
        return lambda: pending.get(timeout=load.seconds + 600)


def in_process(kind: str, spec: Any, url: str, *, mode: str = "open", rate: float,
               seconds: float) -> Generated:
    """One load in a generator process of its own (bench/profile.py)."""
    with Generators(1) as generators:
        return generators.run(Load(kind, spec, url, rate, seconds, mode))
