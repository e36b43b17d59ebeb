"""Send jobs: a background thread that feeds batches of transactions to Tally's webhook at a
given request rate, with up to `concurrency` requests in flight, and reports what happened.

Transactions enter the ledger when they are generated, before delivery. A `forget_rate` share
of the requests is never sent (its transactions stay in the ledger, for reconcile to find).
With `settle_after`, that share of the pending transactions Tally accepted gets a later
"settled" version with the same transaction_id, sent in later requests of the same job.
Updates are not sent for transactions whose request was forgotten, rejected or given up, so
the reported forgotten/given-up ids are exactly what Tally never heard of.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from simulators.bank.control import Control
from simulators.bank.delivery import Outcome, RetryPolicy, Signer, deliver
from simulators.bank.generator import TransactionGenerator
from simulators.bank.ledger import Ledger

Batch = list[dict[str, Any]]


@dataclass(frozen=True)
class JobSpec:
    batches: Callable[[int], Iterator[Batch]]  # batch size → the new transactions, in batches
    rate: float  # requests per second (updates included)
    batch_size: int
    settle_after: float
    policy: RetryPolicy
    concurrency: int
    description: dict[str, Any]  # echoed in the report (accounts, count...)


class Job:
    def __init__(self, job_id: str, spec: JobSpec, *, ledger: Ledger, generator: TransactionGenerator,
                 control: Control, signer: Signer, stop: threading.Event, rng: random.Random) -> None:
        self.id = job_id
        self._spec, self._ledger, self._generator = spec, ledger, generator
        self._control, self._signer, self._stop = control, signer, stop
        self._url = control.config.webhook_url
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._settle_queue: list[str] = []
        self._rng = rng  # forget and settle decisions
        self._local = threading.local()
        self._slots = threading.BoundedSemaphore(spec.concurrency)  # back-pressure: rate is a ceiling
        self._pace = Pacer(spec.rate, stop)
        self._report: dict[str, Any] = {
            "job_id": job_id, "state": "running", **spec.description, "webhook_url": self._url,
            "transactions_generated": 0, "settle_updates": 0, "requests_sent": 0, "attempts": 0,
            "requests_accepted": 0, "transactions_accepted": 0, "retried": 0, "gave_up": 0,
            "rejected": Counter(), "forgotten": 0, "transaction_ids_given_up": [],
            "transaction_ids_rejected": [], "transaction_ids_forgotten": [], "last_failure": None,
            "started_at": _now(), "finished_at": None, "error": None}
        self._started = time.monotonic()
        self.thread = threading.Thread(target=self._run, name=f"send-{job_id}", daemon=True)

    def report(self) -> dict[str, Any]:
        with self._lock:
            report = dict(self._report)
            report["rejected"] = dict(self._report["rejected"])
            for name in ("transaction_ids_given_up", "transaction_ids_rejected", "transaction_ids_forgotten"):
                report[name] = list(self._report[name])
            report["elapsed_seconds"] = round(time.monotonic() - self._started, 3)
        return report

    @property
    def done(self) -> bool:
        with self._lock:
            return self._report["state"] == "done"

    def _run(self) -> None:
        pool = ThreadPoolExecutor(self._spec.concurrency, thread_name_prefix=f"{self.id}-post")
        try:
            for batch in self._spec.batches(self._spec.batch_size):
                self._bump("transactions_generated", len(batch))
                if not self._submit(pool, batch):
                    break
                self._flush_settles(pool, full_only=True)
            self._drain(pool)
        except Exception as exc:  # noqa: BLE001 - reported in the job, never lost in a thread
            with self._lock:
                self._report["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            pool.shutdown(wait=True)
            with self._lock:
                self._report["state"] = "done"
                self._report["finished_at"] = _now()

    def _drain(self, pool: ThreadPoolExecutor) -> None:
        """Waits for requests in flight; sends the settle updates they produced, until none."""
        while True:
            with self._idle:
                while self._in_flight:
                    self._idle.wait()
                if not self._settle_queue or self._stop.is_set():
                    return
            self._flush_settles(pool, full_only=False)

    def _submit(self, pool: ThreadPoolExecutor, batch: Batch) -> bool:
        """Paces, then forgets or sends one request. False when the simulator is stopping."""
        if not self._pace.wait():
            return False
        self._slots.acquire()
        if self._rng.random() < self._control.config.forget_rate:
            self._slots.release()
            with self._lock:
                self._report["forgotten"] += 1
                self._report["transaction_ids_forgotten"].extend(t["transaction_id"] for t in batch)
            self._control.count("webhook_requests_forgotten")
            return True
        with self._lock:
            self._in_flight += 1
        pool.submit(self._send, batch, "msg_" + uuid.uuid4().hex)
        return True

    def _send(self, batch: Batch, msg_id: str) -> None:
        try:
            body = json.dumps({"transactions": batch}, separators=(",", ":"))
            outcome = deliver(self._session(), self._url, self._signer, msg_id, body,
                              policy=self._spec.policy, stop=self._stop)
            self._record(batch, outcome)
        except Exception as exc:  # noqa: BLE001 - a failed request must still be counted
            self._record(batch, Outcome(None, 0, f"{type(exc).__name__}: {exc}"))
        finally:
            self._slots.release()
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _record(self, batch: Batch, outcome: Outcome) -> None:
        ids = [t["transaction_id"] for t in batch]
        accepted = outcome.status is not None and 200 <= outcome.status < 300
        with self._lock:
            report = self._report
            report["requests_sent"] += 1 if outcome.attempts else 0
            report["attempts"] += outcome.attempts
            report["retried"] += max(0, outcome.attempts - 1)
            if accepted:
                report["requests_accepted"] += 1
                report["transactions_accepted"] += len(batch)
                self._settle_queue.extend(t["transaction_id"] for t in batch if t["status"] == "pending"
                                          and self._rng.random() < self._spec.settle_after)
            elif outcome.status is None:
                report["gave_up"] += 1
                report["transaction_ids_given_up"].extend(ids)
                report["last_failure"] = outcome.reason
            else:
                report["rejected"][str(outcome.status)] += 1
                report["transaction_ids_rejected"].extend(ids)
        self._control.count("webhook_attempts", outcome.attempts)
        self._control.count("webhook_requests_sent", 1 if outcome.attempts else 0)
        outcome_name = "accepted" if accepted else "gave_up" if outcome.status is None else "rejected"
        self._control.count(f"webhook_requests_{outcome_name}")
        if accepted:
            self._control.count("webhook_transactions_accepted", len(batch))

    def _flush_settles(self, pool: ThreadPoolExecutor, full_only: bool) -> None:
        size = self._spec.batch_size
        while True:
            with self._lock:
                if not self._settle_queue or (full_only and len(self._settle_queue) < size):
                    return
                ids, self._settle_queue[:size] = self._settle_queue[:size], []
            batch = []
            for tid in ids:
                current = self._ledger.get(tid)
                if current is not None and current["status"] == "pending":
                    batch.append(self._generator.settled(current))
                    self._ledger.replace(batch[-1])
            self._bump("settle_updates", len(batch))
            if batch and not self._submit(pool, batch):
                return

    def _bump(self, name: str, n: int) -> None:
        with self._lock:
            self._report[name] += n

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:  # one per sender thread: requests.Session is not documented thread-safe
            session = self._local.session = requests.Session()
        return session


class Pacer:
    """Spaces request starts 1/rate apart; after a stall it does not burst to catch up."""

    def __init__(self, rate: float, stop: threading.Event) -> None:
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._stop = stop

    def wait(self) -> bool:
        now = time.monotonic()
        start = max(self._next, now)
        if start > now and self._stop.wait(start - now):
            return False
        self._next = start + self._interval
        return not self._stop.is_set()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
