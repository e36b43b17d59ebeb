"""What `tally.dead` holds after the drain: the messages the campaign poisoned on purpose,
and anything else (a finding: a message Tally gave up on)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from service.broker.dead_letters import reason_of


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    reason: str
    error: str
    origin: str  # the queue it came from
    transaction_ids: tuple[str, ...]  # of a webhook body; empty when it is not one

    @classmethod
    def of(cls, message_id: str, headers: dict[str, Any], body: bytes) -> DeadLetter:
        return cls(message_id, reason_of(headers), str(headers.get("x-tally-error", ""))[:300],
                   str(headers.get("x-tally-queue", "")), _transaction_ids(body))


def _transaction_ids(body: bytes) -> tuple[str, ...]:
    try:
        transactions = json.loads(body)["transactions"]
        return tuple(str(t["transaction_id"]) for t in transactions)
    except (ValueError, KeyError, TypeError):
        return ()


@dataclass
class DeadLetterResult:
    poisoned: int = 0                      # published on purpose
    poisoned_found: int = 0                # of those, in tally.dead
    poisoned_missing: list[str] = field(default_factory=list)
    unexpected: list[DeadLetter] = field(default_factory=list)

    @property
    def unexpected_by_reason(self) -> dict[str, int]:
        return dict(Counter(letter.reason for letter in self.unexpected))

    @property
    def unexpected_transactions(self) -> set[str]:
        return {tid for letter in self.unexpected for tid in letter.transaction_ids}

    @property
    def failed(self) -> bool:
        return bool(self.unexpected or self.poisoned_missing)


def classify(letters: list[DeadLetter], poisoned_ids: set[str]) -> DeadLetterResult:
    """Splits tally.dead into the poisoned messages (each expected exactly once) and the rest."""
    result = DeadLetterResult(poisoned=len(poisoned_ids))
    found: Counter[str] = Counter()
    for letter in letters:
        if letter.message_id in poisoned_ids and not found[letter.message_id]:
            found[letter.message_id] += 1
        else:
            result.unexpected.append(letter)
    result.poisoned_found = len(found)
    result.poisoned_missing = sorted(poisoned_ids - set(found))
    return result
