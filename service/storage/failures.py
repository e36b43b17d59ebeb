"""What a Cassandra failure means for the data at hand.

Only one kind says "this value can never be stored": an InvalidRequest about the statement's
values (an empty key, a value too large). Everything else the driver or the server raises —
no host available, timeouts, unavailable replicas, overload, a node bootstrapping, a schema
not yet there, a dropped connection — says the database cannot take the write *now*: a
consumer holds and retries, and nothing is dead-lettered for it (docs/design.md, "Reliability").
"""

from __future__ import annotations

import re

from cassandra import InvalidRequest

_MISSING_SCHEMA = re.compile(r"unconfigured table|[Kk]eyspace .* does not exist|Undefined column", re.I)


def refused_value(exc: BaseException) -> bool:
    """Cassandra refused a value of the statement: retrying the same values cannot succeed."""
    return isinstance(exc, InvalidRequest) and not _MISSING_SCHEMA.search(str(exc))


def unavailable(exc: BaseException) -> bool:
    """A failure of the driver or the server that is not a refused value."""
    return type(exc).__module__.split(".")[0] == "cassandra" and not refused_value(exc)
