"""What a Cassandra failure means.

`UNAVAILABLE`: the database cannot answer *now* — down, unreachable, paused, restarting,
overloaded, too few replicas (RequestExecutionException covers the server's Unavailable,
Read/WriteTimeout, Read/WriteFailure, Overloaded and IsBootstrapping answers). The api answers
503 with Retry-After; a consumer holds its batch, retries and requeues, and dead-letters
nothing for it (docs/design.md, "Reliability"). A schema not there yet (a migration still
running) counts too for consumers: the data is fine, the database is not ready for it.

`refused_value`: an InvalidRequest about the statement's values (an empty key, a value too
large): retrying the same values can never succeed. Other validation errors (bad CQL,
unauthorised) are bugs or misconfiguration: the api answers 500, consumers hand the message
back to the broker.
"""

from __future__ import annotations

import re

from cassandra.cluster import NoHostAvailable, UnresolvableContactPoints
from cassandra.connection import ConnectionBusy, ConnectionException

from cassandra import InvalidRequest, OperationTimedOut, RequestExecutionException

UNAVAILABLE: tuple[type[Exception], ...] = (
    NoHostAvailable, OperationTimedOut, RequestExecutionException, ConnectionException, ConnectionBusy,
    UnresolvableContactPoints)

_MISSING_SCHEMA = re.compile(r"unconfigured table|[Kk]eyspace .* does not exist|Undefined column", re.I)


def missing_schema(exc: BaseException) -> bool:
    return isinstance(exc, InvalidRequest) and bool(_MISSING_SCHEMA.search(str(exc)))


def refused_value(exc: BaseException) -> bool:
    """Cassandra refused a value of the statement: retrying the same values cannot succeed."""
    return isinstance(exc, InvalidRequest) and not missing_schema(exc)


def unavailable(exc: BaseException) -> bool:
    """Cassandra cannot take this now; it may later (for the data at hand: transient)."""
    return isinstance(exc, UNAVAILABLE) or missing_schema(exc)
