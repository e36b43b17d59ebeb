"""The later versions a bank sends of a transaction it already sent, and when.

A new transaction is `pending`. Some get an amount correction while pending, some are later
settled, and some settled ones get a correction of the settled amount. A version is sent only
after the bank's previous version of the same transaction was accepted (2xx), so every
version reaches Tally with a later `received_at` than the one before: within one status the
later one must win, and a higher status always wins. What the bank sent last is what Tally
must show.
"""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from typing import Any

from simulators.bank.generator import TransactionGenerator
from simulators.catalog import MINOR_UNITS

NEW = "new"
CORRECTION = "correction"                # pending, another amount
SETTLE = "settle"                        # settled, settled_at set
SETTLED_CORRECTION = "settled-correction"  # settled, another amount

# What follows an accepted version, with its probability: about 0.46 later versions per
# transaction, so a run of N new transactions sends about 1.46 N versions.
FOLLOW_UPS: dict[str, list[tuple[str, float]]] = {
    NEW: [(SETTLE, 0.25), (CORRECTION, 0.10)],
    CORRECTION: [(SETTLE, 0.5)],
    SETTLE: [(SETTLED_CORRECTION, 0.2)],
    SETTLED_CORRECTION: [],
}
EXPECTED_VERSIONS_PER_TRANSACTION = 1.46


def follow_up(kind: str, rng: random.Random) -> str | None:
    """The kind of the next version after an accepted `kind`, or None (no more versions)."""
    roll = rng.random()
    for candidate, probability in FOLLOW_UPS[kind]:
        if roll < probability:
            return candidate
        roll -= probability
    return None


def next_version(generator: TransactionGenerator, current: dict[str, Any], kind: str,
                 now: datetime) -> dict[str, Any]:
    """The version of kind `kind` that follows `current` (the last one sent)."""
    if kind == SETTLE:
        return generator.settled(current, at=now)
    if kind in (CORRECTION, SETTLED_CORRECTION):
        return {**current, "amount": corrected_amount(current["amount"], current["currency"])}
    raise ValueError(f"not a later version: {kind}")


def corrected_amount(amount: str, currency: str) -> str:
    """A larger amount in the same direction, at the currency's scale (10 % more, at least one
    minor unit): what a merchant's tip or a final fuel amount looks like."""
    step = Decimal(1).scaleb(-MINOR_UNITS[currency])
    value = Decimal(amount)
    larger = abs(value) + max(step, (abs(value) / 10).quantize(step))
    return str(-larger if value < 0 else larger)
