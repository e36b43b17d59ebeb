"""Ingest: accepted webhooks/s in a closed loop, Tally's ingest instance against the
read-body-only baseline (bench/baseline.py: the same app, gunicorn settings, request log and
metrics; the view reads the body and answers 202), both up at once on their own ports, with
the consumers stopped and tally.ingest purged after every Tally round.

First a sweep, to find the bound: for each gunicorn configuration (workers × threads) both apps
run, and at each number of connections one pair of rounds. Every round reads the CPU per
accepted request of the side's gunicorn processes, of RabbitMQ (beam.smp, when it runs on this
host) and of the generator, and the machine's idle share: near 0, the side was bound by CPU;
well above it, by waiting (for Tally, on the broker's confirm). Then the headline: each side at
its best point of the sweep, in alternating pairs (bench/rounds.py).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from bench import loadgen, rounds
from bench.measure import broker_pids, purge_ingest
from bench.rounds import Pair, Round
from bench.scenarios import Result, outcome_json
from bench.stack import Stack, start_instance
from bench.traffic import Generators, Load, WebhookSpec
from devtools.processes import AppProcess, free_port
from devtools.procfs import descendants

BASELINE_APP = "bench.baseline:ingest()"
CPU_BOUND_IDLE_PERCENT = 10.0  # below it the machine had no CPU left: the bound was CPU


@dataclass(frozen=True)
class Point:
    """Where one round ran: gunicorn workers × threads, and the generator's connections."""

    workers: int
    threads: int
    connections: int

    def text(self) -> str:
        return f"{self.workers}×{self.threads}, {self.connections} conn."

    def json(self) -> dict[str, int]:
        return {"workers": self.workers, "threads": self.threads, "connections": self.connections}


@dataclass
class Ingest:
    """What every round needs."""

    stack: Stack
    spec: WebhookSpec
    generators: Generators
    seconds: float
    say: Callable[[str], None]

    def round(self, side: str, app: AppProcess, point: Point) -> Round:
        def measure() -> tuple[float | None, dict[str, Any]]:
            watch = {"workers": descendants(app.process.pid), "rabbitmq": broker_pids(self.stack)}
            generated = self.generators.run(Load("webhooks", self.spec, app.url or "", point.connections,
                                                 self.seconds, mode="closed", watch=watch))
            if side == "tally":
                purge_ingest(self.stack)
                time.sleep(0.5)  # the broker's clean-up after the purge stays out of the next round
            outcome = generated.outcome
            rate = outcome.ok / outcome.elapsed if outcome.elapsed else None
            return rate, {**point.json(), **outcome_json(outcome), "cpu": generated.cpu}
        return rounds.timed(side, measure)


@contextlib.contextmanager
def apps(stack: Stack, configs: tuple[tuple[int, int], ...]) -> Iterator[dict[tuple[str, tuple[int, int]], AppProcess]]:
    """Tally's ingest and the baseline at each workers × threads, all up until the block ends
    (idle ones cost nothing, and the headline reuses the sweep's instances)."""
    started: dict[tuple[str, tuple[int, int]], AppProcess] = {}
    try:
        for config in configs:
            workers, threads = config
            started["tally", config] = start_instance("ingest", stack.settings, stack.log_dir, workers=workers,
                                                      threads=threads)
            started["baseline", config] = start_instance("ingest", stack.settings, stack.log_dir, workers=workers,
                                                         threads=threads, app_path=BASELINE_APP)
        yield started
    finally:
        for app in started.values():
            app.stop()


def ingest(run: Ingest, configs: tuple[tuple[int, int], ...], connections: tuple[int, ...], pairs: int) -> Result:
    points: list[Pair] = []
    with apps(run.stack, configs) as instances:
        for config in configs:
            for conns in connections:
                point = Point(*config, conns)
                points.append(rounds.pair(len(points), partial(run.round, "tally", instances["tally", config], point),
                                          partial(run.round, "baseline", instances["baseline", config], point)))
                run.say(f"  sweep {point.text()}: {_point_line(points[-1])}")
        best = {side: _best(points, side) for side in ("subject", "baseline")}
        run.say(f"ingest: Tally at {best['subject'].text()}, the baseline at {best['baseline'].text()}; "
                f"{pairs} pairs of {run.seconds:.0f} s rounds")
        tally, base = instances["tally", _config(best["subject"])], instances["baseline", _config(best["baseline"])]
        headline = rounds.alternate(pairs, lambda: run.round("tally", tally, best["subject"]),
                                    lambda: run.round("baseline", base, best["baseline"]))
    ceiling = _generator_ceiling(run, max(connections))
    return _result(points, headline, best, ceiling)


