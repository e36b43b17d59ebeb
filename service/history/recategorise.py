"""`PATCH /me/transactions/{partner_id}/{transaction_id}`: the user's category for one
transaction (an override, merged at read time as source `user`) and their rule for its
merchant (the consumers classify later transactions of that merchant as `user_rule`).

`apply_to_past` also re-labels the user's stored transactions of the merchant from the last
APPLY_TO_PAST_DAYS days as `user_rule`, written USING TIMESTAMP of the `user_rule` layer (see
service/repositories/transactions.py), so a redelivered message classified by a lower layer
cannot undo it. It reads one partition per day (key columns only, 16 in flight): bounded work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from service.classification.categories import SOURCE_CONFIDENCE, USER, USER_RULE, is_category
from service.history.rows import Labelled
from service.history.window import utc_month
from service.repositories.changes import MODIFIED, Change, ChangeLogRepository
from service.repositories.history import HistoryRepository, StoredKey
from service.repositories.overrides import CategoryOverrideRepository
from service.repositories.rules import UserRuleRepository
from service.repositories.transactions import category_timestamp

APPLY_TO_PAST_DAYS = 400


class UnknownCategory(ValueError):
    pass


class TransactionNotFound(LookupError):
    """No such transaction, or it belongs to another user (the same answer: 404)."""


@dataclass(frozen=True)
class Recategorised:
    item: Labelled
    relabelled: int  # past transactions of the merchant re-labelled (apply_to_past)


def recategorise(history: HistoryRepository, overrides: CategoryOverrideRepository, rules: UserRuleRepository,
                 changes: ChangeLogRepository, *, user_id: uuid.UUID, partner_id: str, transaction_id: str,
                 category: str, apply_to_past: bool, now: datetime) -> Recategorised:
    """Raises UnknownCategory or TransactionNotFound. Every transaction whose category changed
    gets an entry in the sync feed's change log, after the change committed."""
    if not is_category(category):
        raise UnknownCategory(category)
    located = history.locate(partner_id, transaction_id)
    if located is None or located.user_id != user_id:
        raise TransactionNotFound(f"{partner_id}/{transaction_id}")
    row = history.get(user_id, located, partner_id, transaction_id)
    if row is None:
        raise TransactionNotFound(f"{partner_id}/{transaction_id}")
    overrides.put(user_id, utc_month(row.authorized_at), (partner_id, transaction_id), category, now)
    relabelled: list[StoredKey] = []
    if row.merchant_key:
        rules.put(user_id, row.merchant_key, category)
        if apply_to_past:
            relabelled = relabel_past(history, user_id, row.merchant_key, category, now)
    changed = {(partner_id, transaction_id)} | {(k.partner_id, k.transaction_id) for k in relabelled}
    changes.record([Change(user_id, p, t, MODIFIED) for p, t in sorted(changed)])
    return Recategorised(Labelled(row, category, USER, SOURCE_CONFIDENCE[USER]), len(relabelled))


def past_days(now: datetime, days: int = APPLY_TO_PAST_DAYS) -> list[date]:
    """UTC day partitions from tomorrow (a bank may date a transaction up to a day ahead) back
    to `days - 1` days ago, newest first."""
    today = now.astimezone(UTC).date()
    return [today + timedelta(days=1 - n) for n in range(days + 1)]


def relabel_past(history: HistoryRepository, user_id: uuid.UUID, merchant_key: str, category: str,
                 now: datetime) -> list[StoredKey]:
    keys = history.keys_of_merchant(user_id, past_days(now), merchant_key)
    history.relabel(user_id, keys, category=category, source=USER_RULE, confidence=SOURCE_CONFIDENCE[USER_RULE],
                    write_timestamp=category_timestamp(USER_RULE, now))
    return keys
