"""A stored transaction as the user sees it: the user's own category (an override, source
`user`) merged over what the consumers decided, and its JSON shape (docs/api.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from service.classification.categories import SOURCE_CONFIDENCE, USER
from service.history.amounts import format_amount
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


def to_json(item: Labelled) -> dict[str, Any]:
    row = item.row
    return {
        "partner_id": row.partner_id, "transaction_id": row.transaction_id,
        "account_number": row.account_number, "card_id": row.card_id,
        "amount": format_amount(row.amount, row.currency), "currency": row.currency, "status": row.status,
        "authorized_at": instant(row.authorized_at), "settled_at": instant(row.settled_at),
        "merchant": {"name": row.merchant_name, "mcc": row.merchant_mcc},
        "category": item.category, "category_source": item.source,
        # stored as a 32-bit float: 0.95 reads back as 0.949999988…
        "category_confidence": round(item.confidence, 3),
    }
