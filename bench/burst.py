"""The bank's burst (BURST_RATE webhooks/s × 100 transactions, open loop) with logins during it,
in alternating pairs of rounds against the same logins with no burst, under two placements of
the benchmark's own processes, pair by pair:

- `shared`: every process of ours may run on every core (one machine for everything);
- `pinned`: the api instance alone on CPU 1, everything else (ingest, consumers, simulators,
  load generators, this harness, and the local Cassandra node and RabbitMQ when they run on
  this machine) on CPU 0 — as deployed, where the api has hosts of its own, so the ratio
  measures contention through Cassandra and RabbitMQ, not a shared CPU. The servers get every
  core back after the last round, whatever happened.

In a burst round the consumers run with the spout at `spout` rows/s each; in a login-only round
they are paused (SIGSTOP), so its logins meet an idle stack. tally.ingest is purged before each
burst round, so every one starts alike; the backlog of the last is drained by the consumers
restarted uncapped, and that drain is timed (not in --quick: it is purged).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bench import host, loadgen, rounds
from bench.data import BenchUser
from bench.measure import MemorySampler, broker_pids, ingest_depth, local_cassandra_pid, purge_ingest
from bench.rounds import Pair, Round
from bench.scenarios import Result, failures, outcome_json
from bench.stack import Stack, pause, resume
from bench.traffic import Generators, Load, WebhookSpec
from devtools.nodes import NodeError
from devtools.procfs import descendants

BURST_RATE = 50  # webhooks/s, 100 transactions each (issue 8)
API_CPU = 1      # the pinned layout's core for the api instance; everything else of ours on the other


@dataclass
class Burst:
    stack: Stack
    generators: Generators
    spec: WebhookSpec
    login_users: list[BenchUser]
    seconds: float
    login_rate: float
    spout: int
    say: Callable[[str], None]
    servers: dict[str, list[int]] = field(default_factory=dict)  # Cassandra's and RabbitMQ's pids on this machine
    placements: dict[str, str] = field(default_factory=dict)

    def place(self, layout: str) -> frozenset[int]:
        """Applies a layout to our processes; returns the CPUs the generators may use. The
        harness is pinned alone (every process of ours is its child), then each process tree."""
        processes = {name: app.process.pid for name, app in self.stack.processes.items()}
        everything = host.all_cpus()
        pinned = layout == "pinned" and len(everything) > 1
        rest = everything - {API_CPU} if pinned else everything
        host.pin([os.getpid()], rest, children=False)
        host.pin([pid for name, pid in processes.items() if name != "api"], rest)
        host.pin([processes["api"]], {API_CPU} if pinned else everything)
        for pids in self.servers.values():
            host.pin(pids, rest)
        where = {name: "/".join(sorted({host.affinity(p) for p in descendants(pid)}))
                 for name, pid in processes.items()}
        where |= {name: "/".join(sorted({host.affinity(p) for p in pids})) for name, pids in self.servers.items()}
        unpinned = "" if self.servers else "; Cassandra and RabbitMQ not on this machine: unpinned"
        self.placements[layout] = (", ".join(f"{name} on CPU {cpus}" for name, cpus in where.items())
                                   + f", harness and load generators on CPU {host.affinity(os.getpid())}{unpinned}")
        return frozenset(rest)

    def logins(self, cpus: frozenset[int]) -> Load:
        return Load("logins", self.login_users, self.stack.url("api"), self.login_rate, self.seconds, cpus=cpus)

    def idle_round(self, layout: str) -> Round:
        def measure() -> tuple[float | None, dict[str, Any]]:
            outcome = self.generators.run(self.logins(self.place(layout))).outcome
            return loadgen.percentile(outcome.latencies, 99), {"logins": outcome_json(outcome)}
        return rounds.timed("idle", measure)

    def burst_round(self, layout: str) -> Round:
        def measure() -> tuple[float | None, dict[str, Any]]:
            cpus = self.place(layout)
            purge_ingest(self.stack)
            for consumer in self.stack.consumers():
                resume(consumer)
            logins = self.generators.start(self.logins(cpus))
            hooks = self.generators.run(Load("webhooks", self.spec, self.stack.url("ingest"), BURST_RATE,
                                             self.seconds, cpus=cpus))
            busy = logins().outcome
            for consumer in self.stack.consumers():
                pause(consumer)
            return loadgen.percentile(busy.latencies, 99), {
                "logins": outcome_json(busy), "webhooks": outcome_json(hooks.outcome),
                "webhook_p99": loadgen.percentile(hooks.outcome.latencies, 99), "transactions": hooks.transactions,
                "queue_depth_at_end": ingest_depth(self.stack)}
        return rounds.timed("burst", measure)


def burst(run: Burst, pairs: int, *, drain: bool) -> list[Result]:
    _restart_consumers(run.stack, run.spout)
    for consumer in run.stack.consumers():
        pause(consumer)
    measured: dict[str, list[Pair]] = {"shared": [], "pinned": []}
    try:
        with MemorySampler(run.stack) as memory:
            for index in range(pairs):
                for layout, done in measured.items():
                    done.append(rounds.pair(index, partial(run.burst_round, layout), partial(run.idle_round, layout)))
                    run.say(f"  pair {index + 1} {layout}: logins p99 {_ms(done[-1].subject.value)} during the "
                            f"burst, {_ms(done[-1].baseline.value)} idle")
    finally:
        run.place("shared")  # Cassandra and RabbitMQ outlive the run: never leave them on one core
    for consumer in run.stack.consumers():
        resume(consumer)
    backlog = ingest_depth(run.stack)
    if not drain:
        purge_ingest(run.stack)
    drained = _drain(run.stack)
    return [_burst_result(run, measured["shared"], backlog, drained if drain else None),
            _login_result(run, "login-under-burst", measured["shared"], 2.0, run.placements["shared"]),
            _login_result(run, "login-under-burst-pinned", measured["pinned"], 1.5, run.placements["pinned"]),
            _memory_result(memory.peaks)]


def local_servers(stack: Stack) -> dict[str, list[int]]:
    """The pids of the stack's Cassandra node and RabbitMQ when they are the local single node."""
    if stack.settings.contact_points != ["127.0.0.1"]:
        return {}
    try:
        return {"cassandra": [local_cassandra_pid()], "rabbitmq": broker_pids(stack)}
    except NodeError:
        return {}


