"""Traffic while nodes fail (the cluster layer): a bank sending prepared webhooks at a steady
rate, and users logging in and listing their transactions all the while. Both record every
answer with its time, so a test can say how many calls failed and when.

The bank is the bank simulator's delivery (simulators/bank/delivery.py): every attempt
re-signed, every non-2xx retried with backoff and at least the answer's Retry-After, until
accepted. A webhook is never given up while the bank runs.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from simulators.bank.delivery import RetryPolicy, Signer, deliver
from simulators.bank.sender import Pacer
from tests.support.webhooks import BankPartner

Batch = list[dict[str, Any]]
# A bank that keeps trying, soon: the tests want to see how short an outage's window is.
POLICY = RetryPolicy(max_attempts=100_000, max_retry_seconds=600, backoff_initial=0.25, backoff_max=2.0,
                     request_timeout=30.0, retry_any_failure=True)


@dataclass(frozen=True)
class Answer:
    at: float          # time.monotonic() when the answer (or the error) came
    status: int | None  # None: no answer (connection error, timeout)
    reason: str = ""   # the error's name, or what was called


def failures(answers: Sequence[Answer], ok: tuple[int, ...] = (200, 201, 202)) -> list[Answer]:
    return [a for a in answers if a.status not in ok]


def window(answers: Sequence[Answer], since: float = 0.0) -> float:
    """Seconds from the first to the last failed answer at or after `since` (0 when none)."""
    failed = [a.at for a in failures(answers) if a.at >= since]
    return max(failed) - min(failed) if failed else 0.0


class Bank:
    """Sends `batches` (one webhook each) to ingest at `rate` webhooks per second, at most
    `concurrency` in flight, each until accepted."""

    def __init__(self, ingest_url: str, partner: BankPartner, batches: list[Batch], rate: float,
                 concurrency: int = 16) -> None:
        self.url = f"{ingest_url}/hook/transaction"
        self.signer = Signer(partner.partner_id, partner.secret)
        self.batches, self.rate, self.concurrency = batches, rate, concurrency
        self.answers: list[Answer] = []
        self.accepted_at: dict[int, float] = {}  # batch index → when it was accepted
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._thread = threading.Thread(target=self._run, name="bank", daemon=True)

    def start(self) -> Bank:
        self._thread.start()
        return self

    def join(self, timeout: float) -> None:
        """Waits until every webhook was accepted; stops the bank and fails after `timeout` s."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            self.stop.set()
            self._thread.join(30)
            raise AssertionError(f"the bank had {len(self.accepted_at)} of {len(self.batches)} webhooks accepted "
                                 f"after {timeout:.0f} s")

    @property
    def accepted(self) -> int:
        with self._lock:
            return len(self.accepted_at)

    def transaction_ids(self, accepted_from: float = 0.0, accepted_to: float = float("inf")) -> list[str]:
        """Ids of the transactions in webhooks accepted within [accepted_from, accepted_to]."""
        with self._lock:
            chosen = [i for i, at in self.accepted_at.items() if accepted_from <= at <= accepted_to]
        return [t["transaction_id"] for i in sorted(chosen) for t in self.batches[i]]

    def _run(self) -> None:
        pacer = Pacer(self.rate, self.stop)
        slots = threading.BoundedSemaphore(self.concurrency)
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="bank") as pool:
            for index in range(len(self.batches)):
                if not pacer.wait():
                    return
                while not slots.acquire(timeout=0.5):
                    if self.stop.is_set():
                        return
                pool.submit(self._deliver, index, slots)

    def _deliver(self, index: int, slots: threading.BoundedSemaphore) -> None:
        try:
            body = json.dumps({"transactions": self.batches[index]}, separators=(",", ":"))
            webhook_id = f"msg_{uuid.uuid4().hex}"
            while not self.stop.is_set():
                outcome = deliver(self._session(), self.url, self.signer, webhook_id, body, policy=POLICY,
                                  stop=self.stop, on_attempt=self._record)
                if outcome.status is not None and 200 <= outcome.status < 300:
                    with self._lock:
                        self.accepted_at[index] = time.monotonic()
                    return
        finally:
            slots.release()

    def _record(self, status: int | None, reason: str) -> None:
        with self._lock:
            self.answers.append(Answer(time.monotonic(), status, reason))

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:  # one per thread: requests.Session is not documented thread-safe
            session = self._local.session = requests.Session()
        return session


class AppUsers:
    """Each user, in a thread of its own: log in, list the first page of transactions, pause,
    again, until stopped. Every call's answer is recorded (reason: "login" or "list"), and
    every 5xx with its Retry-After."""

    def __init__(self, api_url: str, credentials: list[tuple[str, str]], pause: float = 0.2) -> None:
        self.api_url, self.credentials, self.pause = api_url, credentials, pause
        self.answers: list[Answer] = []
        self.unavailable: list[tuple[Answer, str | None]] = []
        self.listed: dict[str, int] = {}  # email → rows on the last page listed
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._use, args=credential, name="user", daemon=True)
                         for credential in credentials]

    def start(self) -> AppUsers:
        for thread in self._threads:
            thread.start()
        return self

    def finish(self) -> list[Answer]:
        self.stop.set()
        for thread in self._threads:
            thread.join(60)
        return self.answers

    def calls(self, kind: str) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers if a.reason == kind]

    def _use(self, email: str, password: str) -> None:
        http = requests.Session()
        while not self.stop.is_set():
            login = self._call(http, "login", "POST", "/auth/login", json={"email": email, "password": password})
            if login is not None and login.status_code == 200:
                token = login.json()["token"]
                listing = self._call(http, "list", "GET", "/me/transactions",
                                     headers={"Authorization": f"Bearer {token}"})
                if listing is not None and listing.status_code == 200:
                    with self._lock:
                        self.listed[email] = len(listing.json()["transactions"])
            self.stop.wait(self.pause)

    def _call(self, http: requests.Session, kind: str, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = http.request(method, f"{self.api_url}{path}", timeout=30, **kwargs)
        except requests.RequestException:
            with self._lock:
                self.answers.append(Answer(time.monotonic(), None, kind))
            return None
        answer = Answer(time.monotonic(), response.status_code, kind)
        with self._lock:
            self.answers.append(answer)
            if response.status_code >= 500:
                self.unavailable.append((answer, response.headers.get("Retry-After")))
        return response
