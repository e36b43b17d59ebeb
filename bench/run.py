"""`tally bench`: runs the phases (bench/phases.py), prints the table and writes
bench/results/<time>.json: machine, versions, settings, plan and, per scenario, every round of
every pair with its own steal and CPU readings. `python -m bench.compare` builds the README's
table of several runs from their JSON files."""

from __future__ import annotations

import dataclasses
import json
import platform
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.host import cpu_probe_ms, cpu_times, machine, steal_percent
from bench.phases import PHASES, Plan, Session
from bench.scenarios import Result
from bench.stack import Stack, bench_stack
from bench.traffic import Generators
from service import logs

SCENARIOS = ("ingest", "burst", "write", "login-under-burst", "read-scaling", "write-scaling", "freshness", "memory",
             "summary")
RESULTS = Path(__file__).resolve().parent / "results"


def run(selected: list[str], quick: bool, say: Callable[[str], None] = print) -> tuple[list[Result], Path]:
    plan = Plan.of(quick)
    started, started_at = time.monotonic(), datetime.now(UTC)
    log_dir = RESULTS.parent / "logs" / started_at.strftime("%Y%m%dT%H%M%S")
    log_dir.mkdir(parents=True, exist_ok=True)
    with bench_stack(log_dir, say) as stack, Generators() as generators:
        logs.configure(stack.settings, "bench")  # the harness's own warnings go to the log dir
        session = Session.start(stack, plan, set(selected or SCENARIOS), say, generators)
        for phase in PHASES:
            before, first, probe = cpu_times(), len(session.results), cpu_probe_ms()
            phase(session)
            steal = steal_percent(before, cpu_times())
            for result in session.results[first:]:
                result.raw.update(cpu_steal_percent_during_phase=steal, cpu_probe_ms_at_phase_start=probe)
            if len(session.results) > first:
                say(f"CPU steal during {', '.join(r.scenario for r in session.results[first:])}: {steal} %; "
                    f"CPU probe before it {probe} ms")
        versions = software(stack)
        settings = {k: v for k, v in dataclasses.asdict(stack.settings).items()
                    if "secret" not in k and "password" not in k and "key" not in k}
    duration = time.monotonic() - started
    path = _write_json(session.results, plan, started_at, duration, versions=versions, settings=settings)
    return session.results, path


def software(stack: Stack) -> dict[str, Any]:
    """Versions of everything measured, and the commit (with a flag for uncommitted changes)."""
    cassandra = stack.session.execute("SELECT release_version FROM system.local").one().release_version
    try:
        rabbit = subprocess.run(["rabbitmqctl", "-q", "version"],
                                capture_output=True, text=True, timeout=30, check=False).stdout
    except OSError:
        rabbit = "unknown"
    packages = {p: metadata.version(p) for p in ("flask", "gunicorn", "cassandra-driver", "kombu", "msgspec",
                                                 "bcrypt", "requests")}
    return {"python": platform.python_version(), "cassandra": cassandra, "rabbitmq": rabbit.strip(),
            "tally": metadata.version("tally"), "packages": packages, "platform": platform.platform(),
            "commit": _git("rev-parse", "HEAD"), "uncommitted_changes": bool(_git("status", "--porcelain"))}


def _git(*args: str) -> str:
    """The checkout's commit (three runs compare only if it is the same), or "" outside git."""
    try:
        return subprocess.run(["git", *args], cwd=RESULTS.parent, capture_output=True, text=True, timeout=30,
                              check=False).stdout.strip()
    except OSError:
        return ""


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
    """The README's table of one run: ratios as 'median (min–max)' over the pairs."""
    rows = [("scenario", "figure", "target", "met", "CPU steal", "CPU probe"), ("---",) * 6]
    rows += [(r.scenario, r.figure, r.target, {True: "yes", False: "NO", None: "—"}[r.met],
              _unit(r.raw.get("cpu_steal_percent_during_phase"), "%"), _unit(r.raw.get("cpu_probe_ms_at_phase_start"),
                                                                             "ms"))
             for r in results]
    return "\n".join(f"| {' | '.join(row)} |" for row in rows)


def _unit(value: float | None, unit: str) -> str:
    return "—" if value is None else f"{value} {unit}"
