"""One simulated partner bank: its ledger, generator, settings, counters and send jobs."""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from simulators.bank.control import BankConfig, Control
from simulators.bank.delivery import RetryPolicy, Signer
from simulators.bank.generator import TransactionGenerator
from simulators.bank.ledger import Ledger
from simulators.bank.sender import Batch, Job, JobSpec

LIVE_JITTER = timedelta(minutes=2)  # a live webhook reports a purchase made moments ago
GENERATE_CHUNK = 5000  # bounds how long one generate call holds the ledger lock


class Bank:
    def __init__(self, partner_id: str, signing_secret: str, api_token: str, config: BankConfig, *,
                 seed: int | None = None, link_code_ttl: float = 600.0) -> None:
        self.partner_id = partner_id
        self.api_token = api_token
        self.signer = Signer(partner_id, signing_secret)
        self.ledger = Ledger(link_code_ttl)
        self.generator = TransactionGenerator(seed)
        self.control = Control(config)
        self._seed = seed
        self._fault_rng = random.Random(seed)
        self._fault_lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._job_ids = itertools.count(1)
        self._jobs_lock = threading.Lock()
        self._stop = threading.Event()

    def open_accounts(self, numbers: list[str]) -> dict[str, list[str]]:
        """Each account's cards; unknown accounts are opened with two new cards."""
        for number in numbers:
            if self.ledger.account(number) is None:
                self.ledger.open_account(number, self.generator.card_ids())
        return self.ledger.cards_by_account(numbers)

    def generate(self, number: str, count: int, first: datetime, last: datetime) -> list[dict[str, Any]]:
        """Adds `count` transactions of the account spread over [first, last] to the ledger."""
        cards = self.open_accounts([number])
        made: list[dict[str, Any]] = []
        while len(made) < count:
            chunk = self.generator.batch(cards, min(GENERATE_CHUNK, count - len(made)), first, last)
            self.ledger.add(chunk)
            made.extend(chunk)
        return made

    def fault(self) -> int | None:
        """500 or 503 for an `error_rate` share of partner-API requests, else None."""
        with self._fault_lock:
            if self._fault_rng.random() >= self.control.config.error_rate:
                return None
            return self._fault_rng.choice((500, 503))

    def start_job(self, description: dict[str, Any], batches: Any, *, rate: float, batch_size: int,
                  settle_after: float, overrides: dict[str, Any]) -> Job:
        """Starts a send job; `overrides` (None: the current config) bound its retries."""
        config = self.control.config

        def pick(name: str) -> Any:
            value = overrides.get(name)
            return getattr(config, name) if value is None else value

        policy = RetryPolicy(
            max_attempts=pick("max_attempts"), max_retry_seconds=pick("max_retry_seconds"),
            backoff_initial=config.backoff_initial, backoff_max=config.backoff_max,
            request_timeout=config.request_timeout)
        spec = JobSpec(batches=batches, rate=rate, batch_size=batch_size, settle_after=settle_after,
                       policy=policy, concurrency=pick("concurrency"), description=description)
        with self._jobs_lock:
            job_id = f"job-{next(self._job_ids)}"
            job = self._jobs[job_id] = Job(job_id, spec, ledger=self.ledger, generator=self.generator,
                                           control=self.control, signer=self.signer, stop=self._stop,
                                           rng=random.Random(None if self._seed is None else f"{self._seed}:{job_id}"))
        job.thread.start()
        return job

    def live_batches(self, accounts: list[str], count: int, days_back: float) -> Any:
        """Batches of new transactions, generated (and put in the ledger) as they are sent."""
        cards = self.open_accounts(accounts)

        def batches(size: int) -> Iterator[Batch]:
            left = count
            while left > 0:
                now = datetime.now(UTC)
                start = now - (timedelta(days=days_back) if days_back else LIVE_JITTER)
                batch = self.generator.batch(cards, min(size, left), start, now, now=now)
                self.ledger.add(batch)
                left -= len(batch)
                yield batch

        return batches

    @staticmethod
    def fixed_batches(transactions: list[dict[str, Any]]) -> Any:
        def batches(size: int) -> Iterator[Batch]:
            for i in range(0, len(transactions), size):
                yield transactions[i:i + size]

        return batches

    def job(self, job_id: str) -> Job | None:
        with self._jobs_lock:
            return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        with self._jobs_lock:
            return list(self._jobs.values())

    def stop(self, timeout: float = 5.0) -> None:
        """Stops every job: no new requests, backoffs interrupted, in-flight ones finish."""
        self._stop.set()
        for job in self.jobs():
            job.thread.join(timeout)
