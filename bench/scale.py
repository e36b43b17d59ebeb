"""`tally bench scale`: how throughput grows with instances, on one node (RF 1) and on a
three-node cluster (RF 3), with the CPU each unit of work costs next to every figure.

Curves, each on both deployments (bench/deployments.py), both up for the whole run:

- consumers: rows/s stored by 1, 2, 3, 4 consumers over a backlog queued while they were paused;
- ingest: accepted webhooks/s (100 transactions each, closed loop) through nginx in front of 1
  and of 2 ingest instances, consumers stopped;
- lists: GET /me/transactions at a fixed rate (the CPU a listing costs, for docs/capacity.md);
- queue: confirmed publishes/s of 100-transaction messages into the one quorum queue
  `tally.ingest`, by several publishers (bench/confirms.py).

Interleaved as `tally bench` is (bench/rounds.py): at each point the two deployments run back
to back in a pair (which one goes first alternates), so the cluster / one-node ratio of a point
compares seconds-apart rounds; the points go up in even repetitions and down in odd ones, so
the speed-up of n instances over one is the median of one ratio per repetition. Every round
reads the CPU of each group of processes from /proc (bench/curves.py): ms per accepted webhook
in the gunicorn workers, nginx and RabbitMQ; per stored row in the consumers, Cassandra and
RabbitMQ. Where each curve bends and why is printed and kept in the results JSON, with the
capacity model's prediction of every point (bench/capacity.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from bench import capacity, confirms, host, loadgen, rounds
from bench.curves import CurvePoint, background, explain, per_unit, without_background
from bench.data import PASSWORD, Transactions
from bench.deployments import Deployment, cluster, single
from bench.measure import publish_direct, purge_ingest, rows_written, wait_rows
from bench.rounds import Pair
from bench.run import RESULTS, software
from bench.scenarios import outcome_json
from bench.stack import WORKERS, pause, resume
from bench.traffic import Generators, Load
from devtools.procfs import descendants
from service import logs
from service.repositories.partners import new_secret

SIDES = ("cluster", "single")  # subject / baseline of every pair: the ratio is cluster / one node
CURVES = ("consumers", "ingest", "queue", "lists")
UNITS = {"consumers": "row", "ingest": "webhook", "queue": "message", "lists": "listing"}
READERS = 5  # users who list (logged in once; bcrypt cost 12)


@dataclasses.dataclass(frozen=True)
class Plan:
    quick: bool
    reps: int                       # repetitions of every curve (up, down, up …)
    consumers: tuple[int, ...]      # consumer counts
    backlog: int                    # rows of one consumer round
    ingest_instances: tuple[int, ...]
    ingest_seconds: float
    connections: int                # the closed loop's connections to nginx
    publishers: tuple[int, ...]     # concurrent publishers into one quorum queue
    confirm_seconds: float
    list_seconds: float
    list_rate: float = 20.0         # GET /me/transactions per second, as `tally bench` reads
    warm_rows: int = 2000

    @classmethod
    def of(cls, quick: bool) -> Plan:
        # A consumer round is a backlog of 100-transaction messages queued while the consumers
        # are paused; 8,000 rows keep the slowest round (RF 3, one consumer) near 30 s, so the
        # full run stays under 20 minutes with the cluster's start. --quick checks that
        # everything works (3 points, one repetition, a few minutes).
        if quick:
            return cls(True, 1, (1, 2, 4), 2000, (1, 2), 2, 32, (16,), 2, 2)
        return cls(False, 3, (1, 2, 3, 4), 8000, (1, 2), 5, 32, (8, 32), 5, 8)


Measure = Callable[[Deployment, int], tuple[float | None, dict[str, Any]]]


def order(reps: int, levels: Sequence[int]) -> list[tuple[int, int]]:
    """(repetition, level) in the order they run: levels up in even repetitions, down in odd
    ones, so a machine that drifts through a run favours no level."""
    return [(rep, level) for rep in range(reps) for level in (levels if rep % 2 == 0 else list(reversed(levels)))]


def measure_curve(deployments: dict[str, Deployment], levels: Sequence[int], reps: int, measure: Measure, *,
                  say: Callable[[str], None], label: str) -> list[Pair]:
    """Every (repetition, level) as a pair of rounds, cluster and one node back to back."""
    pairs: list[Pair] = []
    for rep, level in order(reps, levels):
        def side(key: str, rep: int = rep, level: int = level) -> Callable[[], rounds.Round]:
            def run() -> tuple[float | None, dict[str, Any]]:
                value, raw = measure(deployments[key], level)
                return value, {"rep": rep, **raw}
            return lambda: rounds.timed(key, run)
        pairs.append(rounds.pair(len(pairs), side("cluster"), side("single")))
        p = pairs[-1]
        say(f"  {label} {level}: one node {_num(p.baseline.value)}, cluster {_num(p.subject.value)} "
            f"({_cpu_line(p.baseline.raw['cpu'])} | {_cpu_line(p.subject.raw['cpu'])})")
    return pairs


def sides(pairs: Sequence[Pair], key: str) -> list[rounds.Round]:
    return [r for p in pairs for r in (p.subject, p.baseline) if r.side == key]


def points(pairs: Sequence[Pair], key: str) -> list[CurvePoint]:
    """The median point of each level of one deployment's rounds."""
    by_level: dict[int, list[tuple[float, dict[str, float]]]] = {}
    for r in sides(pairs, key):
        if r.value is not None:
            by_level.setdefault(r.raw["instances"], []).append((r.value, r.raw["cpu"]))
    return [CurvePoint.of(level, found) for level, found in sorted(by_level.items())]


