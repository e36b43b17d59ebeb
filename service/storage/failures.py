"""What a Cassandra failure means.

`UNAVAILABLE`: the database cannot answer *now* — down, unreachable, paused, restarting,
overloaded, too few replicas (RequestExecutionException covers the server's Unavailable,
Read/WriteTimeout, Read/WriteFailure, Overloaded and IsBootstrapping answers). The api answers
503 with Retry-After; a consumer holds its batch, retries and requeues, and dead-letters
nothing for it (docs/design.md, "Reliability"). A schema not there yet (a migration still
running) counts too for consumers: the data is fine, the database is not ready for it.

`AnswerMismatch`: a row that answers another key than the one asked. Reads that decide who a
row belongs to or who is asking (an account's owner, a session, a user's day partitions) select
their key columns too and check them: a driver that delivered one request's answer to another
would otherwise put a transaction in the wrong user's list or show it to the wrong user. It
counts as unavailable: asked again, the answer is right.

`refused_value`: an InvalidRequest about the statement's values (an empty key, a value too
large): retrying the same values can never succeed. Other validation errors (bad CQL,
unauthorised) are bugs or misconfiguration: the api answers 500, consumers hand the message
back to the broker.
"""

from __future__ import annotations

import re
from typing import Any

from cassandra.cluster import NoHostAvailable, UnresolvableContactPoints
from cassandra.connection import ConnectionBusy, ConnectionException

from cassandra import InvalidRequest, OperationTimedOut, RequestExecutionException


class AnswerMismatch(Exception):
    """Cassandra's answer to a read is about another key than the one asked."""


def answered_for(row: Any, table: str, **asked: Any) -> Any:
    """`row`, after checking that its key columns equal `asked`; raises AnswerMismatch."""
    got = {column: getattr(row, column) for column in asked}
    if got != asked:
        raise AnswerMismatch(f"a read of {table} for {_shown(asked)} was answered with the row of {_shown(got)}")
    return row


def _shown(key: dict[str, Any]) -> dict[str, Any]:
    """A key for a log line: binary values (a session's token hash) by their length only."""
    return {column: f"<{len(value)} bytes>" if isinstance(value, bytes) else value for column, value in key.items()}


UNAVAILABLE: tuple[type[Exception], ...] = (
    NoHostAvailable, OperationTimedOut, RequestExecutionException, ConnectionException, ConnectionBusy,
    UnresolvableContactPoints, AnswerMismatch)

_MISSING_SCHEMA = re.compile(r"unconfigured table|[Kk]eyspace .* does not exist|Undefined column", re.I)


def missing_schema(exc: BaseException) -> bool:
    return isinstance(exc, InvalidRequest) and bool(_MISSING_SCHEMA.search(str(exc)))


def refused_value(exc: BaseException) -> bool:
    """Cassandra refused a value of the statement: retrying the same values cannot succeed."""
    return isinstance(exc, InvalidRequest) and not missing_schema(exc)


def unavailable(exc: BaseException) -> bool:
    """Cassandra cannot take this now; it may later (for the data at hand: transient)."""
    return isinstance(exc, UNAVAILABLE) or missing_schema(exc)
