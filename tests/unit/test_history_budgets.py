"""Budgets: input checks, progress against the month's spend, and alerts at 80 % and 100 %
dated by the transaction that crossed them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from service.history.budgets import InvalidBudget, alerts, checked, progress
from service.history.rows import Labelled, merge
from service.history.summary import summarize
from service.repositories.budgets import Budget
from service.repositories.transactions import TransactionRow

START = datetime(2026, 5, 1, tzinfo=UTC)


def _row(amount: str, minute: int, category: str = "groceries", status: str = "settled",
         currency: str = "EUR") -> TransactionRow:
    at = START + timedelta(minutes=minute)
    return TransactionRow(uuid.uuid4(), "bank", uuid.uuid4().hex, "ACC", "card", Decimal(amount), currency, status,
                          at, None, at, "Shop", "5411", None, None, None, "shop", category, "mcc", 0.8)


def _items(*rows: TransactionRow) -> list[Labelled]:
    return merge(rows, {})


def _budget(amount: str, category: str = "groceries", currency: str = "EUR") -> Budget:
    return Budget(category, Decimal(amount), currency, START)


def test_progress_is_the_categorys_spend_in_the_budgets_currency_net_of_refunds() -> None:
    items = _items(_row("-60.00", 1), _row("10.00", 2), _row("-30.00", 3, currency="USD"),
                   _row("-99.00", 4, status="reversed"), _row("-5.00", 5, "fuel"))
    found = progress([_budget("200"), _budget("10", "fuel"), _budget("10", "travel")], summarize(items))
    assert [(p.budget.category, p.spent, p.remaining, p.percent) for p in found] == [
        ("groceries", Decimal("50.00"), Decimal("150.00"), 25.0), ("fuel", Decimal("5.00"), Decimal("5.00"), 50.0),
        ("travel", Decimal(0), Decimal("10"), 0.0)]


def test_an_alert_names_the_highest_threshold_and_the_transaction_that_crossed_it_first() -> None:
    items = _items(_row("-50.00", 1), _row("-35.00", 2), _row("20.00", 3), _row("-40.00", 4), _row("-1.00", 5),
                   _row("-500.00", 6, "fuel"))
    found = alerts([_budget("100"), _budget("1000", "fuel")], items)
    assert [(a.progress.budget.category, a.threshold, a.crossed_at, a.progress.spent) for a in found] == [
        ("groceries", 100, START + timedelta(minutes=4), Decimal("106.00"))]
    assert alerts([_budget("100")], _items(_row("-79.99", 1))) == []
    eighty = alerts([_budget("100")], _items(_row("-80.00", 1)))
    assert [(a.threshold, a.progress.percent) for a in eighty] == [(80, 80.0)]


@pytest.mark.parametrize(("category", "amount", "currency", "field"), [
    ("groceries", "0", "EUR", "amount"), ("groceries", "0.00", "EUR", "amount"),
    ("groceries", "1.234", "EUR", "amount"),
    ("groceries", "1.5", "JPY", "amount"), ("groceries", "1e3", "EUR", "amount"), ("groceries", " 5", "EUR", "amount"),
    ("groceries", "1234567890123", "EUR", "amount"), ("groceries", "5", "eur", "currency"),
    ("income", "5", "EUR", "category"), ("Groceries", "5", "EUR", "category"),
])
def test_a_bad_budget_names_its_field(category: str, amount: str, currency: str, field: str) -> None:
    with pytest.raises(InvalidBudget) as refused:
        checked(category, amount, currency, START)
    assert refused.value.field == field


def test_a_good_budget_keeps_its_decimals() -> None:
    assert checked("travel", "1.250", "KWD", START) == Budget("travel", Decimal("1.250"), "KWD", START)
    assert checked("travel", "1500", "JPY", START).amount == Decimal(1500)