def speedups(pairs: Sequence[Pair], key: str) -> dict[int, rounds.Spread]:
    """Each level's rate over the first level's, one ratio per repetition."""
    values: dict[tuple[int, int], float] = {(r.raw["rep"], r.raw["instances"]): r.value
                                            for r in sides(pairs, key) if r.value}
    levels = sorted({level for _, level in values})
    out = {}
    for level in levels:
        ratios = [values[rep, level] / values[rep, levels[0]] for rep, lv in values
                  if lv == level and (rep, levels[0]) in values]
        if ratios:
            out[level] = rounds.Spread.of(ratios)
    return out


def cluster_ratios(pairs: Sequence[Pair]) -> dict[int, rounds.Spread]:
    """Cluster over one node at each level, one ratio per pair."""
    by_level: dict[int, list[float]] = {}
    for p in pairs:
        if p.ratio is not None:
            by_level.setdefault(p.subject.raw["instances"], []).append(p.ratio)
    return {level: rounds.Spread.of(values) for level, values in sorted(by_level.items())}


# -- the rounds ---------------------------------------------------------------------------------
def consumer_round(d: Deployment, count: int, rows: int) -> tuple[float | None, dict[str, Any]]:
    """`count` consumers, paused while `rows` are queued, then resumed together; the clock and
    the CPU readings run until the last row is written."""
    consumers = d.use_consumers(count)
    base = rows_written(d.stack)  # read before the pause: a paused consumer does not answer
    for app in consumers:
        pause(app)
    try:
        publish_direct(d.stack, d.users, rows)
    except BaseException:
        for app in consumers:
            resume(app)
        raise
    groups = {"consumers": [pid for app in consumers for pid in descendants(app.process.pid)],
              "cassandra": d.cassandra, "rabbitmq": d.rabbitmq()}
    before = host.read(groups)
    for app in consumers:
        resume(app)
    wait_rows(d.stack, base + rows, timeout=max(180.0, rows / 40))
    cpu = per_unit(before, host.read(groups), rows)
    return rows / cpu["seconds"], {"instances": count, "rows": rows, "cpu": cpu}


def ingest_round(d: Deployment, instances: int, generators: Generators, seconds: float,
                 connections: int) -> tuple[float | None, dict[str, Any]]:
    proxy = d.proxies[instances]
    watch = {"workers": d.workers(instances), "nginx": descendants(proxy.process.pid), "rabbitmq": d.rabbitmq(),
             "cassandra": d.cassandra}
    generated = generators.run(Load("webhooks", d.spec, proxy.url or "", connections, seconds, mode="closed",
                                    watch=watch))
    purge_ingest(d.stack)
    time.sleep(0.5)  # the broker's clean-up after the purge stays out of the next round
    outcome = generated.outcome
    return (outcome.ok / outcome.elapsed if outcome.elapsed else None,
            {"instances": instances, "connections": connections, **outcome_json(outcome),
             "cpu": _renamed(generated.cpu)})


def list_round(d: Deployment, rate: float, generators: Generators,
               seconds: float) -> tuple[float | None, dict[str, Any]]:
    """GET /me/transactions (30 days, 50 rows) open loop at `rate`: its p99 in ms, and the CPU
    per listing."""
    watch = {"api": descendants(d.stack.processes["api"].process.pid), "cassandra": d.cassandra}
    idle = background(watch)
    generated = generators.run(Load("reads", d.tokens, d.stack.url("api"), rate, seconds, watch=watch))
    outcome = generated.outcome
    p99 = loadgen.percentile(outcome.latencies, 99)
    return (None if p99 is None else p99 * 1000,
            {"instances": int(rate), **outcome_json(outcome),
             "cpu": without_background(_renamed(generated.cpu), idle, outcome.ok)})


