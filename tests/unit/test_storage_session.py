"""What the driver does with a statement when a node of the cluster fails under it (the
retry policy of service/storage/session.py), and what such a failure means to Tally."""

from __future__ import annotations

from cassandra.policies import RetryPolicy, WriteType
from cassandra.query import SimpleStatement

from cassandra import ConsistencyLevel, ReadTimeout, Unavailable, WriteTimeout
from service.storage.failures import unavailable
from service.storage.session import IdempotentRetries

NEXT_HOST, RETHROW = (RetryPolicy.RETRY_NEXT_HOST, None), (RetryPolicy.RETHROW, None)
QUORUM = ConsistencyLevel.LOCAL_QUORUM


def _read_timeout(statement: SimpleStatement, retry_num: int) -> tuple[int, object]:
    # as the driver calls it: the statement, then the server's answer by keyword
    return IdempotentRetries().on_read_timeout(statement, consistency=QUORUM, required_responses=2,
                                               received_responses=1, data_retrieved=False, retry_num=retry_num)


def _write_timeout(statement: SimpleStatement, write_type: int, retry_num: int = 0) -> tuple[int, object]:
    return IdempotentRetries().on_write_timeout(statement, consistency=QUORUM, write_type=write_type,
                                                required_responses=2, received_responses=1, retry_num=retry_num)


def test_an_idempotent_statement_is_tried_once_more_on_the_next_node_after_a_coordinator_timeout() -> None:
    idempotent = SimpleStatement("SELECT 1", is_idempotent=True)

    assert _read_timeout(idempotent, retry_num=0) == NEXT_HOST
    assert _write_timeout(idempotent, WriteType.SIMPLE) == NEXT_HOST
    assert _write_timeout(idempotent, WriteType.UNLOGGED_BATCH) == NEXT_HOST
    assert _read_timeout(idempotent, retry_num=1) == RETHROW  # once: the request timeout bounds the rest


def test_other_statements_keep_the_drivers_default() -> None:
    plain = SimpleStatement("UPDATE t SET v = v + 1 WHERE k = 1")
    lwt = SimpleStatement("INSERT INTO t (k) VALUES (1) IF NOT EXISTS", is_idempotent=True)

    assert _read_timeout(plain, retry_num=0) == RETHROW
    assert _write_timeout(plain, WriteType.SIMPLE) == RETHROW
    assert _write_timeout(lwt, WriteType.CAS) == RETHROW  # its outcome is unknown: never retried here
    assert IdempotentRetries().on_unavailable(plain, QUORUM, 2, 1, 0) == NEXT_HOST  # the default, once


def test_a_quorum_out_of_reach_is_transient() -> None:
    """Two nodes of three down: coordinators answer Unavailable, or time out before they know;
    consumers hold and requeue, the api answers 503 (docs/design.md, "Reliability")."""
    assert unavailable(Unavailable("Cannot achieve consistency level LOCAL_QUORUM", consistency=QUORUM,
                                   required_replicas=2, alive_replicas=1))
    assert unavailable(WriteTimeout("timed out", consistency=QUORUM, required_responses=2, received_responses=1,
                                    write_type=WriteType.SIMPLE))
    assert unavailable(ReadTimeout("timed out", consistency=QUORUM, required_responses=2, received_responses=1,
                                   data_retrieved=False))
