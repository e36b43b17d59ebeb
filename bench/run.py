"""`tally bench`: runs the scenarios in an order that loads data once, prints the table and
writes bench/results/<time>.json (machine, versions, settings, raw percentiles)."""

from __future__ import annotations

import dataclasses
import json
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import scenarios
from bench.data import BenchUser, bulk_load, create_users
from bench.measure import consumer_rate, publish_direct, rows_written, wait_rows
from bench.scenarios import Result
from bench.stack import Stack, bench_stack, cpu_probe_ms, cpu_times, machine, settle, steal_percent
from bench.traffic import WebhookSpec
from service import logs

SCENARIOS = ("ingest", "burst", "write", "login-under-burst", "read-scaling", "write-scaling", "freshness", "memory",
             "summary")
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Plan:
    quick: bool
    ingest_seconds: float
    rows_1x: int
    rows_10x: int
    write_rows: int
    read_seconds: float
    burst_seconds: float
    freshness_seconds: float
    login_rate: float = 1.0
    burst_cap: int = 300      # rows/s per consumer during the burst: the spout that keeps latency
    data_users: int = 200

    @classmethod
    def of(cls, quick: bool) -> Plan:
        if quick:
            return cls(True, 4, 10_000, 100_000, 10_000, 8, 6, 8, data_users=60)
        return cls(False, 15, 100_000, 1_000_000, 100_000, 30, 60, 40)


@dataclass
class Session:
    """One bench run: its stack, plan, users and what earlier phases measured."""

    stack: Stack
    plan: Plan
    wanted: set[str]
    say: Callable[[str], None]
    users: list[BenchUser]
    readers: list[BenchUser]
    login_users: list[BenchUser]
    probe: BenchUser
    results: list[Result] = field(default_factory=list)
    capacity: float | None = None
    loaded: int = 0

    @property
    def spec(self) -> WebhookSpec:
        return WebhookSpec.of(self.stack.partner_id, self.stack.secret, self.users)


def run(selected: list[str], quick: bool, say: Callable[[str], None] = print) -> tuple[list[Result], Path]:
    plan = Plan.of(quick)
    started, started_at = time.monotonic(), datetime.now(UTC)
    log_dir = RESULTS.parent / "logs" / started_at.strftime("%Y%m%dT%H%M%S")
    log_dir.mkdir(parents=True, exist_ok=True)
    with bench_stack(log_dir, quick, say) as stack:
        logs.configure(stack.settings, "bench")  # the harness's own warnings go to the log dir
        session = Session(stack, plan, set(selected or SCENARIOS), say,
                          users=create_users(stack.runtime, stack.partner_id, plan.data_users, "data"),
                          readers=create_users(stack.runtime, stack.partner_id, 10, "reader"),
                          login_users=create_users(stack.runtime, stack.partner_id, 5, "login"),
                          probe=create_users(stack.runtime, stack.partner_id, 1, "probe")[0])
        say("starting two consumers and warming the merchant cache")
        stack.start_consumers(2)
        _warm(stack, session.users, 2000 if quick else 5000)
        for phase in (_ingest, _scaling, _burst, _freshness):
            before, first = cpu_times(), len(session.results)
            phase(session)
            steal = steal_percent(before, cpu_times())
            for result in session.results[first:]:
                result.raw["cpu_steal_percent_during_phase"] = steal
            if len(session.results) > first:
                say(f"CPU steal during {', '.join(r.scenario for r in session.results[first:])}: {steal} %")
        versions = _versions(stack)
        settings = {k: v for k, v in dataclasses.asdict(stack.settings).items()
                    if "secret" not in k and "password" not in k and "key" not in k}
    duration = time.monotonic() - started
    path = _write_json(session.results, plan, started_at, duration, versions=versions, settings=settings)
    return session.results, path


