"""A stored transaction as the user sees it: the user's own category (an override, source
`user`) merged over what the consumers decided. Its JSON shape is service/api/answers.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from service.classification.categories import SOURCE_CONFIDENCE, USER
from service.repositories.overrides import OverrideKey
from service.repositories.transactions import TransactionRow


@dataclass(frozen=True)
class Labelled:
    row: TransactionRow
    category: str
    source: str
    confidence: float


def merge(rows: Iterable[TransactionRow], overrides: Mapping[OverrideKey, str]) -> list[Labelled]:
    """Each row with the user's override of its category, if any, else the stored one."""
    merged = []
    for row in rows:
        override = overrides.get((row.partner_id, row.transaction_id))
        if override is not None:
            merged.append(Labelled(row, override, USER, SOURCE_CONFIDENCE[USER]))
        else:
            merged.append(Labelled(row, row.category, row.category_source, row.category_confidence))
    return merged


def instant(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a 'Z' (Cassandra keeps milliseconds). A naive datetime is UTC:
    that is how the driver reads timestamps."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
