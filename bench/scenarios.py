"""The scenarios of issue 8. Each returns a Result: the figure, its baseline from the same run,
the target and whether it was met, plus the raw numbers for the JSON report. Load generators
run in their own processes (bench.traffic.in_process)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from bench import loadgen
from bench.data import BenchUser
from bench.measure import MemorySampler, consumer_rate, ingest_depth, purge_ingest, raw_rate
from bench.stack import THREADS, WORKERS, Stack
from bench.traffic import WebhookSpec, in_process, in_process_async
from devtools.processes import free_port, start_gunicorn

WEBHOOK_CONNECTIONS = 16   # = ingest's 2 workers × 8 threads
BURST_RATE = 50            # webhooks/s, 100 transactions each (issue 8)


@dataclass
class Result:
    scenario: str
    measures: str
    value: float | None
    baseline: float | None
    figure: str           # what the table prints, e.g. "0.83 (412/497 req/s)"
    target: str
    met: bool | None
    raw: dict[str, Any] = field(default_factory=dict)


def ingest(stack: Stack, seconds: float, spec: WebhookSpec) -> Result:
    """Max accepted webhooks/s (closed loop), against the same app answering 202 after reading
    the body only; and the generator's own ceiling against a server that answers at once."""
    tally = in_process("webhooks", spec, stack.url("ingest"), mode="closed", rate=WEBHOOK_CONNECTIONS,
                       seconds=seconds).outcome
    purge_ingest(stack)
    baseline_app = start_gunicorn("ingest", stack.settings, stack.log_dir, workers=WORKERS, threads=THREADS,
                                  app_path="bench.baseline:ingest()")
    try:
        assert baseline_app.url is not None
        base = in_process("webhooks", spec, baseline_app.url, mode="closed", rate=WEBHOOK_CONNECTIONS,
                          seconds=seconds).outcome
    finally:
        baseline_app.stop()
    ceiling = _generator_ceiling(spec, seconds)
    rate, base_rate = tally.ok / tally.elapsed, base.ok / base.elapsed
    ratio = rate / base_rate
    return Result("ingest", "accepted webhooks/s (100 transactions each), closed loop, 16 connections", rate,
                  base_rate, f"{ratio:.2f} ({rate:.0f}/{base_rate:.0f} req/s; generator ceiling {ceiling:.0f})",
                  "ratio ≥ 0.5", ratio >= 0.5,
                  {"tally": outcome_json(tally), "baseline_read_body_only": outcome_json(base),
                   "generator_ceiling_req_per_s": round(ceiling, 1)})


def _generator_ceiling(spec: WebhookSpec, seconds: float) -> float:
    port = free_port()
    server = multiprocessing.get_context("spawn").Process(target=loadgen.serve_null, args=(port,), daemon=True)
    server.start()
    time.sleep(1.0)
    try:
        outcome = in_process("webhooks", spec, f"http://127.0.0.1:{port}", mode="closed",
                             rate=WEBHOOK_CONNECTIONS, seconds=seconds).outcome
    finally:
        server.terminate()
    return outcome.ok / outcome.elapsed


def write(stack: Stack, users: list[BenchUser], rows: int) -> tuple[Result, float]:
    """Classified rows/s stored by the two consumers vs the same statements by raw driver code
    in two processes. Returns the result and the consumers' rate (the write capacity)."""
    tally = consumer_rate(stack, users, rows)
    raw = raw_rate(stack, users, rows)
    ratio = tally["rows_per_second"] / raw["rows_per_second"]
    return Result("write", "classified rows/s stored by 2 consumers (merchant cache warm, no cap)",
                  tally["rows_per_second"], raw["rows_per_second"],
                  f"{ratio:.2f} ({tally['rows_per_second']:.0f}/{raw['rows_per_second']:.0f} rows/s)", "ratio ≥ 0.6",
                  ratio >= 0.6, {"consumers": tally, "raw_driver": raw}), tally["rows_per_second"]


def write_scaling(at_1x: float, at_10x: dict[str, float], rows_1x: int, rows_10x: int) -> Result:
    ratio = at_10x["rows_per_second"] / at_1x
    return Result("write-scaling", f"consumer rows/s with {rows_10x:,} vs {rows_1x:,} rows stored",
                  at_10x["rows_per_second"], at_1x, f"{ratio:.2f} ({at_10x['rows_per_second']:.0f}/{at_1x:.0f} rows/s)",
                  "ratio ≥ 0.8", ratio >= 0.8, {"at_10x": at_10x, "at_1x_rows_per_second": at_1x})