def _result(points: list[Pair], headline: list[Pair], best: dict[str, Point], ceiling: float) -> Result:
    ratio = rounds.ratio_spread(headline)
    tally, base = rounds.spread_of(headline, "subject"), rounds.spread_of(headline, "baseline")
    figure = "n/a"
    if ratio and tally and base:
        figure = (f"{ratio.text()}; {tally.median:.0f}/{base.median:.0f} req/s at {best['subject'].text()} / "
                  f"{best['baseline'].text()}; generator ceiling {ceiling:.0f}")
    return Result("ingest", "accepted webhooks/s (100 transactions each), closed loop, each side at its best "
                            "point of the sweep", ratio.median if ratio else None, figure, "ratio ≥ 0.5",
                  ratio is not None and ratio.median >= 0.5, spread=ratio,
                  raw={"pairs": [p.json() for p in headline], "sweep": [p.json() for p in points],
                       "best": {"tally": best["subject"].json(), "baseline": best["baseline"].json()},
                       "bound": {"tally": bound(headline, "subject"), "baseline": bound(headline, "baseline")},
                       "generator_ceiling_req_per_s": round(ceiling, 1)})


def _best(points: list[Pair], side: str) -> Point:
    chosen = max(points, key=lambda p: getattr(p, side).value or 0.0)
    raw = getattr(chosen, side).raw
    return Point(raw["workers"], raw["threads"], raw["connections"])


def _config(point: Point) -> tuple[int, int]:
    return point.workers, point.threads


def bound(pairs: list[Pair], side: str) -> str:
    """'CPU' when the machine had next to no idle CPU in the side's rounds (median), else 'waiting'."""
    idle = rounds.Spread.of([getattr(p, side).raw["cpu"]["machine_idle_percent"] for p in pairs]).median
    return f"{'CPU' if idle < CPU_BOUND_IDLE_PERCENT else 'waiting'} (machine idle {idle:.0f} %)"


def _point_line(pair: Pair) -> str:
    return "; ".join(f"{r.side} {r.value or 0:.0f} req/s, {_cpu_text(r.raw['cpu'])}" for r in (pair.subject,
                                                                                                 pair.baseline))


def _cpu_text(cpu: dict[str, float]) -> str:
    parts = [f"{name} {cpu[f'{name}_ms_per_request']:.2f}" for name in ("workers", "rabbitmq", "generator")
             if f"{name}_ms_per_request" in cpu]
    return f"ms CPU/request {' '.join(parts)}, idle {cpu['machine_idle_percent']:.0f} %"


def sweep_table(raw: dict[str, Any]) -> str:
    """The sweep as a markdown table (bench/profiles/ingest.md): one row per point and side."""
    rows = ["| workers × threads | connections | side | req/s | workers ms CPU/req | RabbitMQ ms CPU/req | "
            "generator ms CPU/req | machine idle |", "|---|---|---|---|---|---|---|---|"]
    for point in raw["sweep"]:
        for side in ("tally", "baseline"):
            r = point[side]
            cpu = r["cpu"]
            rows.append(f"| {r['workers']}×{r['threads']} | {r['connections']} | {side} | {r['value']:.0f} | "
                        f"{cpu.get('workers_ms_per_request', 0):.2f} | {cpu.get('rabbitmq_ms_per_request', 0):.2f} | "
                        f"{cpu.get('generator_ms_per_request', 0):.2f} | {cpu['machine_idle_percent']:.0f} % |")
    return "\n".join(rows)


def _generator_ceiling(run: Ingest, connections: int) -> float:
    """What the generator alone can push: closed loop against a server that answers at once."""
    port = free_port()
    server = multiprocessing.get_context("spawn").Process(target=loadgen.serve_null, args=(port,), daemon=True)
    server.start()
    time.sleep(1.0)
    try:
        outcome = run.generators.run(Load("webhooks", run.spec, f"http://127.0.0.1:{port}", connections,
                                          run.seconds, mode="closed")).outcome
    finally:
        server.terminate()
    return outcome.ok / outcome.elapsed
