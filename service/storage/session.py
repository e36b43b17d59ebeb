"""One Cassandra session per process, opened after gunicorn forks (driver FAQ: a session
created before fork times out in the children).

On a cluster (RF 3, LOCAL_QUORUM) one node down must be invisible: what the driver does when
a node dies in the middle of a request, and what is added here.
- The coordinator dies (kill -9, a crash): its connections close, the driver's retry policy
  sends the request to the next host of the plan (`on_request_error`, any statement).
- A replica dies under a live coordinator: a write still gets two acks of three; a read is
  sent to the third replica by the table's own `speculative_retry` (99p).
- A coordinator times out waiting for replicas (a replica died or stalled before it was
  marked down): the driver rethrows by default; IdempotentRetries tries an idempotent
  statement once more on the next host.
- A coordinator stalls (a paused process, a long GC): nothing answers and nothing closes; an
  idempotent statement is sent to a second host after SPECULATIVE_AFTER seconds.
Statements are idempotent when flagged (`is_idempotent`: the repositories flag every read
and blind upsert; lightweight transactions never are).
"""

from __future__ import annotations

import logging
import time
from collections import namedtuple
from functools import lru_cache
from typing import Any

from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, ResponseFuture, Session
from cassandra.policies import (
    ConstantSpeculativeExecutionPolicy,
    DCAwareRoundRobinPolicy,
    ExponentialReconnectionPolicy,
    RetryPolicy,
    TokenAwarePolicy,
    WriteType,
)
from cassandra.query import _clean_column_name

from cassandra import ConsistencyLevel
from service.settings import Settings

log = logging.getLogger("tally.cassandra")
# The driver's default reconnection backs off to 10 minutes, so a node back after a crash of a
# few minutes stayed unused (consumers paused, the api answering 503) for minutes more. Capped
# at 10 s: one connection attempt per client and down host every 10 s is cheap for a node.
RECONNECTION = ExponentialReconnectionPolicy(base_delay=0.5, max_delay=10.0)
# A second host is asked only when the first has not answered for this long: far above any
# statement's p99 on a healthy node (bench: reads p99 ≤ 0.1 s, logins under burst ≤ 1.1 s on
# two shared cores), so it fires for a stalled node, not for a busy one, and does not double
# the load of a cluster that is merely slow. Once per statement; within its request timeout.
SPECULATIVE_AFTER = 2.0


class IdempotentRetries(RetryPolicy):
    """The driver's default policy, and one retry on the next host of an idempotent
    statement's read or write timeout (the default rethrows most of them). Lightweight
    transactions (write type CAS) are never retried here: their outcome is unknown."""

    # The driver passes everything but the statement by keyword (ResponseFuture._set_result).
    def on_read_timeout(self, query: Any, *args: Any, **info: Any) -> tuple[int, Any]:
        if info.get("retry_num") == 0 and getattr(query, "is_idempotent", False):
            return self.RETRY_NEXT_HOST, None
        return super().on_read_timeout(query, *args, **info)

    def on_write_timeout(self, query: Any, *args: Any, **info: Any) -> tuple[int, Any]:
        if (info.get("retry_num") == 0 and getattr(query, "is_idempotent", False)
                and info.get("write_type") != WriteType.CAS):
            return self.RETRY_NEXT_HOST, None
        return super().on_write_timeout(query, *args, **info)


def connect(settings: Settings, keyspace: str | None = None, slow_query_log: bool = True) -> Session:
    """A session with Tally's one execution profile: LOCAL_QUORUM reads and writes,
    LOCAL_SERIAL for lightweight transactions, token-aware routing inside the local DC over
    every contact point, idempotent statements retried and hedged on another node."""
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=settings.cassandra_local_dc)),
        retry_policy=IdempotentRetries(),
        speculative_execution_policy=ConstantSpeculativeExecutionPolicy(SPECULATIVE_AFTER, max_attempts=1),
        consistency_level=ConsistencyLevel.LOCAL_QUORUM,
        serial_consistency_level=ConsistencyLevel.LOCAL_SERIAL,
        request_timeout=settings.cassandra_request_timeout,
        row_factory=named_rows,
    )
    auth = None
    if settings.cassandra_username:
        auth = PlainTextAuthProvider(settings.cassandra_username, settings.cassandra_password)
    cluster = Cluster(
        contact_points=settings.contact_points,
        port=settings.cassandra_port,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        protocol_version=5,
        auth_provider=auth,
        connect_timeout=5,
        reconnection_policy=RECONNECTION,
    )
    session = cluster.connect(keyspace)
    if slow_query_log and settings.slow_query_ms > 0:
        session.add_request_init_listener(_SlowQueryLog(settings.slow_query_ms / 1000.0))
    return session


def named_rows(colnames: list[str], rows: list[Any]) -> list[Any]:
    """Rows as named tuples, like the driver's default factory, but with one class per column
    list instead of a new namedtuple class per result: building that class was an eighth of
    the api's CPU on `GET /me/transactions` (bench/profiles/read.md)."""
    row = _row_class(tuple(colnames))
    return [row(*values) for values in rows]


@lru_cache(maxsize=1024)
def _row_class(colnames: tuple[str, ...]) -> Any:
    return namedtuple("Row", [_clean_column_name(c) for c in colnames], rename=True)  # noqa: PYI024


def lwt_applied(result: Any) -> bool:
    """Whether a lightweight transaction applied: its first column, `[applied]`. (The driver's
    ResultSet.was_applied refuses row factories other than its own.)"""
    return bool(result.one()[0])


def shutdown(session: Session | None) -> None:
    if session is not None:
        session.cluster.shutdown()


class _SlowQueryLog:
    """Logs every statement slower than the threshold (TALLY_SLOW_QUERY_MS), with its CQL."""

    def __init__(self, threshold_s: float) -> None:
        self.threshold_s = threshold_s

    def __call__(self, future: ResponseFuture) -> None:
        started = time.monotonic()

        def finished(_: Any) -> None:
            elapsed = time.monotonic() - started
            if elapsed >= self.threshold_s:
                log.warning("slow cassandra statement", extra={
                    "event": "slow_query", "duration_ms": round(elapsed * 1000, 1),
                    "query": _query_text(future)})

        future.add_callbacks(finished, finished)


def _query_text(future: ResponseFuture) -> str:
    query = future.query
    text = getattr(query, "query_string", None) or getattr(getattr(query, "prepared_statement", None),
                                                              "query_string", None)
    return str(text or query)[:300]
