"""One Cassandra session per process, opened after gunicorn forks (driver FAQ: a session
created before fork times out in the children)."""

from __future__ import annotations

import logging
import time
from typing import Any

from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, ResponseFuture, Session
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy

from cassandra import ConsistencyLevel
from service.settings import Settings

log = logging.getLogger("tally.cassandra")


def connect(settings: Settings, keyspace: str | None = None, slow_query_log: bool = True) -> Session:
    """A session with Tally's one execution profile: LOCAL_QUORUM reads and writes,
    LOCAL_SERIAL for lightweight transactions, token-aware routing inside the local DC."""
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=settings.cassandra_local_dc)),
        consistency_level=ConsistencyLevel.LOCAL_QUORUM,
        serial_consistency_level=ConsistencyLevel.LOCAL_SERIAL,
        request_timeout=settings.cassandra_request_timeout,
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
    )
    session = cluster.connect(keyspace)
    if slow_query_log and settings.slow_query_ms > 0:
        session.add_request_init_listener(_SlowQueryLog(settings.slow_query_ms / 1000.0))
    return session


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
