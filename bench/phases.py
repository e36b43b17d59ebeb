"""The phases of a bench run, in the order that loads data once: ingest; both data sets loaded,
then read-scaling and write-scaling alternating between them; write; the burst rounds;
freshness. Each phase appends its Results to the Session."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import requests

from bench import burst, ingest, scenarios
from bench.data import PASSWORD, BenchUser, bulk_load, create_users
from bench.measure import consumer_rate, publish_direct, rows_written, wait_rows
from bench.scenarios import Result
from bench.stack import Stack, settle, tenfold
from bench.traffic import Generators, WebhookSpec
from service.repositories.budgets import Budget

READERS, READER_ROWS = 10, 6000  # the readers' own rows (30 days each), in both data sets


@dataclass(frozen=True)
class Plan:
    quick: bool
    pairs: int                 # pairs of rounds behind every ratio
    ingest_seconds: float      # one ingest round
    ingest_configs: tuple[tuple[int, int], ...]  # gunicorn workers × threads, swept
    ingest_connections: tuple[int, ...]          # the generator's connections, swept
    rows_1x: int
    rows_10x: int
    write_rows: int            # the backlog of one write round
    read_seconds: float        # one read round (at 20 req/s)
    burst_seconds: float       # one burst round, and one login-only round
    freshness_seconds: float
    login_rate: float = 1.0
    burst_cap: int = 300       # rows/s per consumer during the burst: the spout that keeps latency
    data_users: int = 200

    def __post_init__(self) -> None:
        if self.rows_1x <= READER_ROWS:
            raise ValueError(f"the 1× data set ({self.rows_1x:,} rows) must hold more than the readers' "
                             f"{READER_ROWS:,}")

    @classmethod
    def of(cls, quick: bool) -> Plan:
        # Rounds are as short as a stable figure allows: an ingest round sends thousands of
        # requests; a read round 300 (its p99 is the 3rd slowest); a write round is a 20,000-row
        # backlog (5-15 s of writing); a burst round holds 15 logins at 1/s, so its p99 is its
        # slowest login. The two rounds of a pair run seconds apart. --quick only checks that
        # everything works: 3 pairs of rounds too short for figures that hold.
        if quick:
            return cls(True, 3, 1.5, ((2, 8),), (16, 64), 8_000, 80_000, 3000, 2, 2.5, 4, data_users=60)
        return cls(False, 5, 5, ((2, 8), (2, 16), (4, 8)), (16, 32, 64), 100_000, 1_000_000, 20_000, 15, 15, 40)


@dataclass
class Session:
    """One bench run: its stacks, plan, users and what earlier phases measured."""

    stack: Stack
    plan: Plan
    wanted: set[str]
    say: Callable[[str], None]
    generators: Generators
    users: list[BenchUser]
    readers: list[BenchUser]
    login_users: list[BenchUser]
    probe: BenchUser
    results: list[Result] = field(default_factory=list)
    capacity: float | None = None

    @property
    def spec(self) -> WebhookSpec:
        return WebhookSpec.of(self.stack.partner_id, self.stack.secret, self.users)

    @classmethod
    def start(cls, stack: Stack, plan: Plan, wanted: set[str], say: Callable[[str], None],
              generators: Generators) -> Session:
        def users(count: int, prefix: str) -> list[BenchUser]:
            return create_users(stack.runtime, stack.partner_id, count, prefix)
        session = cls(stack, plan, wanted, say, generators, users(plan.data_users, "data"), users(READERS, "reader"),
                      users(5, "login"), users(1, "probe")[0])
        say("starting two consumers and warming the merchant cache")
        stack.start_consumers(2)
        warm(stack, session.users, 2000 if plan.quick else 5000)
        return session


def ingest_phase(s: Session) -> None:
    if "ingest" not in s.wanted:
        return
    s.say("ingest: sweep of gunicorn configurations and connections, Tally and the read-body-only baseline "
          "(consumers stopped)")
    s.stack.stop_consumers()
    run = ingest.Ingest(s.stack, s.spec, s.generators, s.plan.ingest_seconds, s.say)
    s.results.append(ingest.ingest(run, s.plan.ingest_configs, s.plan.ingest_connections, s.plan.pairs))
    s.stack.start_consumers(2)


def scaling_phase(s: Session) -> None:
    """Both data sets loaded up front, then reads and writes alternating between them."""
    if not s.wanted & {"read-scaling", "write-scaling", "summary"}:
        return
    plan = s.plan
    with tenfold(s.stack, s.say) as ten:
        ten_users = create_users(ten.runtime, ten.partner_id, plan.data_users, "data")
        ten_readers = create_users(ten.runtime, ten.partner_id, READERS, "reader")
        load(s, s.stack, s.readers, s.users, plan.rows_1x)
        load(s, ten, ten_readers, ten_users, plan.rows_10x)
        if not plan.quick:  # --quick skips the wait: its loads are small, and it must stay under 3 minutes
            settle(s.stack.settings, [s.stack.settings.keyspace, ten.settings.keyspace], s.say)
        if "read-scaling" in s.wanted:
            s.say(f"read-scaling: {plan.pairs} pairs of {plan.read_seconds:.0f} s rounds, 10× and 1×")
            s.results.append(scenarios.read_scaling(
                s.generators, {"1x": s.stack.url("api"), "10x": ten.url("api")},
                {"1x": tokens(s.stack, s.readers), "10x": tokens(ten, ten_readers)}, plan.read_seconds, plan.pairs))
        if "summary" in s.wanted:
            s.say(f"summary: {plan.pairs} pairs of {plan.read_seconds:.0f} s rounds, 10× and 1×, "
                  f"{SUMMARY_USERS} users with budgets")
            month = last_month()
            specs = {"1x": (tokens(s.stack, with_budgets(s.stack, s.users)), month),
                     "10x": (tokens(ten, with_budgets(ten, ten_users)), month)}
            s.results.append(scenarios.summary_scaling(
                s.generators, {"1x": s.stack.url("api"), "10x": ten.url("api")}, specs,
                {"1x": month_rows(plan.rows_1x, s.users), "10x": month_rows(plan.rows_10x, ten_users)},
                seconds=plan.read_seconds, pairs=plan.pairs))
        if "write-scaling" in s.wanted:
            s.say(f"write-scaling: {plan.pairs} pairs of {plan.write_rows:,}-row backlogs, 10× and 1×")
            ten.start_consumers(2)
            warm(ten, ten_users, 2000 if plan.quick else 5000)
            s.results.append(scenarios.write_scaling(s.stack, ten, {"1x": s.users, "10x": ten_users},
                                                     plan.write_rows, plan.pairs))


def write_phase(s: Session) -> None:
    if "write" not in s.wanted:
        return
    s.say(f"write: consumers vs raw driver, {s.plan.pairs} pairs of {s.plan.write_rows:,}-row backlogs")
    result = scenarios.write(s.stack, s.users, s.plan.write_rows, s.plan.pairs)
    s.capacity = result.raw["medians"]["consumers"]
    s.results.append(result)


def burst_phase(s: Session) -> None:
    if not s.wanted & {"burst", "login-under-burst", "memory"}:
        return
    s.say(f"burst: {s.plan.pairs} pairs of {s.plan.burst_seconds:.0f} s rounds (burst at {burst.BURST_RATE} "
          f"webhooks/s with logins, logins alone), shared and pinned; spout {s.plan.burst_cap} rows/s per consumer")
    if not s.plan.quick:
        settle(s.stack.settings, [s.stack.settings.keyspace], s.say)
    run = burst.Burst(s.stack, s.generators, s.spec, s.login_users, s.plan.burst_seconds, s.plan.login_rate,
                      s.plan.burst_cap, s.say, servers=burst.local_servers(s.stack))
    wanted = s.wanted | ({"login-under-burst-pinned"} if "login-under-burst" in s.wanted else set())
    s.results.extend(r for r in burst.burst(run, s.plan.pairs, drain=not s.plan.quick) if r.scenario in wanted)


def freshness_phase(s: Session) -> None:
    if "freshness" not in s.wanted:
        return
    capacity = s.capacity or consumer_rate(s.stack, s.users, s.plan.write_rows)["rows_per_second"]
    s.say("freshness: webhook → readable, at 80 % of the write capacity")
    probe_spec = WebhookSpec.of(s.stack.partner_id, s.stack.secret, s.users, probe=s.probe)
    s.results.append(scenarios.freshness(s.generators, s.stack, probe_spec, tokens(s.stack, [s.probe])[0],
                                         capacity=capacity, seconds=s.plan.freshness_seconds))


PHASES = (ingest_phase, scaling_phase, write_phase, burst_phase, freshness_phase)


def warm(stack: Stack, users: list[BenchUser], rows: int) -> None:
    before = rows_written(stack)
    publish_direct(stack, users, rows)
    wait_rows(stack, before + rows, timeout=300)


def load(s: Session, stack: Stack, readers: list[BenchUser], users: list[BenchUser], total: int) -> None:
    """`total` stored transactions in the stack's keyspace: the readers' 30 days, the rest spread
    over the data users' last 60 days."""
    seconds = bulk_load(stack.settings, stack.partner_id, readers, READER_ROWS, days=30)
    seconds += bulk_load(stack.settings, stack.partner_id, users, total - READER_ROWS, days=60)
    s.say(f"loaded {total:,} rows into {stack.settings.keyspace} in {seconds:.1f} s ({total / seconds:,.0f} rows/s)")


SUMMARY_USERS = 10
BUDGETS = (("groceries", "400"), ("dining_out", "150"), ("transport", "90"))


def with_budgets(stack: Stack, users: list[BenchUser]) -> list[BenchUser]:
    """The first SUMMARY_USERS data users, each given three budgets."""
    now = datetime.now(UTC)
    chosen = users[:SUMMARY_USERS]
    for user in chosen:
        for category, amount in BUDGETS:
            stack.runtime.budgets().put(user.user_id, Budget(category, Decimal(amount), "EUR", now))
    return chosen


def last_month() -> str:
    """A whole month inside the data users' 60 days of rows."""
    return (datetime.now(UTC).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def month_rows(total: int, users: list[BenchUser]) -> float:
    """Bulk rows of one data user in a month: the rows after the readers', spread evenly over
    the data users and 60 days (load)."""
    return (total - READER_ROWS) / len(users) / 60 * 30.4


def tokens(stack: Stack, users: list[BenchUser]) -> list[str]:
    with contextlib.closing(requests.Session()) as http:
        return [http.post(f"{stack.url('api')}/auth/login", json={"email": u.email, "password": PASSWORD},
                          timeout=30).json()["token"] for u in users]