def _renamed(cpu: dict[str, float]) -> dict[str, float]:
    """bench.host.usage's `<group>_ms_per_request` as bench.curves' `<group>_ms`."""
    return {k.replace("_ms_per_request", "_ms"): v for k, v in cpu.items()}


# -- the run --------------------------------------------------------------------------------------
def run(quick: bool, say: Callable[[str], None] = print) -> tuple[dict[str, Any], Path]:
    plan = Plan.of(quick)
    started, started_at = time.monotonic(), datetime.now(UTC)
    log_dir = RESULTS.parent / "logs" / f"{started_at:%Y%m%dT%H%M%S}-scale"
    log_dir.mkdir(parents=True, exist_ok=True)
    secret = new_secret()
    with single(log_dir, secret, say) as one, cluster(log_dir, secret, say) as three, Generators() as generators:
        logs.configure(one.stack.settings, "bench")
        deployments = {"single": one, "cluster": three}
        for d in deployments.values():
            warm(d, plan, generators, say)
        measured, phases = _curves(deployments, plan, generators, say)
        partition = partition_size(one, say)
        versions = software(one.stack)
    report = results(measured, machine_cores=os.cpu_count() or 1)
    report.update(started_at=started_at.isoformat(), duration_seconds=round(time.monotonic() - started, 1),
                  plan=dataclasses.asdict(plan), machine=host.machine(), versions=versions, phases=phases,
                  partition=partition)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{started_at:%Y%m%dT%H%M%SZ}-scale{'-quick' if quick else ''}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    return report, path


def warm(d: Deployment, plan: Plan, generators: Generators, say: Callable[[str], None]) -> None:
    """Not measured: the JVMs' and the brokers' first work, the readers' logins."""
    say(f"{d.title}: warming up ({plan.warm_rows:,} rows through 2 consumers, 1 s of webhooks, {READERS} logins)")
    d.use_consumers(2)
    before = rows_written(d.stack)
    publish_direct(d.stack, d.users, plan.warm_rows)
    wait_rows(d.stack, before + plan.warm_rows, timeout=300)
    d.stack.stop_consumers()
    ingest_round(d, max(d.proxies), generators, 1.0, plan.connections)
    with contextlib.closing(requests.Session()) as http:
        d.tokens = [http.post(f"{d.stack.url('api')}/auth/login", json={"email": u.email, "password": PASSWORD},
                              timeout=30).json()["token"] for u in d.users[:READERS]]


def _curves(deployments: dict[str, Deployment], plan: Plan, generators: Generators,
            say: Callable[[str], None]) -> tuple[dict[str, list[Pair]], dict[str, Any]]:
    measured: dict[str, list[Pair]] = {}
    phases: dict[str, Any] = {}

    @contextlib.contextmanager
    def phase(name: str, text: str) -> Iterator[None]:
        probe, before = host.cpu_probe_ms(), host.cpu_times()
        say(f"{name}: {text} (CPU probe {probe} ms)")
        yield
        phases[name] = {"cpu_probe_ms_at_start": probe, "steal_percent": host.steal_percent(before, host.cpu_times())}

    with phase("consumers", f"{plan.reps} × {plan.consumers} consumers over {plan.backlog:,}-row backlogs"):
        measured["consumers"] = measure_curve(deployments, plan.consumers, plan.reps,
                                              lambda d, n: consumer_round(d, n, plan.backlog), say=say,
                                              label="consumers")
    for d in deployments.values():
        d.stack.stop_consumers()
    with phase("ingest", f"{plan.reps} × {plan.ingest_instances} ingest instances behind nginx, "
                         f"{plan.connections} connections, {plan.ingest_seconds:.0f} s rounds, consumers stopped"):
        measured["ingest"] = measure_curve(
            deployments, plan.ingest_instances, plan.reps,
            lambda d, n: ingest_round(d, n, generators, plan.ingest_seconds, plan.connections), say=say,
            label="ingest instances")
    with phase("queue", f"{plan.publishers} publishers into tally.ingest, {plan.confirm_seconds:.0f} s rounds"), \
            _body(deployments["single"]) as body:
        measured["queue"] = measure_curve(
            deployments, plan.publishers, max(1, plan.reps - 1),
            lambda d, n: confirms.confirm_round(d.stack, body, {"rabbitmq": d.rabbitmq(), "leader": d.leader()}, n,
                                                plan.confirm_seconds), say=say, label="publishers")
    with phase("lists", f"GET /me/transactions at {plan.list_rate:.0f}/s, {plan.list_seconds:.0f} s rounds"):
        measured["lists"] = measure_curve(deployments, (int(plan.list_rate),), max(1, plan.reps - 1),
                                          lambda d, rate: list_round(d, rate, generators, plan.list_seconds), say=say,
                                          label="lists/s")
    return measured, phases


