"""One Cassandra session per process, opened after gunicorn forks (driver FAQ: a session
created before fork times out in the children)."""

from __future__ import annotations

import logging
import time
from collections import namedtuple
from functools import lru_cache
from typing import Any

from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, ResponseFuture, Session
from cassandra.policies import DCAwareRoundRobinPolicy, ExponentialReconnectionPolicy, TokenAwarePolicy
from cassandra.query import _clean_column_name

from cassandra import ConsistencyLevel
from service.settings import Settings

log = logging.getLogger("tally.cassandra")
# The driver's default reconnection backs off to 10 minutes, so a node back after a crash of a
# few minutes stayed unused (consumers paused, the api answering 503) for minutes more. Capped
# at 10 s: one connection attempt per client and down host every 10 s is cheap for a node.
RECONNECTION = ExponentialReconnectionPolicy(base_delay=0.5, max_delay=10.0)

def connect(settings: Settings, keyspace: str | None = None, slow_query_log: bool = True) -> Session:
    """A session with Tally's one execution profile: LOCAL_QUORUM reads and writes,
    LOCAL_SERIAL for lightweight transactions, token-aware routing inside the local DC."""
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=settings.cassandra_local_dc)),
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
