"""Scaling curves of `tally bench scale` (bench/scale.py): what one round costs in CPU per unit
of work, the point a curve's rounds make, and where a curve bends and why.

Pure arithmetic over readings of /proc (bench/host.py), so it is tested without a machine.

A unit is what the curve counts: an accepted webhook (100 transactions) for ingest, a stored
row for the consumers, a confirmed message for the queue. The CPU a group of processes spends
per unit does not depend on how many cores the machine has; the rate does. On this 2-core
machine every curve bends early, and the CPU per unit says why: when the machine has no idle
CPU left, `cores × 1000 / Σ ms per unit` is the most any number of instances can reach here.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench.host import Reading, idle_percent, read, steal_percent

# A step that adds less than half of what one instance gave at the start is where the curve
# bends: past it, more instances mostly share what the first ones already had.
BEND_GAIN = 0.5
# Groups that are a part of another group (the node leading a queue is one of the broker's
# nodes): shown, never added to a sum.
PARTS = frozenset({"leader"})
# Below this share of idle CPU the machine had nothing left to give: the bound was CPU.
CPU_BOUND_IDLE_PERCENT = 10.0


def per_unit(before: Reading, after: Reading, units: float) -> dict[str, float]:
    """Between two readings: seconds, the machine's idle and stolen shares, and for each group
    of processes the cores it used (`<group>_cores`) and its milliseconds of CPU per unit of
    work (`<group>_ms`, only when some work was done)."""
    seconds = after.wall - before.wall
    out = {"seconds": round(seconds, 2), "machine_idle_percent": idle_percent(before.machine, after.machine),
           "steal_percent": steal_percent(before.machine, after.machine)}
    for name, then in before.groups.items():
        used = max(0.0, after.groups.get(name, then) - then)
        out[f"{name}_cores"] = round(used / seconds, 3) if seconds > 0 else 0.0
        if units > 0:
            out[f"{name}_ms"] = round(1000 * used / units, 4)
    return out


def without_background(cpu: Mapping[str, float], background: Mapping[str, float], units: float) -> dict[str, float]:
    """A per_unit() answer less what each group burns while idle (`background`: cores, read
    just before the round): a light load (a few listings a second) costs little beside three
    idle JVMs' gossip and compactions, which are not the unit's cost."""
    out = dict(cpu)
    for name, cores in background.items():
        if f"{name}_ms" in cpu and units > 0:
            out[f"{name}_ms"] = round(max(0.0, cpu[f"{name}_ms"] - 1000 * cores * cpu["seconds"] / units), 4)
            out[f"{name}_background_cores"] = round(cores, 3)
    return out


def background(groups: Mapping[str, Sequence[int]], seconds: float = 2.0) -> dict[str, float]:
    """Cores each group uses over `seconds` of no load (sleeps that long)."""
    before = read(groups)
    time.sleep(seconds)
    return groups_of(per_unit(before, read(groups), 0), "_cores")


def groups_of(cpu: Mapping[str, float], suffix: str) -> dict[str, float]:
    """{group: value} of the `<group><suffix>` entries of a per_unit() answer."""
    return {key[: -len(suffix)]: value for key, value in cpu.items() if key.endswith(suffix)}


@dataclass(frozen=True)
class CurvePoint:
    """One point of a curve: `instances` (consumers, ingest instances, publishers) and the
    medians of its rounds: rate (units/s), the machine's idle share, and per group of
    processes the cores used and the milliseconds of CPU per unit."""

    instances: int
    rate: float
    idle_percent: float
    cores: dict[str, float]
    ms: dict[str, float]
    rounds: int = 1

    @classmethod
    def of(cls, instances: int, rounds: Sequence[tuple[float, Mapping[str, float]]]) -> CurvePoint:
        """The median point of rounds given as (rate, per_unit() answer)."""
        if not rounds:
            raise ValueError(f"no rounds at {instances}")
        cpus = [cpu for _, cpu in rounds]

        def median_of(suffix: str) -> dict[str, float]:
            names = {name for cpu in cpus for name in groups_of(cpu, suffix)}
            return {name: round(statistics.median(groups_of(cpu, suffix)[name] for cpu in cpus
                                                  if name in groups_of(cpu, suffix)), 4) for name in sorted(names)}

        return cls(instances, round(statistics.median(rate for rate, _ in rounds), 1),
                   round(statistics.median(cpu["machine_idle_percent"] for cpu in cpus), 1),
                   median_of("_cores"), median_of("_ms"), len(rounds))

    @property
    def total_ms(self) -> float:
        """Milliseconds of CPU per unit, every measured group together (parts not twice)."""
        return sum(v for name, v in self.ms.items() if name not in PARTS)

    def json(self) -> dict[str, object]:
        return {"instances": self.instances, "rate": self.rate, "machine_idle_percent": self.idle_percent,
                "cores": self.cores, "ms_per_unit": self.ms, "rounds": self.rounds}


def ceiling(ms_per_unit: Mapping[str, float], cores: float) -> float | None:
    """Units per second that `cores` fully busy can carry when each unit costs these ms of CPU."""
    total = sum(v for name, v in ms_per_unit.items() if name not in PARTS)
    return cores * 1000 / total if total > 0 else None


def gains(points: Sequence[CurvePoint]) -> list[float]:
    """Each step's added rate per added instance, as a share of what one instance gave at the
    first point (1.0: linear; 0: flat; negative: the step lost rate)."""
    if len(points) < 2 or points[0].rate <= 0:
        return []
    first = points[0].rate / points[0].instances
    return [(b.rate - a.rate) / (b.instances - a.instances) / first for a, b in zip(points, points[1:], strict=False)]


def bend(points: Sequence[CurvePoint]) -> int | None:
    """The instances after which the curve bends: the last point before the first step that
    adds less than BEND_GAIN of one instance's rate; None while every step adds more."""
    for point, gain in zip(points, gains(points), strict=False):
        if gain < BEND_GAIN:
            return point.instances
    return None


def explain(points: Sequence[CurvePoint], unit: str, machine_cores: int) -> str:
    """Where the curve bends and why, in one paragraph: the step that gained little, whether
    the machine had CPU left, who used it, and the ceiling the CPU per unit allows here."""
    if len(points) < 2:
        return "one point: no curve"
    at = bend(points)
    steps = dict(zip((p.instances for p in points[1:]), gains(points), strict=True))
    if at is None:
        last = points[-1]
        return (f"no bend up to {last.instances}: every step adds ≥ {BEND_GAIN:.0%} of one instance's rate "
                f"(last step {steps[last.instances]:.0%}); machine idle {last.idle_percent:.0f} % at "
                f"{last.instances}")
    after = next(p for p in points if p.instances > at)
    top = ", ".join(f"{name} {cores:.2f}" for name, cores in sorted(after.cores.items(), key=lambda kv: -kv[1])
                    if cores >= 0.05)
    bound = ("CPU: the machine had no idle CPU left" if after.idle_percent < CPU_BOUND_IDLE_PERCENT
             else "not CPU (waiting: on the broker's confirms, on Cassandra's replies, or on one process)")
    limit = ceiling(after.ms, machine_cores)
    limit_text = (f"; Σ CPU per {unit} {after.total_ms:.2f} ms → at most {limit:.0f} {unit}s/s on "
                  f"{machine_cores} cores, measured {after.rate:.0f}") if limit else ""
    return (f"bends at {at}: {at}→{after.instances} adds {steps[after.instances]:.0%} of one instance's rate; "
            f"machine idle {after.idle_percent:.0f} % at {after.instances}, so the bound is {bound}; cores used "
            f"there: {top}{limit_text}")