@contextlib.contextmanager
def _body(d: Deployment) -> Iterator[Path]:
    """One real 100-transaction webhook body in a file the publisher processes read."""
    body = json.dumps({"transactions": Transactions(d.users).batch(100)}, separators=(",", ":"))
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        handle.write(body)
        handle.flush()
        yield Path(handle.name)


# -- the partition a heavy user makes ---------------------------------------------------------------
TABLE = "transactions_by_user_day"


def table_stats(text: str) -> dict[str, int]:
    """The figures of `nodetool tablestats` this bench reads, by name."""
    wanted = {"Number of partitions (estimate)": "partitions", "Space used (live)": "live_bytes",
              "Compacted partition mean bytes": "partition_mean_bytes",
              "Compacted partition maximum bytes": "partition_max_bytes"}
    out = {}
    for label, key in wanted.items():
        found = re.search(rf"^\s*{re.escape(label)}:\s*(\d+)", text, re.M)
        if found:
            out[key] = int(found[1])
    return out


def row_bytes(stats: dict[str, int], rows: int) -> dict[str, float]:
    """Bytes per stored row: serialized (what a partition's size limit counts) and on disk."""
    partitions = stats.get("partitions", 0)
    if not rows or not partitions:
        return {}
    return {"serialized": round(stats.get("partition_mean_bytes", 0) * partitions / rows, 1),
            "on_disk": round(stats.get("live_bytes", 0) / rows, 1)}


def partition_size(d: Deployment, say: Callable[[str], None]) -> dict[str, Any]:
    """After the consumer rounds, on the single node: its day partitions flushed and compacted
    into one SSTable, then the bytes a row takes (for docs/capacity.md: how large a heavy
    user's day grows)."""
    rows = d.stack.session.execute("SELECT COUNT(*) FROM transactions_by_user_day", timeout=120).one()[0]
    tool = [str(Path(__file__).resolve().parents[1] / "scripts" / "cassandra"), "nodetool"]
    env = {k: v for k, v in os.environ.items() if k != "CASSANDRA_HOSTS"}
    for args in (["flush", d.stack.settings.keyspace, TABLE], ["compact", d.stack.settings.keyspace, TABLE]):
        subprocess.run([*tool, *args], env=env, check=True, capture_output=True, timeout=300)
    text = subprocess.run([*tool, "tablestats", f"{d.stack.settings.keyspace}.{TABLE}"], env=env, check=True,
                          capture_output=True, text=True, timeout=120).stdout
    stats = table_stats(text)
    sizes = row_bytes(stats, rows)
    say(f"partition size: {rows:,} rows in {stats.get('partitions', 0)} (user, day) partitions; "
        f"{sizes.get('serialized', 0):.0f} B per row serialized, {sizes.get('on_disk', 0):.0f} B on disk")
    return {"rows": rows, **stats, "bytes_per_row": sizes}


# -- the report ---------------------------------------------------------------------------------------
def results(measured: dict[str, list[Pair]], machine_cores: int) -> dict[str, Any]:
    """Everything measured, per deployment and curve: points, speed-ups, where it bends and why,
    the capacity model's check; the cluster / one-node ratios; every pair of rounds."""
    out: dict[str, Any] = {"deployments": {}, "cluster_over_single": {}, "pairs": {}}
    for key in SIDES:
        curves: dict[str, Any] = {}
        found = {name: points(pairs, key) for name, pairs in measured.items()}
        for name, pairs in measured.items():
            curve: dict[str, Any] = {"unit": UNITS[name], "points": [p.json() for p in found[name]],
                                     "speedup": {str(k): v.json() for k, v in speedups(pairs, key).items()}}
            if name in ("consumers", "ingest", "queue"):
                curve["why"] = explain(found[name], UNITS[name], machine_cores)
            if name in ("consumers", "ingest"):
                curve["model_check"] = capacity.check(curve, "consumers" if name == "consumers" else "workers",
                                                      cores_per_instance=1 if name == "consumers" else WORKERS,
                                                      machine_cores=machine_cores)
            curves[name] = curve
        out["deployments"][key] = {"curves": curves, "unit_costs": dataclasses.asdict(capacity.UnitCosts.of(found))}
    for name, pairs in measured.items():
        out["cluster_over_single"][name] = {str(k): v.json() for k, v in cluster_ratios(pairs).items()}
        out["pairs"][name] = [p.json() for p in pairs]
    return out


