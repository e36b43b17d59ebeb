"""Reading back what the consumers stored (tests only: straight CQL on the test keyspace)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from cassandra.cluster import Session


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
