"""Latency and fault injection of the merchant-lookup simulator, changeable at runtime.

Latency is log-normal around the median (`latency_ms`) with an occasional tail (1 % of answers
take 3-8x the median), as real APIs behave. `slow_rate` of the answers take `slow_ms` instead,
`error_rate` of the answers are 500 or 503, and during an `outage` every lookup is answered 503
at once (a load balancer with no healthy backend), so a client's breaker sees fast failures.
"""

from __future__ import annotations

import math
import random
import threading
from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import Any

LATENCY_SIGMA = 0.35  # spread of the log-normal: most answers within 0.5x..2x of the median
TAIL_SHARE = 0.01


@dataclass(frozen=True)
class Faults:
    latency_ms: float = 25.0
    error_rate: float = 0.0
    slow_rate: float = 0.0
    slow_ms: float = 2000.0
    outage: bool = False


@dataclass(frozen=True)
class Decision:
    """What happens to one lookup: how long it waits and whether it fails (status or None)."""

    delay_s: float
    fail_status: int | None
    slow: bool = False
    outage: bool = False


class FaultModel:
    """Thread-safe fault settings, a seeded random source, and outcome counters."""

    def __init__(self, faults: Faults, seed: int | None = None) -> None:
        self._faults = faults
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stats: Counter[str] = Counter()

    @property
    def faults(self) -> Faults:
        with self._lock:
            return self._faults

    def update(self, **changes: Any) -> Faults:
        with self._lock:
            self._faults = replace(self._faults, **changes)
            return self._faults

    def decide(self) -> Decision:
        with self._lock:
            faults, rng = self._faults, self._rng
            if faults.outage:
                return Decision(0.0, 503, outage=True)
            slow = rng.random() < faults.slow_rate
            if slow:
                delay_ms = faults.slow_ms
            elif faults.latency_ms <= 0:
                delay_ms = 0.0
            else:
                delay_ms = faults.latency_ms * math.exp(rng.gauss(0, LATENCY_SIGMA))
                if rng.random() < TAIL_SHARE:
                    delay_ms *= rng.uniform(3, 8)
            fail = rng.choice((500, 503)) if rng.random() < faults.error_rate else None
            return Decision(delay_ms / 1000.0, fail, slow)

    def count(self, outcome: str, slow: bool = False) -> None:
        with self._lock:
            self._stats["requests"] += 1
            self._stats[f"outcome:{outcome}"] += 1
            if slow:
                self._stats["slow"] += 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            by_outcome = {k.split(":", 1)[1]: v for k, v in self._stats.items() if k.startswith("outcome:")}
            return {"requests": self._stats["requests"], "slow": self._stats["slow"],
                    "by_outcome": by_outcome, "faults": asdict(self._faults)}

    def reset_stats(self) -> None:
        with self._lock:
            self._stats.clear()