GROUP_NAMES = {"workers": "gunicorn", "nginx": "nginx", "rabbitmq": "RabbitMQ", "leader": "its leader node",
               "cassandra": "Cassandra", "consumers": "consumers", "api": "api", "publishers": "publishers",
               "generator": "generator"}
SHOWN = {"consumers": ("consumers", "cassandra", "rabbitmq"), "ingest": ("workers", "nginx", "rabbitmq"),
         "queue": ("rabbitmq", "leader"), "lists": ("api", "cassandra")}
TITLES = {"consumers": "consumer rows/s", "ingest": "accepted webhooks/s via nginx", "queue":
          "confirmed publishes/s, one quorum queue", "lists": "GET /me/transactions, p99 ms"}
LEVELS = {"consumers": ("consumer", "consumers"), "ingest": ("ingest instance", "ingest instances"),
          "queue": ("publisher", "publishers"), "lists": ("req/s offered", "req/s offered")}


def table(report: dict[str, Any]) -> str:
    """The README's table: each point on both deployments, the CPU ms per unit beside it."""
    rows = [["measure", "at", "one node (RF 1)", "ms CPU per unit", "cluster (RF 3)", "ms CPU per unit",
             "cluster / one node"], ["---"] * 7]
    for name in CURVES:
        per = {key: report["deployments"][key]["curves"].get(name) for key in SIDES}
        if not per["single"]:
            continue
        ratios = report["cluster_over_single"].get(name, {})
        for i, point in enumerate(per["single"]["points"]):
            level = point["instances"]
            other = per["cluster"]["points"][i] if per["cluster"] and i < len(per["cluster"]["points"]) else None
            ratio = ratios.get(str(level))
            rows.append([TITLES[name], f"{level} {LEVELS[name][level != 1]}", _figure(name, per["single"], point),
                         _costs(name, point), _figure(name, per["cluster"], other) if other else "—",
                         _costs(name, other) if other else "—",
                         f"{ratio['median']:.2f} ({ratio['min']:.2f}–{ratio['max']:.2f})" if ratio else "—"])
    return "\n".join(f"| {' | '.join(row)} |" for row in rows)


def bends(report: dict[str, Any]) -> str:
    lines = []
    for key in SIDES:
        for name, curve in report["deployments"][key]["curves"].items():
            if "why" in curve:
                lines.append(f"- {TITLES[name]}, {'cluster' if key == 'cluster' else 'one node'}: {curve['why']}")
    return "\n".join(lines)


def checks(report: dict[str, Any]) -> str:
    """The capacity model's prediction of every measured point, beside the measurement."""
    lines = []
    for key in SIDES:
        for name, curve in report["deployments"][key]["curves"].items():
            if "model_check" in curve:
                pairs = ", ".join(f"{c['instances']}: {c['measured']:.0f} vs {c['predicted']:.0f}"
                                  for c in curve["model_check"])
                lines.append(f"- model, {TITLES[name]}, {'cluster' if key == 'cluster' else 'one node'} "
                             f"(measured vs predicted): {pairs}")
    return "\n".join(lines)


def _figure(name: str, curve: dict[str, Any], point: dict[str, Any]) -> str:
    speedup = curve["speedup"].get(str(point["instances"]))
    text = f"{point['rate']:.0f}"
    if name == "lists":
        return text
    first = point["instances"] == curve["points"][0]["instances"]
    return f"{text} (×{speedup['median']:.2f})" if speedup and not first else text


def _costs(name: str, point: dict[str, Any]) -> str:
    ms = point["ms_per_unit"]
    parts = [f"{GROUP_NAMES[g]} {ms[g]:.2f}" for g in SHOWN[name] if g in ms]
    return f"{' · '.join(parts)}; idle {point['machine_idle_percent']:.0f} %"


def _cpu_line(cpu: dict[str, float]) -> str:
    ms = {k[:-3]: v for k, v in cpu.items() if k.endswith("_ms")}
    return " ".join(f"{k} {v:.2f}" for k, v in ms.items()) + f" ms, idle {cpu.get('machine_idle_percent', 0):.0f} %"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}/s"

