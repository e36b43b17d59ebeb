"""Reading rows at a chosen consistency, or as one node holds them: how the cluster layer
checks that a node which was down holds, after repair, what a quorum returns."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, Session
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.policies import WhiteListRoundRobinPolicy
from cassandra.query import tuple_factory

from cassandra import ConsistencyLevel
from service.settings import Settings

BY_ID = "SELECT * FROM transactions_by_id WHERE partner_id = ? AND transaction_id = ?"


def rows_at(session: Session, partner_id: str, ids: Sequence[str],
            consistency: int = ConsistencyLevel.LOCAL_QUORUM) -> dict[str, tuple[Any, ...] | None]:
    """transactions_by_id rows of `ids` (every column, as tuples) read at `consistency`."""
    statement = session.prepare(BY_ID)
    statement.consistency_level = consistency
    results = execute_concurrent_with_args(session, statement, [(partner_id, i) for i in ids], concurrency=32,
                                           raise_on_first_error=True)
    return {i: (tuple(rows[0]) if (rows := list(result)) else None) for i, (_, result) in zip(ids, results,
                                                                                              strict=True)}


@contextmanager
def node_session(settings: Settings, address: str) -> Iterator[Session]:
    """A session whose only coordinator is the node at `address`, reading at ONE. On three
    nodes with RF 3 the node is a replica of every row, and a coordinator that is a replica
    reads its own copy first (the snitch ranks the local node first; the dynamic snitch is off
    in cassandra/cassandra.yaml), so this reads what that node holds. (Its table's
    speculative_retry may still ask another replica when the local read is slower than p99.)"""
    profile = ExecutionProfile(load_balancing_policy=WhiteListRoundRobinPolicy([address]),
                               consistency_level=ConsistencyLevel.ONE, request_timeout=30, row_factory=tuple_factory)
    cluster = Cluster([address], port=settings.cassandra_port, execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                      protocol_version=5)
    try:
        yield cluster.connect(settings.keyspace)
    finally:
        cluster.shutdown()