def read(stack: Stack, tokens: list[str], seconds: float, rate: float = 20) -> loadgen.Outcome:
    """GET /me/transactions open loop at `rate`, after a warm-up of the same load (not counted)."""
    in_process("reads", tokens, stack.url("api"), rate=rate, seconds=2)
    return in_process("reads", tokens, stack.url("api"), rate=rate, seconds=seconds).outcome


def read_scaling(at_1x: loadgen.Outcome, at_10x: loadgen.Outcome, rows_1x: int, rows_10x: int) -> Result:
    p99_1, p99_10 = loadgen.percentile(at_1x.latencies, 99), loadgen.percentile(at_10x.latencies, 99)
    ratio = p99_10 / p99_1 if p99_1 and p99_10 else None
    met = ratio is not None and ratio <= 1.3 and p99_1 is not None and p99_1 <= 0.050 and not _failures(at_1x, at_10x)
    return Result("read-scaling",
                  f"GET /me/transactions (30 days, 50 rows), 20 req/s, {rows_10x:,} vs {rows_1x:,} rows",
                  p99_10, p99_1, f"p99 {_ms(p99_10)} vs {_ms(p99_1)} = {ratio:.2f}" if ratio else "n/a",
                  "p99 ratio ≤ 1.3; p99 ≤ 50 ms at 1×", met,
                  {"at_1x": outcome_json(at_1x), "at_10x": outcome_json(at_10x)})


def summaries(stack: Stack, tokens: list[str], month: str, seconds: float, rate: float = 5) -> loadgen.Outcome:
    """GET /me/summary of a whole month with budgets, open loop at `rate`, after a warm-up."""
    in_process("summaries", (tokens, month), stack.url("api"), rate=rate, seconds=2)
    return in_process("summaries", (tokens, month), stack.url("api"), rate=rate, seconds=seconds).outcome


def summary_scaling(at_1x: loadgen.Outcome, at_10x: loadgen.Outcome, rows_1x: float, rows_10x: float) -> Result:
    """What budgets cost: the summary (and so the budgets' spend) is computed at read time from
    the month's day partitions, so its time follows the user's rows in the month. No target:
    the figure is reported (docs/api.md, "Budgets")."""
    p50_1, p50_10 = loadgen.percentile(at_1x.latencies, 50), loadgen.percentile(at_10x.latencies, 50)
    p99_1, p99_10 = loadgen.percentile(at_1x.latencies, 99), loadgen.percentile(at_10x.latencies, 99)
    return Result("summary", f"GET /me/summary?month (a whole month, with budgets), 5 req/s, ≈{rows_1x:.0f} vs "
                             f"≈{rows_10x:.0f} rows per user in the month", p99_10, p99_1,
                  f"p50 {_ms(p50_1)} → {_ms(p50_10)}, p99 {_ms(p99_1)} → {_ms(p99_10)} "
                  f"(≈{rows_1x:.0f} → ≈{rows_10x:.0f} rows/month); {_failures(at_1x, at_10x)} failed",
                  "reported (no target)", None if not _failures(at_1x, at_10x) else False,
                  {"at_1x": outcome_json(at_1x), "at_10x": outcome_json(at_10x),
                   "rows_per_user_month_1x": round(rows_1x), "rows_per_user_month_10x": round(rows_10x)})