def _ingest(s: Session) -> None:
    if "ingest" not in s.wanted:
        return
    s.say("ingest: max webhooks/s against the read-body-only baseline (consumers stopped)")
    s.stack.stop_consumers()
    s.results.append(scenarios.ingest(s.stack, s.plan.ingest_seconds, s.spec))
    s.stack.start_consumers(2)


def _scaling(s: Session) -> None:
    """Reads and writes at 1× stored rows, then at 10×; the write capacity for freshness."""
    if not s.wanted & {"read-scaling", "write", "write-scaling", "freshness", "summary"}:
        return
    plan, stack = s.plan, s.stack
    s.loaded = _load(s, plan.rows_1x, 0)
    summary_1x = _summaries(s) if "summary" in s.wanted else None
    tokens = _tokens(stack, s.readers)
    read_1x = scenarios.read(stack, tokens, plan.read_seconds) if "read-scaling" in s.wanted else None
    probe_1x = cpu_probe_ms()
    s.say(f"write: consumers vs raw driver over {plan.write_rows:,} rows (CPU probe {probe_1x} ms)")
    result, s.capacity = scenarios.write(stack, s.users, plan.write_rows)
    result.raw["cpu_probe_ms"] = probe_1x
    if "write" in s.wanted:
        s.results.append(result)
    if not s.wanted & {"read-scaling", "write-scaling", "summary"}:
        return
    s.loaded = _load(s, plan.rows_10x, s.loaded)
    if summary_1x is not None:
        s.results.append(scenarios.summary_scaling(summary_1x, _summaries(s), _month_rows(s, plan.rows_1x),
                                                   _month_rows(s, plan.rows_10x)))
    if read_1x is not None:
        s.results.append(scenarios.read_scaling(read_1x, scenarios.read(stack, tokens, plan.read_seconds),
                                                plan.rows_1x, plan.rows_10x))
    if "write-scaling" in s.wanted:
        probe_10x = cpu_probe_ms()
        s.say(f"write-scaling: consumers with 10× the rows stored (CPU probe {probe_10x} ms, {probe_1x} ms at 1×)")
        scaling = scenarios.write_scaling(s.capacity, consumer_rate(stack, s.users, plan.write_rows),
                                          plan.rows_1x, plan.rows_10x)
        scaling.raw.update(cpu_probe_ms_at_1x=probe_1x, cpu_probe_ms_at_10x=probe_10x)
        s.results.append(scaling)


SUMMARY_USERS = 10


