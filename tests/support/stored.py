"""Reading back what the consumers stored (tests only: straight CQL on the test keyspace)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import date
from typing import Any

from cassandra.cluster import Session
from cassandra.concurrent import execute_concurrent_with_args


def rows_by_id(session: Session, partner_id: str, ids: Iterable[str]) -> dict[str, Any]:
    statement = session.prepare("SELECT * FROM transactions_by_id WHERE partner_id = ? AND transaction_id = ?")
    futures = {i: session.execute_async(statement, (partner_id, i)) for i in ids}
    found = {}
    for i, future in futures.items():
        rows = list(future.result())
        assert len(rows) <= 1
        if rows:
            found[i] = rows[0]
    return found


def rows_of_user(session: Session, user_id: uuid.UUID, days: Iterable[date]) -> list[Any]:
    statement = session.prepare("SELECT * FROM transactions_by_user_day WHERE user_id = ? AND day = ?")
    rows: list[Any] = []
    for day in sorted(set(days)):
        rows.extend(session.execute(statement, (user_id, day)))
    return rows


def stored_once(session: Session, partner_id: str, ids: Collection[str], user_ids: Iterable[uuid.UUID],
                days: Iterable[date]) -> dict[str, list[str]]:
    """What is wrong with the storage of `ids`: missing from transactions_by_id, missing from
    the users' transactions_by_user_day partitions of `days`, or there more than once. All
    lists empty: each transaction stored exactly once in both tables."""
    statement = session.prepare("SELECT transaction_id FROM transactions_by_id WHERE partner_id = ? "
                                "AND transaction_id = ?")
    results = execute_concurrent_with_args(session, statement, [(partner_id, i) for i in ids], concurrency=64,
                                           raise_on_first_error=True)
    found = {row.transaction_id for _, rows in results for row in rows}
    listed = Counter(r.transaction_id for user_id in user_ids for r in rows_of_user(session, user_id, days))
    return {"missing_by_id": sorted(set(ids) - found),
            "missing_by_day": sorted(i for i in ids if listed[i] == 0),
            "duplicated": sorted(i for i in ids if listed[i] > 1)}