def burst(stack: Stack, spec: WebhookSpec, login_users: list[BenchUser], *, seconds: float,
          login_rate: float, spout: int) -> list[Result]:
    """The bank burst (50 req/s × 100 transactions, open loop) with logins at a fixed rate
    during it (after the same logins idle), and the peak RSS of every process meanwhile. The
    consumers run with the spout at `spout` rows/s each during the burst (their CPU goes to
    webhooks and logins first), and are restarted uncapped when it ends, as an operator would
    open the spout again; the drain time is measured from then."""
    idle_seconds = seconds  # as many samples as during the burst: p99s of equal weight
    idle = in_process("logins", login_users, stack.url("api"), rate=login_rate, seconds=idle_seconds).outcome
    _restart_consumers(stack, spout)
    with MemorySampler(stack) as memory:
        busy_logins = in_process_async("logins", login_users, stack.url("api"), rate=login_rate, seconds=seconds)
        hooks = in_process("webhooks", spec, stack.url("ingest"), rate=BURST_RATE, seconds=seconds)
        busy = busy_logins().outcome
        depth = ingest_depth(stack)
    ended = time.monotonic()
    _restart_consumers(stack, 0)
    drained = _wait_empty(stack, timeout=1800)
    burst_outcome = hooks.outcome
    p99 = loadgen.percentile(burst_outcome.latencies, 99)
    errors = _failures(burst_outcome)
    login_fail = _failures(busy)
    p99_idle, p99_busy = loadgen.percentile(idle.latencies, 99), loadgen.percentile(busy.latencies, 99)
    login_ratio = p99_busy / p99_idle if p99_idle and p99_busy else None
    worst = max(memory.peaks.values()) if memory.peaks else None
    return [
        Result("burst", f"{seconds:.0f} s at {BURST_RATE} webhooks/s ({hooks.transactions:,} transactions), open loop; "
                        f"spout {spout} rows/s per consumer during it", p99, None,
               f"p99 {_ms(p99)}, {errors} errors; drained {drained - ended:.0f} s after", "p99 ≤ 100 ms, 0 errors",
               p99 is not None and p99 <= 0.100 and errors == 0,
               {"webhooks": outcome_json(burst_outcome), "drain_seconds": round(drained - ended, 1),
                "queue_depth_at_end": depth, "transactions": hooks.transactions,
                "spout_rows_per_second_per_consumer": spout}),
        Result("login-under-burst",
               f"login ({login_rate}/s, bcrypt cost {stack.settings.bcrypt_cost}) during the burst vs idle",
               p99_busy, p99_idle, f"p99 {_ms(p99_busy)} vs {_ms(p99_idle)} = {login_ratio:.2f}; {login_fail} failed"
               if login_ratio else "n/a", "p99 ratio ≤ 2.0, 0 failed logins",
               login_ratio is not None and login_ratio <= 2.0 and login_fail == 0,
               {"idle": outcome_json(idle), "during_burst": outcome_json(busy)}),
        Result("memory", "peak RSS of each gunicorn worker and consumer during the burst", worst, None,
               f"max {worst:.0f} MiB over {len(memory.peaks)} processes" if worst else "n/a", "≤ 150 MiB each",
               worst is not None and worst <= 150, {"peak_rss_mib": memory.peaks}),
    ]


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


def freshness(stack: Stack, spec: WebhookSpec, probe_token: str, capacity: float, seconds: float) -> Result:
    """received → readable through the API, at 80 % of the measured write capacity. The probe
    user's transactions carry authorized_at = send time, so newest first is sending order."""
    rate = max(1.0, 0.8 * capacity / 100)
    seen: dict[str, float] = {}
    stop = threading.Event()

    def poll() -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {probe_token}"
        while not stop.is_set():
            page = http.get(f"{stack.url('api')}/me/transactions", params={"days": 1, "limit": 200}, timeout=10)
            now = time.time()
            for row in page.json().get("transactions", []):
                seen.setdefault(row["transaction_id"], now)
            time.sleep(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    generated = in_process("webhooks", spec, stack.url("ingest"), rate=rate, seconds=seconds)
    sent = generated.probes
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not set(sent) <= set(seen):
        time.sleep(0.5)
    stop.set()
    poller.join()
    delays = [seen[t] - sent[t] for t in sent if t in seen]
    p99 = loadgen.percentile(delays, 99)
    missing = len(set(sent) - set(seen))
    return Result("freshness", f"webhook sent → readable via GET /me/transactions, at {rate:.1f} webhooks/s "
                               f"(80 % of {capacity:.0f} rows/s)", p99, None,
                  f"p50 {_s(loadgen.percentile(delays, 50))}, p99 {_s(p99)} over {len(delays)} probes",
                  "p99 ≤ 5 s", p99 is not None and p99 <= 5.0 and missing == 0,
                  {"probes": len(sent), "never_seen": missing, "delays_ms": loadgen.summary(delays),
                   "webhooks": outcome_json(generated.outcome)})


def outcome_json(outcome: loadgen.Outcome) -> dict[str, Any]:
    return {"ok": outcome.ok, "errors": outcome.errors, "statuses": outcome.statuses,
            "seconds": round(outcome.elapsed, 2), "per_second": round(outcome.ok / outcome.elapsed, 1)
            if outcome.elapsed else None, "latency_ms": loadgen.summary(outcome.latencies),
            "generator_lateness_ms": loadgen.summary(outcome.lateness) if outcome.lateness else None}


def _failures(*outcomes: loadgen.Outcome) -> int:
    return sum(o.errors + sum(n for s, n in o.statuses.items() if not 200 <= s < 300) for o in outcomes)


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.0f} ms"


def _s(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.2f} s"
