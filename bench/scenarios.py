"""The scenarios measured on the data sets: write, write-scaling, read-scaling (each in
alternating pairs of rounds, bench/rounds.py) and freshness. Each returns a Result: the figure,
the target and whether it was met (by the median of the pairs' ratios), and everything
measured, round by round, for the JSON report. Ingest is in bench/ingest.py, the burst and the
logins during it in bench/burst.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from bench import loadgen, rounds
from bench.data import BenchUser
from bench.measure import consumer_rate, raw_rate
from bench.rounds import Round, Spread
from bench.stack import Stack
from bench.traffic import Generators, Load, WebhookSpec

READ_RATE = 20  # GET /me/transactions per second (issue 8)


@dataclass
class Result:
    scenario: str
    measures: str
    value: float | None   # the headline: the median ratio of the pairs, or the figure itself
    figure: str           # what the table prints, e.g. "0.52 (0.48–0.55); 412/790 req/s"
    target: str
    met: bool | None
    raw: dict[str, Any] = field(default_factory=dict)
    spread: Spread | None = None  # the ratio over the pairs: median, lowest, highest


def write(stack: Stack, users: Sequence[BenchUser], rows: int, pairs: int) -> Result:
    """Classified rows/s stored by the two consumers over a backlog of `rows`, against the same
    statements by raw driver code in two processes, alternating."""
    measured = rounds.alternate(
        pairs, lambda: rounds.timed("consumers", lambda: _rows_per_second(consumer_rate(stack, users, rows))),
        lambda: rounds.timed("raw_driver", lambda: _rows_per_second(raw_rate(stack, users, rows))))
    return _ratio_result("write", f"classified rows/s stored by 2 consumers over {rows:,}-row backlogs (merchant "
                                  "cache warm, no cap) vs the raw driver", measured, unit="rows/s",
                         target="ratio ≥ 0.6", meets=lambda r: r >= 0.6)


def write_scaling(one: Stack, ten: Stack, users: dict[str, Sequence[BenchUser]], rows: int, pairs: int) -> Result:
    """The consumers' rows/s into the 10× data set against the 1× data set, alternating."""
    measured = rounds.alternate(
        pairs, lambda: rounds.timed("10x", lambda: _rows_per_second(consumer_rate(ten, users["10x"], rows))),
        lambda: rounds.timed("1x", lambda: _rows_per_second(consumer_rate(one, users["1x"], rows))))
    return _ratio_result("write-scaling", f"consumer rows/s over {rows:,}-row backlogs, 10× vs 1× stored rows",
                         measured, unit="rows/s", target="ratio ≥ 0.8", meets=lambda r: r >= 0.8)


def _latency_pairs(generators: Generators, kind: str, specs: dict[str, Any], urls: dict[str, str], *, rate: float,
                   seconds: float, pairs: int) -> list[rounds.Pair]:
    """Open-loop rounds of `kind` at `rate`, p99 of each, 10× against 1× alternating, after a
    one-second warm-up of each side (not counted)."""
    def side_round(side: str) -> Round:
        def measure() -> tuple[float | None, dict[str, Any]]:
            outcome = generators.run(Load(kind, specs[side], urls[side], rate, seconds)).outcome
            return loadgen.percentile(outcome.latencies, 99), outcome_json(outcome)
        return rounds.timed(side, measure)

    for side in ("1x", "10x"):
        generators.run(Load(kind, specs[side], urls[side], rate, 1))
    return rounds.alternate(pairs, lambda: side_round("10x"), lambda: side_round("1x"))


def read_scaling(generators: Generators, urls: dict[str, str], tokens: dict[str, list[str]], seconds: float,
                 pairs: int) -> Result:
    """GET /me/transactions (30 days, 50 rows) open loop at READ_RATE: p99 of each round, 10× vs 1×."""
    measured = _latency_pairs(generators, "reads", tokens, urls, rate=READ_RATE, seconds=seconds, pairs=pairs)
    ratio, p99_10, p99_1 = (rounds.ratio_spread(measured), rounds.spread_of(measured, "subject"),
                            rounds.spread_of(measured, "baseline"))
    failed = sum(failures(r.raw) for p in measured for r in (p.subject, p.baseline))
    met = (ratio is not None and p99_10 is not None and p99_1 is not None and ratio.median <= 1.3
           and p99_1.median <= 0.050 and p99_10.median <= 0.050 and failed == 0)
    figure = (f"{ratio.text()}; p99 {p99_10.text(0, 1000)} ms vs {p99_1.text(0, 1000)} ms"
              if ratio and p99_10 and p99_1 else "n/a")
    return Result("read-scaling", f"GET /me/transactions (30 days, 50 rows), {READ_RATE} req/s, p99 of each "
                                  f"{seconds:.0f} s round, 10× vs 1× stored rows", ratio.median if ratio else None,
                  figure, "p99 ratio ≤ 1.3; p99 ≤ 50 ms at 1× and 10×", met, spread=ratio,
                  raw={"pairs": [p.json() for p in measured], "failed": failed})


