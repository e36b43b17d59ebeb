"""`GET /me/summary?month=YYYY-MM`: per currency and category, spend and income, computed at
read time over the month's days in the user's time zone (overrides merged).

Arithmetic: reversed transactions are left out, pending ones count. A transaction in the
`income` category adds its amount to income. Any other amount is spend, negated: money out
(negative) adds to spend and a refund (positive, at a merchant's category) takes it back, so a
category's spend is net of refunds (and may be negative in a month of more refunds than buys).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from service.classification.categories import CATEGORIES
from service.history.rows import Labelled, merge
from service.history.window import current_month, month_window, utc_months
from service.repositories.history import HistoryRepository
from service.repositories.overrides import CategoryOverrideRepository

INCOME = "income"
SUMMARY_READ_AHEAD = 8  # a month is at most 32 UTC partitions: four round trips of eight
_ORDER = {category.slug: index for index, category in enumerate(CATEGORIES)}


@dataclass(frozen=True)
class CategoryTotal:
    category: str
    spend: Decimal
    income: Decimal
    transactions: int


@dataclass(frozen=True)
class CurrencyTotal:
    currency: str
    spend: Decimal
    income: Decimal
    categories: list[CategoryTotal]


@dataclass(frozen=True)
class Summary:
    month: str
    time_zone: str
    currencies: list[CurrencyTotal]


def summarize(items: Iterable[Labelled]) -> list[CurrencyTotal]:
    """Totals per currency (sorted by code), each with its categories in taxonomy order."""
    spend: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    income: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for item in items:
        if item.row.status == "reversed":
            continue
        key = (item.row.currency, item.category)
        counts[key] += 1
        if item.category == INCOME:
            income[key] += item.row.amount
        else:
            spend[key] -= item.row.amount
    totals = []
    for currency in sorted({currency for currency, _ in counts}):
        keys = sorted((k for k in counts if k[0] == currency), key=lambda k: (_ORDER.get(k[1], len(_ORDER)), k[1]))
        categories = [CategoryTotal(k[1], spend[k], income[k], counts[k]) for k in keys]
        totals.append(CurrencyTotal(currency, sum((c.spend for c in categories), Decimal(0)),
                                    sum((c.income for c in categories), Decimal(0)), categories))
    return totals


@dataclass(frozen=True)
class Month:
    month: str
    time_zone: str
    items: list[Labelled]  # the month's rows, overrides merged


def month_items(history: HistoryRepository, overrides: CategoryOverrideRepository, user_id: uuid.UUID, *,
                time_zone: str, month: str | None, now: datetime) -> Month:
    """The rows of `month` (default: the current month in the user's zone), overrides merged.
    Raises InvalidMonth for a month that is not YYYY-MM."""
    zone = ZoneInfo(time_zone)
    month = month if month is not None else current_month(zone, now)
    window = month_window(month, zone)
    rows = list(history.scan(user_id, window.utc_days(), window.start, window.end, fetch_size=1000,
                             read_ahead=SUMMARY_READ_AHEAD))
    found = overrides.of_months(user_id, utc_months(window)) if rows else {}
    return Month(month, time_zone, merge(rows, found))


def month_summary(history: HistoryRepository, overrides: CategoryOverrideRepository, user_id: uuid.UUID, *,
                  time_zone: str, month: str | None, now: datetime) -> Summary:
    """The summary of `month` (see month_items)."""
    found = month_items(history, overrides, user_id, time_zone=time_zone, month=month, now=now)
    return Summary(found.month, found.time_zone, summarize(found.items))
