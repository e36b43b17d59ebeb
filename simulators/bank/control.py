"""Runtime settings of the bank simulator (changeable through POST /sim/config) and its
counters (GET /sim/stats)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import Any

DEFAULT_WEBHOOK_URL = "http://127.0.0.1:8001/hook/transaction"


@dataclass(frozen=True)
class BankConfig:
    """error_rate: share of partner-API requests answered 500/503. forget_rate: share of
    webhook requests never sent. The rest bounds the sender's retries."""

    webhook_url: str = DEFAULT_WEBHOOK_URL
    error_rate: float = 0.0
    forget_rate: float = 0.0
    max_attempts: int = 10
    max_retry_seconds: float = 120.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    request_timeout: float = 10.0
    concurrency: int = 16


class Control:
    """The current BankConfig and the counters, both thread-safe."""

    def __init__(self, config: BankConfig) -> None:
        self._lock = threading.Lock()
        self._config = config
        self._counts: Counter[str] = Counter()

    @property
    def config(self) -> BankConfig:
        with self._lock:
            return self._config

    def update(self, **changes: Any) -> BankConfig:
        with self._lock:
            self._config = replace(self._config, **changes)
            return self._config

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()

    def config_json(self) -> dict[str, Any]:
        return asdict(self.config)