SUMMARY_RATE = 5  # GET /me/summary per second


def summary_scaling(generators: Generators, urls: dict[str, str], specs: dict[str, tuple[list[str], str]],
                    rows_per_month: dict[str, float], *, seconds: float, pairs: int) -> Result:
    """What budgets cost: the summary (and so each budget's spend) is computed at read time from
    the month's day partitions, so its time follows the user's rows in the month. No target:
    the figure is reported (docs/api.md, "Budgets")."""
    measured = _latency_pairs(generators, "summaries", specs, urls, rate=SUMMARY_RATE, seconds=seconds,
                              pairs=pairs)
    ratio, p99_10, p99_1 = (rounds.ratio_spread(measured), rounds.spread_of(measured, "subject"),
                            rounds.spread_of(measured, "baseline"))
    failed = sum(failures(r.raw) for p in measured for r in (p.subject, p.baseline))
    figure = (f"p99 {p99_1.text(0, 1000)} → {p99_10.text(0, 1000)} ms (≈{rows_per_month['1x']:.0f} → "
              f"≈{rows_per_month['10x']:.0f} rows/month); {failed} failed" if p99_10 and p99_1 else "n/a")
    return Result("summary", f"GET /me/summary?month (a whole month, with budgets), {SUMMARY_RATE} req/s, p99 of "
                             f"each {seconds:.0f} s round, 10× vs 1× stored rows", ratio.median if ratio else None,
                  figure, "reported (no target)", None if not failed else False, spread=ratio,
                  raw={"pairs": [p.json() for p in measured], "failed": failed,
                       "rows_per_user_month": {k: round(v) for k, v in rows_per_month.items()}})


def freshness(generators: Generators, stack: Stack, spec: WebhookSpec, probe_token: str, *, capacity: float,
              seconds: float) -> Result:
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
    generated = generators.run(Load("webhooks", spec, stack.url("ingest"), rate, seconds))
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
                               f"(80 % of {capacity:.0f} rows/s)", p99,
                  f"p50 {seconds_text(loadgen.percentile(delays, 50))}, p99 {seconds_text(p99)} over "
                  f"{len(delays)} probes", "p99 ≤ 5 s", p99 is not None and p99 <= 5.0 and missing == 0,
                  {"probes": len(sent), "never_seen": missing, "delays_ms": loadgen.summary(delays),
                   "webhooks": outcome_json(generated.outcome)})


def _rows_per_second(measured: dict[str, float]) -> tuple[float | None, dict[str, Any]]:
    return measured["rows_per_second"], dict(measured)


def _ratio_result(scenario: str, measures: str, measured: list[rounds.Pair], *, unit: str, target: str,
                  meets: Callable[[float], bool]) -> Result:
    ratio = rounds.ratio_spread(measured)
    subject, base = rounds.spread_of(measured, "subject"), rounds.spread_of(measured, "baseline")
    figure = (f"{ratio.text()}; {subject.median:.0f}/{base.median:.0f} {unit}" if ratio and subject and base
              else "n/a")
    medians = {measured[0].subject.side: subject.median if subject else None,
               measured[0].baseline.side: base.median if base else None}
    return Result(scenario, measures, ratio.median if ratio else None, figure, target,
                  ratio is not None and meets(ratio.median), spread=ratio,
                  raw={"pairs": [p.json() for p in measured], "medians": medians})


def outcome_json(outcome: loadgen.Outcome) -> dict[str, Any]:
    return {"ok": outcome.ok, "errors": outcome.errors, "statuses": outcome.statuses,
            "seconds": round(outcome.elapsed, 2), "per_second": round(outcome.ok / outcome.elapsed, 1)
            if outcome.elapsed else None, "latency_ms": loadgen.summary(outcome.latencies),
            "generator_lateness_ms": loadgen.summary(outcome.lateness) if outcome.lateness else None}


def failures(raw: dict[str, Any]) -> int:
    """Requests of a round (its outcome_json) that got no answer or no 2xx."""
    return int(raw["errors"]) + sum(n for s, n in raw["statuses"].items() if not 200 <= int(s) < 300)


def seconds_text(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds:.2f} s"
