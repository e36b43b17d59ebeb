"""Bench data: users with linked accounts (made through the repositories, with one bcrypt
hash computed once), fresh wire transactions from the bank simulator's generator, and bulk
rows loaded with raw concurrent inserts (the figures measure Tally, not this loader)."""

from __future__ import annotations

import contextlib
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cassandra.cluster import Session
from cassandra.query import UNSET_VALUE, BatchStatement, BatchType

from devtools.processes import settings_env
from service.bootstrap import Runtime
from service.repositories.transactions import BY_ID_CQL, FACTS_CQL, fact_timestamp
from service.settings import Settings
from service.storage.session import connect
from service.users.registration import hash_password
from simulators.bank.generator import TransactionGenerator

PASSWORD = "bench-password-1234"  # noqa: S105 - the bench users' known password, local only


@dataclass(frozen=True)
class BenchUser:
    user_id: uuid.UUID
    email: str
    account: str
    card: str


def create_users(rt: Runtime, partner_id: str, count: int, prefix: str) -> list[BenchUser]:
    """`count` users (password PASSWORD, hashed once at the configured cost), each with one linked account."""
    password_hash = hash_password(PASSWORD, rt.settings.bcrypt_cost)
    users_repo, accounts = rt.users(), rt.accounts()
    made = []
    for i in range(count):
        email = f"{prefix}-{i}-{uuid.uuid4().hex[:6]}@bench.example"
        user = users_repo.create(email, f"Bench {i}", password_hash, "UTC")
        assert user is not None
        account, card = f"BENCH-{prefix}-{i}-{uuid.uuid4().hex[:6]}", f"crd-{uuid.uuid4().hex[:8]}"
        accounts.claim(user.user_id, partner_id, account, frozenset({card}))
        made.append(BenchUser(user.user_id, email, account, card))
    return made


class Transactions:
    """Fresh wire transactions for bench users (unique ids, realistic merchants), authorised now."""

    def __init__(self, users: Sequence[BenchUser], seed: int = 7) -> None:
        self.generator = TransactionGenerator(seed)
        self.cards: dict[str, Sequence[str]] = {u.account: [u.card] for u in users}
        self.rng = random.Random(seed)

    def batch(self, count: int, accounts: Sequence[str] | None = None) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        cards = {a: self.cards[a] for a in accounts} if accounts else self.cards
        return self.generator.batch(cards, count, now - timedelta(minutes=5), now, now)


@contextlib.contextmanager
def users_file(users: Sequence[BenchUser]) -> Iterator[str]:
    """The users as `user_id account card` lines in a temporary file that helper processes read;
    removed when the block ends."""
    with tempfile.NamedTemporaryFile("w", suffix=".users") as handle:
        handle.write("\n".join(f"{u.user_id} {u.account} {u.card}" for u in users))
        handle.flush()
        yield handle.name


@contextlib.contextmanager
def reaped(processes: list[subprocess.Popen[Any]]) -> Iterator[list[subprocess.Popen[Any]]]:
    """Helper processes that never outlive the block (an interrupt, a timeout, a failure)."""
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()


def bulk_load(settings: Settings, partner_id: str, users: Sequence[BenchUser], rows: int, *, days: int,
              processes: int = 2) -> float:
    """Inserts `rows` transactions spread over `days` days and the users into both tables with
    raw concurrent prepared inserts, in `processes` loader processes (the Python driver tops out
    near 2,500 statements/s per process); returns the seconds it took."""
    share = -(-rows // processes)
    with users_file(users) as path:
        started = time.monotonic()
        with reaped([subprocess.Popen([sys.executable, "-m", "bench.data", path, partner_id, str(start),
                                       str(min(rows, start + share)), str(days)], env=settings_env(settings))
                     for start in range(0, rows, share)]) as loaders:
            failed = [loader.wait(timeout=3600) for loader in loaders]
    if any(failed):
        raise RuntimeError("a bulk loader failed (see its stderr above)")
    return time.monotonic() - started


def _load_range(session: Session, partner_id: str, users: list[list[str]], span: tuple[int, int], days: int) -> None:
    """Rows span[0]..span[1]-1 (deterministic per index), into both tables: the day rows in
    UNLOGGED batches of one partition each (as the consumers write them), the by-id rows alone."""
    first, last = span
    facts, by_id = session.prepare(FACTS_CQL), session.prepare(BY_ID_CQL)
    now = datetime.now(UTC)
    ts = fact_timestamp("settled", now)
    for offset in range(first, last, 20_000):
        statements: list[tuple[Any, Any]] = []
        partitions: dict[tuple[uuid.UUID, date], list[tuple[Any, ...]]] = defaultdict(list)
        for i in range(offset, min(last, offset + 20_000)):
            rng = random.Random(i)
            user_id, account, card = users[i % len(users)]
            uid = uuid.UUID(user_id)
            when = (now - timedelta(days=rng.uniform(0.1, days))).replace(microsecond=0)
            tid = f"bulk-{i}-{rng.getrandbits(24):06x}"
            amount = -Decimal(rng.randint(100, 20_000)) / 100
            partitions[(uid, when.date())].append(
                (uid, when.date(), when, partner_id, tid, account, card, amount, "EUR", "settled", when, when, now,
                 "BULK MERCHANT", "5411", UNSET_VALUE, UNSET_VALUE, UNSET_VALUE, "bulk merchant", ts))
            statements.append((by_id, (partner_id, tid, uid, when.date(), when, account, "settled", amount, "EUR",
                                       when, when, now, ts)))
        for rows in partitions.values():
            for start in range(0, len(rows), 40):
                batch = BatchStatement(batch_type=BatchType.UNLOGGED)
                for row in rows[start:start + 40]:
                    batch.add(facts, row)
                statements.append((batch, None))
        session.execute_concurrent(statements, concurrency=256, raise_on_first_error=True)


if __name__ == "__main__":  # one loader process of bulk_load
    users_path, partner, first, last, days = sys.argv[1:6]
    with open(users_path) as lines:
        loader_users = [line.split() for line in lines.read().splitlines() if line.strip()]
    loader_settings = Settings.from_env()
    loader_session = connect(loader_settings, keyspace=loader_settings.keyspace, slow_query_log=False)
    _load_range(loader_session, partner, loader_users, (int(first), int(last)), int(days))
    loader_session.cluster.shutdown()
