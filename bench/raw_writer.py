"""The write benchmark's baseline: the same statements the consumers issue (facts, category
cells, by-id row, last transaction time), at the same consistency, by plain cassandra-driver
code — no broker, no decoding, no classification. Run as separate processes like the
consumers: `python -m bench.raw_writer --rows N --users FILE`; prints {"rows", "seconds"}."""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from cassandra.query import UNSET_VALUE

from service.repositories.transactions import (
    ACTIVITY_CQL,
    BY_ID_CQL,
    CATEGORY_CQL,
    FACTS_CQL,
    category_timestamp,
    fact_timestamp,
    micros,
)
from service.settings import Settings
from service.storage.session import connect


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--users", required=True, help="a file of lines 'user_id account card'")
    parser.add_argument("--partner", required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    with open(args.users) as handle:
        users = [line.split() for line in handle.read().splitlines() if line.strip()]
    settings = Settings.from_env()
    session = connect(settings, keyspace=settings.keyspace, slow_query_log=False)
    statements = _statements(session, users, args.partner, args.rows)
    started = time.monotonic()
    session.execute_concurrent(statements, concurrency=args.concurrency, raise_on_first_error=True)
    print(json.dumps({"rows": args.rows, "seconds": time.monotonic() - started}))
    session.cluster.shutdown()


def _statements(session: Any, users: list[list[str]], partner: str, rows: int) -> list[tuple[Any, Any]]:
    facts, category = session.prepare(FACTS_CQL), session.prepare(CATEGORY_CQL)
    by_id, activity = session.prepare(BY_ID_CQL), session.prepare(ACTIVITY_CQL)
    rng, now = random.Random(), datetime.now(UTC)
    out: list[tuple[Any, Any]] = []
    for i in range(rows):
        user_id, account, card = users[i % len(users)]
        uid = uuid.UUID(user_id)
        when = now - timedelta(seconds=rng.uniform(0, 300))
        tid = f"raw-{uuid.uuid4().hex[:16]}"
        amount = -Decimal(rng.randint(100, 20_000)) / 100
        ts = fact_timestamp("pending", now)
        out.append((facts, (uid, when.date(), when, partner, tid, account, card, amount, "EUR", "pending", when,
                            UNSET_VALUE, now, "RAW MERCHANT 12", "5411", "Berlin", "DE", "RAW MERCHANT 12 BERLIN",
                            "raw merchant", ts)))
        out.append((category, (category_timestamp("mcc", now), "groceries", "mcc", 0.8, uid, when.date(), when,
                               partner, tid)))
        out.append((by_id, (partner, tid, uid, when.date(), when, account, "pending", amount, "EUR", when,
                            UNSET_VALUE, now, ts)))
    for user_id, _, _ in users:
        out.append((activity, (micros(now), now, uuid.UUID(user_id))))
    return out


if __name__ == "__main__":
    main()
