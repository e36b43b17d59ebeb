"""Monthly budgets (`PUT/GET/DELETE /me/budgets`), their progress in `GET /me/summary` and the
alerts of `GET /me/alerts` (docs/api.md, "Budgets").

Spend is computed at read time from the month's (user, day) partitions, overrides merged, by
the same arithmetic as the summary (service/history/summary.py): never a counter, so it is exact
whatever the redeliveries or the number of racing consumers (one row per transaction, its
latest version). A budget is for one category in one currency; spend in other currencies is
not converted, it counts only against a budget in its own currency.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from service.classification.categories import CATEGORY_BY_SLUG, is_category
from service.contract import minor_units
from service.history.rows import Labelled
from service.history.summary import INCOME, CurrencyTotal
from service.repositories.budgets import Budget

THRESHOLDS = (80, 100)  # percent of a budget at which an alert is raised
AMOUNT = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,3})?$")


class InvalidBudget(ValueError):
    def __init__(self, field: str, message: str, error: str = "invalid") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.error = error


@dataclass(frozen=True)
class Progress:
    budget: Budget
    spent: Decimal
    remaining: Decimal
    percent: float


@dataclass(frozen=True)
class Alert:
    progress: Progress
    threshold: int
    crossed_at: datetime  # authorized_at of the transaction that took the month's spend past it


def checked(category: str, amount: str, currency: str, now: datetime) -> Budget:
    """A budget from the request, or InvalidBudget naming the field."""
    if not is_category(category):
        raise InvalidBudget("category", "is not a category slug (GET /categories)", "unknown_category")
    if category == INCOME:
        raise InvalidBudget("category", "income is not spent: budgets are for spending categories")
    if currency not in minor_units():
        raise InvalidBudget("currency", "is not an ISO 4217 code Tally knows")
    if not AMOUNT.match(amount):
        raise InvalidBudget("amount", "must be a decimal string such as \"250.00\" (at most 12 digits before the "
                                      "point)")
    decimals = len(amount.partition(".")[2])
    if decimals > minor_units()[currency]:
        raise InvalidBudget("amount", f"{currency} has {minor_units()[currency]} decimals")
    value = Decimal(amount)
    if value <= 0:
        raise InvalidBudget("amount", "must be more than 0")
    return Budget(category, value, currency, now)


def progress(budgets: Iterable[Budget], totals: Sequence[CurrencyTotal]) -> list[Progress]:
    """Each budget against the month's spend of its category in its currency, taxonomy order."""
    spend = {(c.currency, t.category): t.spend for c in totals for t in c.categories}
    found = []
    for budget in sorted(budgets, key=order):
        spent = spend.get((budget.currency, budget.category), Decimal(0))
        found.append(Progress(budget, spent, budget.amount - spent, _percent(spent, budget.amount)))
    return found


def alerts(budgets: Iterable[Budget], items: Iterable[Labelled]) -> list[Alert]:
    """The budgets whose month's spend crossed 80 % or 100 % (the highest threshold crossed),
    with the moment it first did: running net spend in the order the transactions were made."""
    ordered = sorted((i for i in items if i.row.status != "reversed"), key=lambda i: i.row.authorized_at)
    found = []
    for budget in sorted(budgets, key=order):
        running, crossed = Decimal(0), {}
        for item in ordered:
            if item.category != budget.category or item.row.currency != budget.currency:
                continue
            running -= item.row.amount
            for threshold in THRESHOLDS:
                if threshold not in crossed and running * 100 >= budget.amount * threshold:
                    crossed[threshold] = item.row.authorized_at
        if crossed:
            top = max(crossed)
            found.append(Alert(Progress(budget, running, budget.amount - running, _percent(running, budget.amount)),
                               top, crossed[top]))
    return found


def _percent(spent: Decimal, amount: Decimal) -> float:
    return float(round(spent * 100 / amount, 1))


def order(budget: Budget) -> tuple[int, str]:
    slugs = list(CATEGORY_BY_SLUG)
    return (slugs.index(budget.category) if budget.category in CATEGORY_BY_SLUG else len(slugs), budget.category)