def _summaries(s: Session) -> Any:
    """The summary of last month (a whole one: bulk rows span 60 days) for data users with
    three budgets each."""
    from datetime import timedelta

    from service.repositories.budgets import Budget
    users = s.users[:SUMMARY_USERS]
    now = datetime.now(UTC)
    for user in users:
        for category, amount in (("groceries", "400"), ("dining_out", "150"), ("transport", "90")):
            s.stack.runtime.budgets().put(user.user_id, Budget(category, Decimal(amount), "EUR", now))
    month = (now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    s.say(f"summary: GET /me/summary?month={month} with budgets, {len(users)} users, {s.loaded:,} rows stored")
    return scenarios.summaries(s.stack, _tokens(s.stack, users), month, s.plan.read_seconds)


def _month_rows(s: Session, total: int) -> float:
    """Bulk rows of one data user in a month: what is left after the readers' 6,000, spread
    evenly over the data users and 60 days (bench/data.py)."""
    return (total - 6000) / len(s.users) / 60 * 30.4


def _burst(s: Session) -> None:
    if not s.wanted & {"burst", "login-under-burst", "memory"}:
        return
    s.say(f"burst: {s.plan.burst_seconds:.0f} s at 50 webhooks/s, logins during it, memory; spout "
          f"{s.plan.burst_cap} rows/s per consumer")
    _settle(s)
    burst = scenarios.burst(s.stack, s.spec, s.login_users, seconds=s.plan.burst_seconds,
                            login_rate=s.plan.login_rate, spout=s.plan.burst_cap)
    s.results.extend(r for r in burst if r.scenario in s.wanted)


def _freshness(s: Session) -> None:
    if "freshness" not in s.wanted:
        return
    capacity = s.capacity or consumer_rate(s.stack, s.users, s.plan.write_rows)["rows_per_second"]
    s.say("freshness: webhook → readable, at 80 % of the write capacity")
    probe_spec = WebhookSpec.of(s.stack.partner_id, s.stack.secret, s.users, probe=s.probe)
    s.results.append(scenarios.freshness(s.stack, probe_spec, _tokens(s.stack, [s.probe])[0], capacity,
                                         s.plan.freshness_seconds))


def _warm(stack: Stack, users: list[BenchUser], rows: int) -> None:
    before = rows_written(stack)
    publish_direct(stack, users, rows)
    wait_rows(stack, before + rows, timeout=300)


def _load(s: Session, total: int, loaded: int) -> int:
    """Brings the stored transactions up to `total`: the readers' 30 days first, the rest spread
    over the data users' last 60 days."""
    if loaded == 0:
        seconds = bulk_load(s.stack.settings, s.stack.partner_id, s.readers, 6000, days=30)
        loaded = 6000
        s.say(f"loaded 6,000 rows for the readers in {seconds:.1f} s")
    seconds = bulk_load(s.stack.settings, s.stack.partner_id, s.users, total - loaded, days=60)
    s.say(f"loaded {total - loaded:,} rows in {seconds:.1f} s ({(total - loaded) / seconds:,.0f} rows/s); "
          f"{total:,} stored")
    _settle(s)
    return total


def _settle(s: Session) -> None:
    """Flush and wait for compactions before a measurement; --quick skips it (its loads are
    small, and it must stay under three minutes)."""
    if not s.plan.quick:
        settle(s.stack.settings, s.say)


def _tokens(stack: Stack, users: list[BenchUser]) -> list[str]:
    import requests

    from bench.data import PASSWORD
    return [requests.post(f"{stack.url('api')}/auth/login", json={"email": u.email, "password": PASSWORD},
                          timeout=30).json()["token"] for u in users]


def _versions(stack: Stack) -> dict[str, Any]:
    cassandra = stack.session.execute("SELECT release_version FROM system.local").one().release_version
    try:
        rabbit = subprocess.run(["rabbitmqctl", "-q", "version"],
                                capture_output=True, text=True, timeout=30, check=False).stdout
    except OSError:
        rabbit = "unknown"
    packages = {p: metadata.version(p) for p in ("flask", "gunicorn", "cassandra-driver", "kombu", "pydantic",
                                                 "bcrypt", "requests")}
    return {"python": platform.python_version(), "cassandra": cassandra, "rabbitmq": rabbit.strip(),
            "tally": metadata.version("tally"), "packages": packages, "platform": platform.platform()}


def _write_json(results: list[Result], plan: Plan, started_at: datetime, duration: float, *,
                versions: dict[str, Any], settings: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{started_at:%Y%m%dT%H%M%SZ}{'-quick' if plan.quick else ''}.json"
    path.write_text(json.dumps({
        "started_at": started_at.isoformat(), "duration_seconds": round(duration, 1), "plan": dataclasses.asdict(plan),
        "machine": machine(), "versions": versions, "settings": settings,
        "results": [dataclasses.asdict(r) for r in results]}, indent=2, default=str))
    return path


def table(results: list[Result]) -> str:
    rows = [("scenario", "figure", "target", "met", "CPU steal"), ("---", "---", "---", "---", "---")]
    rows += [(r.scenario, r.figure, r.target, {True: "yes", False: "NO", None: "—"}[r.met], _steal(r))
             for r in results]
    return "\n".join(f"| {' | '.join(row)} |" for row in rows)


def _steal(result: Result) -> str:
    steal = result.raw.get("cpu_steal_percent_during_phase")
    return "—" if steal is None else f"{steal} %"
