"""The campaign's plan: how much it sends, how fast, and which faults when (pure logic).

Faults are spread over the send: each kind's occurrences evenly over the run, kinds
interleaved (ties broken by the seed), then laid out at equal intervals between 8 % and 85 %
of the send, so the last fault still has traffic after it. A fault that takes long (a node
restart) delays the next one; the campaign applies them in order, never two at once, so each
fault's effect can be told apart.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from chaos.versions import EXPECTED_VERSIONS_PER_TRANSACTION

KILL_INGEST_WORKER = "kill-ingest-worker"
KILL_API_WORKER = "kill-api-worker"
KILL_CONSUMER = "kill-consumer"
RABBITMQ_RESTART = "rabbitmq-restart"
RABBITMQ_KILL = "rabbitmq-kill"
CASSANDRA_KILL = "cassandra-kill"
CASSANDRA_PAUSE = "cassandra-pause"
RELINK = "relink"
POISON = "poison"
FAULTS = (KILL_INGEST_WORKER, KILL_API_WORKER, KILL_CONSUMER, RABBITMQ_RESTART, RABBITMQ_KILL, CASSANDRA_KILL,
          CASSANDRA_PAUSE, RELINK, POISON)

FULL_COUNTS = {KILL_INGEST_WORKER: 5, KILL_API_WORKER: 5, KILL_CONSUMER: 3, RABBITMQ_RESTART: 2, RABBITMQ_KILL: 2,
               CASSANDRA_KILL: 2, CASSANDRA_PAUSE: 2, RELINK: 3, POISON: 2}
QUICK_COUNTS = dict.fromkeys(FAULTS, 1)

BATCH = 100                  # transactions per webhook request
MAX_RATE = 3.0               # webhook requests per second at most: the machine has two cores
HOLD_SECONDS = 15            # the consumers' TALLY_CONSUMER_HOLD_SECONDS during the campaign
PAUSE_PAST_HOLD = 10         # a pause outlasts the hold by this much
POISON_MESSAGES = 3          # undecodable bodies published per poison fault
BROKER_CONF = Path(__file__).resolve().parents[1] / "rabbitmq" / "rabbitmq.conf"


def broker_consumer_timeout(conf: Path = BROKER_CONF) -> float:
    """The broker's consumer_timeout in seconds, as the campaign's node is configured."""
    found = re.search(r"^consumer_timeout\s*=\s*(\d+)", conf.read_text(), re.MULTILINE)
    if found is None:
        raise ValueError(f"{conf} sets no consumer_timeout")
    return int(found[1]) / 1000


@dataclass(frozen=True)
class Planned:
    at: float        # seconds after the send started
    kind: str
    occurrence: int  # 1, 2, … within its kind


@dataclass(frozen=True)
class Plan:
    quick: bool
    transactions: int
    send_seconds: float
    counts: dict[str, int]
    users: int
    accounts_per_user: int
    hold_seconds: int = HOLD_SECONDS
    cluster: bool = False  # three Cassandra and three RabbitMQ nodes; a fault hits one of them

    @classmethod
    def of(cls, quick: bool, transactions: int | None = None, cluster: bool = False) -> Plan:
        count = transactions or (5_000 if quick else 50_000)
        floor = 150.0 if quick else 600.0
        return cls(quick=quick, transactions=count, send_seconds=max(floor, _requests(count) / MAX_RATE),
                   counts=dict(QUICK_COUNTS if quick else FULL_COUNTS), users=6 if quick else 20, accounts_per_user=2,
                   cluster=cluster)

    @property
    def rate(self) -> float:
        """Webhook requests per second: the expected requests (later versions included) over the send."""
        return _requests(self.transactions) / self.send_seconds

    def pause_seconds(self, occurrence: int, consumer_timeout: float) -> float:
        """Every pause outlasts the consumers' hold; in a full run every second one also
        outlasts the broker's consumer_timeout (unacked deliveries then close their channel)."""
        if self.quick or occurrence % 2:
            return self.hold_seconds + PAUSE_PAST_HOLD
        return consumer_timeout + 15


def _requests(transactions: int) -> float:
    return transactions * EXPECTED_VERSIONS_PER_TRANSACTION / BATCH


def schedule(counts: dict[str, int], send_seconds: float, rng: random.Random,
             first: float = 0.08, last: float = 0.85) -> list[Planned]:
    """Every fault of `counts`, each kind spread over the run, at equal intervals in
    [first, last] × send_seconds, in the order they are applied."""
    ranked = sorted(((j + 0.5) / n, rng.random(), kind, j + 1)
                    for kind, n in counts.items() for j in range(n))
    total = len(ranked)
    span = (last - first) * send_seconds
    return [Planned(round(first * send_seconds + span * (i + 0.5) / total, 1), kind, occurrence)
            for i, (_, _, kind, occurrence) in enumerate(ranked)]
