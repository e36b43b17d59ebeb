"""Reading back what Tally did, after the drain: the queues (until empty and stable), every
row of the campaign's keyspace, and every message in `tally.dead`.

Rows are read with full scans of the campaign's own keyspace at consistency ALL, so every
replica's writes are seen and a row anywhere (any user, any day) is found, not only where
the checker expects it. `tally.dead` is read without acking: the messages stay
where they are, for an operator to look at.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cassandra.query import SimpleStatement

from cassandra import ConsistencyLevel
from chaos.check import StoredRow
from chaos.deadletters import DeadLetter
from service.broker.connection import broker_connection, ensure_connected
from service.broker.management import Management
from service.broker.topology import DEAD, WORK_QUEUES, queue
from service.settings import Settings
from service.storage.session import connect, shutdown

FETCH_SIZE = 5000
STABLE_SECONDS = 10.0  # the management API's counters lag by a second or two


@dataclass(frozen=True)
class Drain:
    drained: bool
    seconds: float      # until the work queues were empty (the stable wait excluded)
    left: dict[str, int]  # messages (ready + unacked) per work queue at the end


def wait_drained(settings: Settings, timeout: float, say: Callable[[str], None]) -> Drain:
    """Waits until every work queue has no message, ready or unacked, for STABLE_SECONDS."""
    management = Management(settings)
    started = time.monotonic()
    empty_since: float | None = None
    last_said = 0.0
    left: dict[str, int] = {}
    while time.monotonic() - started < timeout:
        try:
            left = {q["name"]: int(q.get("messages_ready", 0)) + int(q.get("messages_unacknowledged", 0))
                    for q in management.queues() if q["name"] in WORK_QUEUES}
        except Exception as exc:  # noqa: BLE001 - the broker may be restarting: keep waiting
            left = {"management API": -1}
            say(f"drain: management API not answering ({exc})")
        now = time.monotonic()
        if left and not any(left.values()):
            empty_since = empty_since or now
            if now - empty_since >= STABLE_SECONDS:
                return Drain(True, empty_since - started, left)
        else:
            empty_since = None
            if now - last_said >= 15:
                say(f"drain: {left}")
                last_said = now
        time.sleep(1)
    return Drain(False, time.monotonic() - started, left)


@dataclass
class Stored:
    by_id: dict[str, list[StoredRow]]
    by_day: dict[str, list[StoredRow]]
    by_user: dict[str, dict[str, StoredRow]]  # user → transaction id → its by_day row
    held: int  # rows left in held_by_account


def read_stored(settings: Settings) -> Stored:
    session = connect(settings, keyspace=settings.keyspace, slow_query_log=False)
    try:
        stored = Stored({}, {}, {}, 0)
        for row in _scan(session, "SELECT transaction_id, user_id, status, amount, settled_at FROM transactions_by_id"):
            stored.by_id.setdefault(row.transaction_id, []).append(
                StoredRow(str(row.user_id), row.status, row.amount, _utc(row.settled_at)))
        for row in _scan(session, "SELECT user_id, day, transaction_id, status, amount, settled_at, category "
                                  "FROM transactions_by_user_day"):
            found = StoredRow(str(row.user_id), row.status, row.amount, _utc(row.settled_at), row.category,
                              row.day.date())
            stored.by_day.setdefault(row.transaction_id, []).append(found)
            stored.by_user.setdefault(found.user_id, {})[row.transaction_id] = found
        stored.held = sum(1 for _ in _scan(session, "SELECT transaction_id FROM held_by_account"))
        return stored
    finally:
        shutdown(session)


def _scan(session: Any, cql: str) -> Any:
    return session.execute(SimpleStatement(cql, consistency_level=ConsistencyLevel.ALL, fetch_size=FETCH_SIZE),
                           timeout=120)


def _utc(moment: datetime | None) -> datetime | None:
    """The driver returns naive UTC datetimes."""
    return None if moment is None else moment.replace(tzinfo=UTC)


def read_dead_letters(settings: Settings) -> list[DeadLetter]:
    """Every message in tally.dead, left in place: each is taken unacked (so none comes twice)
    and the connection is closed without an ack, which requeues them all."""
    letters = []
    with broker_connection(settings.amqp_url, connect_timeout=10) as connection:
        dead = queue(DEAD)(ensure_connected(connection).default_channel)
        while (message := dead.get(no_ack=False)) is not None:
            body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
            letters.append(DeadLetter.of(str(message.properties.get("message_id", "")), dict(message.headers or {}),
                                         body))
    return letters
