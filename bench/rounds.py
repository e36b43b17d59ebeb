"""Interleaved rounds: every ratio of the benchmark comes from its two sides measured in short
rounds that alternate, A B, B A, A B …, each pair back to back.

Why: this machine is shared, and its speed moves by up to 2× within minutes. Two sides measured
minutes apart give a ratio of the machine's drift; two rounds run seconds apart see the same
machine. Each pair gives one ratio; the figure is the median ratio with the lowest and the
highest beside it, and a target is met or missed by the median. The side that goes first
alternates from pair to pair, so a machine that speeds up or slows down steadily through a
pair favours neither side over the run.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.host import cpu_times, steal_percent


@dataclass(frozen=True)
class Spread:
    """The median of some values, with the lowest and the highest."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            raise ValueError("a spread of no values")
        return cls(statistics.median(values), min(values), max(values))

    def text(self, digits: int = 2, scale: float = 1.0) -> str:
        """'0.52 (0.47–0.55)'."""
        return (f"{self.median * scale:.{digits}f} ({self.low * scale:.{digits}f}–"
                f"{self.high * scale:.{digits}f})")

    def json(self, digits: int = 4) -> dict[str, float]:
        return {"median": round(self.median, digits), "min": round(self.low, digits), "max": round(self.high, digits)}


@dataclass
class Round:
    """One side measured once: its figure (req/s, a p99 in seconds, rows/s) and all the rest."""

    side: str
    value: float | None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Pair:
    index: int
    subject: Round
    baseline: Round
    first: str  # which side ran first in this pair

    @property
    def ratio(self) -> float | None:
        s, b = self.subject.value, self.baseline.value
        return s / b if s is not None and b else None

    def json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {"pair": self.index, "first": self.first, "ratio": None if ratio is None else round(ratio, 4),
                self.subject.side: {"value": self.subject.value, **self.subject.raw},
                self.baseline.side: {"value": self.baseline.value, **self.baseline.raw}}


def timed(side: str, measure: Callable[[], tuple[float | None, dict[str, Any]]]) -> Round:
    """Runs one round and keeps, with what it measured, when it ran and the steal meanwhile."""
    started, before = time.time(), cpu_times()
    value, raw = measure()
    raw = {"started_at": round(started, 1), "steal_percent": steal_percent(before, cpu_times()), **raw}
    return Round(side, value, raw)


def pair(index: int, subject: Callable[[], Round], baseline: Callable[[], Round]) -> Pair:
    """One pair, back to back: the subject first in even pairs, the baseline first in odd ones."""
    if index % 2 == 0:
        first = subject()
        return Pair(index, first, baseline(), first.side)
    second = baseline()
    return Pair(index, subject(), second, second.side)


def alternate(count: int, subject: Callable[[], Round], baseline: Callable[[], Round]) -> list[Pair]:
    return [pair(i, subject, baseline) for i in range(count)]


def ratios(pairs: Sequence[Pair]) -> list[float]:
    return [r for p in pairs if (r := p.ratio) is not None]


def spread_of(pairs: Sequence[Pair], side: str) -> Spread | None:
    """The spread of one side's own figure over the pairs ('subject' or 'baseline')."""
    values = [v for p in pairs if (v := getattr(p, side).value) is not None]
    return Spread.of(values) if values else None


def ratio_spread(pairs: Sequence[Pair]) -> Spread | None:
    values = ratios(pairs)
    return Spread.of(values) if values and len(values) == len(pairs) else None


def agreement(values: Sequence[float]) -> float:
    """How far the furthest of several runs' figures lies from their median, as a share of it
    (0.15: every run within ±15 % of the median run)."""
    centre = statistics.median(values)
    if centre == 0:
        return 0.0 if all(v == 0 for v in values) else float("inf")
    return max(abs(v - centre) for v in values) / abs(centre)
