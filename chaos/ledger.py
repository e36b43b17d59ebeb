"""What the campaign's bank sent: every webhook request, and every version of every
transaction in it, with when each send started and when it was accepted. Thread-safe: the
sender's threads record, the checker reads after the drain."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Send:
    """One webhook request. Times are seconds since the campaign started."""

    webhook_id: str
    transactions: list[dict[str, Any]]  # one version of each transaction, as sent
    kinds: list[str]                     # versions.NEW, SETTLE… for each
    started: float | None = None         # its first attempt began
    accepted: float | None = None        # the 2xx answer came
    attempts: int = 0


@dataclass(frozen=True)
class History:
    """The versions of one transaction, in the order the bank sent them."""

    transaction_id: str
    versions: list[tuple[dict[str, Any], Send]]

    @property
    def account_number(self) -> str:
        return str(self.versions[0][0]["account_number"])

    @property
    def last(self) -> dict[str, Any]:
        return self.versions[-1][0]

    @property
    def delivered(self) -> bool:
        """Every version was accepted (a later version is only sent after the one before is)."""
        return self.versions[-1][1].accepted is not None

    def windows(self) -> list[tuple[float, float]]:
        """(first attempt, accepted) of each version's send; an unanswered one never ends."""
        return [(send.started if send.started is not None else 0.0,
                 send.accepted if send.accepted is not None else float("inf"))
                for _, send in self.versions]


@dataclass
class SentLedger:
    sends: list[Send] = field(default_factory=list)
    _by_transaction: dict[str, list[tuple[dict[str, Any], Send]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, send: Send) -> None:
        with self._lock:
            self.sends.append(send)
            for transaction in send.transactions:
                self._by_transaction.setdefault(transaction["transaction_id"], []).append((transaction, send))

    def histories(self) -> list[History]:
        with self._lock:
            return [History(tid, list(versions)) for tid, versions in self._by_transaction.items()]

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_transaction)
