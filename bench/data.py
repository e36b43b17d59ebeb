"""Bench data: users with linked accounts (made through the repositories, with one bcrypt
hash computed once), fresh wire transactions from the bank simulator's generator, and bulk
rows loaded with raw concurrent inserts (the figures measure Tally, not this loader)."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from cassandra.cluster import Session

from service.bootstrap import Runtime
from service.repositories.accounts import AccountRepository
from service.repositories.transactions import BY_ID_CQL, FACTS_CQL, fact_timestamp
from service.repositories.users import UserRepository
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
    users_repo, accounts = rt.repository(UserRepository), rt.repository(AccountRepository)
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


def bulk_load(session: Session, partner_id: str, users: Sequence[BenchUser], rows: int, *, days: int,
              concurrency: int = 256) -> float:
    """Inserts `rows` transactions spread over `days` days and the users into both tables with
    raw concurrent prepared inserts; returns the seconds it took."""
    facts, by_id = session.prepare(FACTS_CQL), session.prepare(BY_ID_CQL)
    now = datetime.now(UTC)
    rng = random.Random(rows)
    started = time.monotonic()
    chunk = 20_000
    for offset in range(0, rows, chunk):
        statements: list[tuple[Any, Any]] = []
        for i in range(offset, min(rows, offset + chunk)):
            user = users[i % len(users)]
            when = (now - timedelta(days=rng.uniform(0.1, days))).replace(microsecond=0)
            tid = f"bulk-{i}-{rng.getrandbits(24):06x}"
            amount = Decimal(rng.randint(100, 20_000)) / 100
            ts = fact_timestamp("settled", now)
            statements.append((facts, (user.user_id, when.date(), when, partner_id, tid, user.account, user.card,
                                       -amount, "EUR", "settled", when, when, now, "BULK MERCHANT", "5411", None,
                                       None, None, "bulk merchant", ts)))
            statements.append((by_id, (partner_id, tid, user.user_id, when.date(), when, user.account, "settled",
                                       -amount, "EUR", when, when, now, ts)))
        session.execute_concurrent(_unset_nulls(statements), concurrency=concurrency, raise_on_first_error=True)
    return time.monotonic() - started


def _unset_nulls(statements: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    from cassandra.query import UNSET_VALUE

    return [(s, tuple(UNSET_VALUE if v is None else v for v in params)) for s, params in statements]


def days_back(days: int) -> list[date]:
    today = datetime.now(UTC).date()
    return [today - timedelta(days=i) for i in range(days + 1)]