def _drain(stack: Stack) -> float:
    """Seconds until the consumers, restarted uncapped, have written the last round's backlog."""
    ended = time.monotonic()
    _restart_consumers(stack, 0)
    return _wait_empty(stack, timeout=1800) - ended


def _burst_result(run: Burst, pairs: list[Pair], backlog: int, drained: float | None) -> Result:
    p99s = [p.subject.raw["webhook_p99"] for p in pairs if p.subject.raw["webhook_p99"] is not None]
    errors = sum(failures(p.subject.raw["webhooks"]) for p in pairs)
    p99 = rounds.Spread.of(p99s) if len(p99s) == len(pairs) else None
    drain = "not timed (--quick)" if drained is None else f"drained {drained:.0f} s after the last round"
    figure = f"p99 {p99.text(0, 1000)} ms, {errors} errors; {drain} ({backlog:,} messages)" if p99 else "n/a"
    return Result("burst", f"{len(pairs)} rounds of {run.seconds:.0f} s at {BURST_RATE} webhooks/s (100 "
                           f"transactions each), open loop, shared layout; spout {run.spout} rows/s per consumer",
                  p99.median if p99 else None, figure, "p99 ≤ 100 ms, 0 errors",
                  p99 is not None and p99.median <= 0.100 and errors == 0, spread=p99,
                  raw={"drain_seconds": None if drained is None else round(drained, 1), "backlog_messages": backlog,
                       "spout_rows_per_second_per_consumer": run.spout})


def _login_result(run: Burst, scenario: str, pairs: list[Pair], limit: float, placement: str) -> Result:
    ratio = rounds.ratio_spread(pairs)
    busy, idle = rounds.spread_of(pairs, "subject"), rounds.spread_of(pairs, "baseline")
    failed = sum(failures(r.raw["logins"]) for p in pairs for r in (p.subject, p.baseline))
    figure = (f"{ratio.text()}; p99 {busy.text(0, 1000)} ms vs {idle.text(0, 1000)} ms; {failed} failed"
              if ratio and busy and idle else "n/a")
    return Result(scenario, f"login ({run.login_rate}/s, bcrypt cost {run.stack.settings.bcrypt_cost}) p99 in a "
                            f"burst round vs a login-only round, {run.seconds:.0f} s each; {placement}",
                  ratio.median if ratio else None, figure, f"p99 ratio ≤ {limit}, 0 failed logins",
                  ratio is not None and ratio.median <= limit and failed == 0, spread=ratio,
                  raw={"pairs": [p.json() for p in pairs], "failed": failed, "placement": placement})


def _memory_result(peaks: dict[str, float]) -> Result:
    worst = max(peaks.values()) if peaks else None
    return Result("memory", "peak RSS of each gunicorn worker and consumer during the burst rounds", worst,
                  f"max {worst:.0f} MiB over {len(peaks)} processes" if worst else "n/a", "≤ 150 MiB each",
                  worst is not None and worst <= 150, {"peak_rss_mib": peaks})


def _restart_consumers(stack: Stack, cap: int) -> None:
    stack.stop_consumers()
    stack.settings = stack.settings.replace(consumer_max_rows_per_second=cap)
    stack.start_consumers(2)


def _wait_empty(stack: Stack, timeout: float) -> float:
    """When tally.ingest holds nothing, ready or unacked: every burst row is written."""
    deadline = time.monotonic() + timeout
    while ingest_depth(stack) > 0:
        if time.monotonic() > deadline:
            raise TimeoutError(f"tally.ingest not drained after {timeout} s")
        time.sleep(1)
    return time.monotonic()


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.0f} ms"
