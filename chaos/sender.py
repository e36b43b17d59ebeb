"""The campaign's partner bank: sends N new transactions in 100-transaction webhooks at a
steady rate, and later versions of some of them (chaos.versions), like a bank retrying every
non-2xx answer until it is accepted.

It is built from the bank simulator's parts: its transaction generator, its Standard Webhooks
signer (every attempt re-signed: same webhook-id, new timestamp) and its delivery with backoff
and Retry-After. It never drops a request: a delivery the retry policy gave up on is
delivered again, until the campaign is interrupted. Each attempt's answer is counted; each
send is recorded in the SentLedger with when it started and when it was accepted.
"""

from __future__ import annotations

import heapq
import json
import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from chaos.ledger import Send, SentLedger
from chaos.schedule import BATCH, Plan
from chaos.versions import NEW, follow_up, next_version
from simulators.bank.delivery import RetryPolicy, Signer, deliver
from simulators.bank.generator import TransactionGenerator
from simulators.bank.sender import Pacer

CONCURRENCY = 64  # requests in flight at most: enough that an outage of a minute does not slow the rate
# A bank that keeps trying: short backoff (the campaign wants traffic right after a recovery),
# and limits that a run never reaches; a request given up anyway is delivered again.
POLICY = RetryPolicy(max_attempts=100_000, max_retry_seconds=3600, backoff_initial=0.5, backoff_max=5.0,
                     request_timeout=30.0, retry_any_failure=True)
LIVE = timedelta(minutes=2)  # authorized_at: a purchase made in the last two minutes


@dataclass
class SendCounts:
    webhooks: int = 0          # requests (each sent until accepted)
    attempts: int = 0
    accepted: int = 0          # requests answered 2xx
    versions: int = 0          # transactions in accepted requests, later versions included
    statuses: Counter[int] = field(default_factory=Counter)  # non-2xx answers by status
    errors: Counter[str] = field(default_factory=Counter)    # attempts without an answer, by kind
    redelivered: int = 0       # deliveries the retry policy gave up on, started again

    @property
    def retries(self) -> int:
        return self.attempts - self.webhooks

    @property
    def http_503(self) -> int:
        return self.statuses[503]

    @property
    def other_5xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if status >= 500 and status != 503)

    @property
    def client_errors(self) -> dict[int, int]:
        """4xx answers to valid, correctly signed requests: each one is a finding."""
        return {status: n for status, n in self.statuses.items() if 400 <= status < 500}


class CampaignBank:
    def __init__(self, *, url: str, signer: Signer, cards: dict[str, list[str]], plan: Plan, seed: int,
                 clock: Callable[[], float], ledger: SentLedger, stop: threading.Event) -> None:
        self.url, self.signer, self.cards, self.plan = url, signer, cards, plan
        self.clock, self.ledger, self.stop = clock, ledger, stop
        self.counts = SendCounts()
        self.new_left = plan.transactions
        self._generator = TransactionGenerator(seed)
        self._rng = random.Random(seed)
        self._lock = threading.Condition()
        self._due: list[tuple[float, str, str]] = []  # (due at, transaction id, version kind)
        self._current: dict[str, dict[str, Any]] = {}  # the last version sent of each transaction
        self._in_flight = 0
        self._local = threading.local()

    def run(self) -> None:
        """Sends everything (blocking) or returns when `stop` is set."""
        pacer = Pacer(self.plan.rate, self.stop)
        slots = threading.BoundedSemaphore(CONCURRENCY)
        with ThreadPoolExecutor(CONCURRENCY, thread_name_prefix="chaos-bank") as pool:
            while not self._finished():
                if not pacer.wait():
                    return
                send = self._next_send()
                if send is None:  # nothing due yet: answers in flight may bring later versions
                    with self._lock:
                        self._lock.wait(0.5)
                    continue
                while not slots.acquire(timeout=0.5):
                    if self.stop.is_set():
                        return
                with self._lock:
                    self._in_flight += 1
                self.ledger.add(send)
                pool.submit(self._deliver, send, slots)

    def _finished(self) -> bool:
        with self._lock:
            return self.stop.is_set() or (self.new_left == 0 and not self._due and self._in_flight == 0)

    def _next_send(self) -> Send | None:
        """The next request: later versions that are due (all of them once every new
        transaction is sent), then new transactions up to 100."""
        now = self.clock()
        with self._lock:
            updates: list[tuple[str, str]] = []
            while self._due and len(updates) < BATCH and (self._due[0][0] <= now or self.new_left == 0):
                _, tid, kind = heapq.heappop(self._due)
                updates.append((tid, kind))
            fresh = min(BATCH - len(updates), self.new_left)
            self.new_left -= fresh
        moment = datetime.now(UTC)
        transactions = [next_version(self._generator, self._current[tid], kind, moment) for tid, kind in updates]
        kinds = [kind for _, kind in updates]
        if fresh:
            transactions += self._generator.batch(self.cards, fresh, moment - LIVE, moment, now=moment)
            kinds += [NEW] * fresh
        if not transactions:
            return None
        for transaction in transactions:
            self._current[transaction["transaction_id"]] = transaction
        return Send("msg_" + uuid.uuid4().hex, transactions, kinds)

    def _deliver(self, send: Send, slots: threading.BoundedSemaphore) -> None:
        try:
            body = json.dumps({"transactions": send.transactions}, separators=(",", ":"))
            send.started = self.clock()
            with self._lock:
                self.counts.webhooks += 1
            while not self.stop.is_set():
                outcome = deliver(self._session(), self.url, self.signer, send.webhook_id, body, policy=POLICY,
                                  stop=self.stop, on_attempt=self._count)
                send.attempts += outcome.attempts
                if outcome.status is not None and 200 <= outcome.status < 300:
                    self._accepted(send)
                    return
                if not self.stop.is_set():
                    with self._lock:
                        self.counts.redelivered += 1
                    self.stop.wait(1.0)
        finally:
            slots.release()
            with self._lock:
                self._in_flight -= 1
                self._lock.notify_all()

    def _accepted(self, send: Send) -> None:
        send.accepted = self.clock()
        with self._lock:
            self.counts.accepted += 1
            self.counts.versions += len(send.transactions)
            for transaction, kind in zip(send.transactions, send.kinds, strict=True):
                later = follow_up(kind, self._rng)
                if later is not None:
                    delay = self._rng.uniform(0.02, 0.2) * self.plan.send_seconds
                    heapq.heappush(self._due, (send.accepted + delay, transaction["transaction_id"], later))

    def _count(self, status: int | None, reason: str) -> None:
        with self._lock:
            self.counts.attempts += 1
            if status is None:
                self.counts.errors[reason] += 1
            elif not 200 <= status < 300:
                self.counts.statuses[status] += 1

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:  # one per thread: requests.Session is not documented thread-safe
            session = self._local.session = requests.Session()
        return session
