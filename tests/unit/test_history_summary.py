"""Summary arithmetic: refunds net against spend, income apart, reversed out, per currency."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from service.history.rows import Labelled, merge
from service.history.summary import summarize
from service.repositories.transactions import TransactionRow


def _row(amount: str, category: str = "groceries", status: str = "settled", currency: str = "EUR",
         transaction_id: str | None = None) -> TransactionRow:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    return TransactionRow(uuid.uuid4(), "bank", transaction_id or uuid.uuid4().hex, "ACC", "card", Decimal(amount),
                          currency, status, now, None, now, "Shop", "5411", None, None, None, "shop", category,
                          "mcc", 0.8)


def _items(*rows: TransactionRow) -> list[Labelled]:
    return merge(rows, {})


def test_spend_is_outgoing_net_of_refunds_and_income_is_apart() -> None:
    totals = summarize(_items(_row("-30.00"), _row("-12.50", status="pending"), _row("5.00"),
                              _row("-99.00", status="reversed"), _row("2000.00", "income"),
                              _row("-40.00", "dining_out")))
    assert len(totals) == 1
    eur = totals[0]
    assert (eur.currency, eur.spend, eur.income) == ("EUR", Decimal("77.50"), Decimal("2000.00"))
    assert [(c.category, c.spend, c.income, c.transactions) for c in eur.categories] == [
        ("groceries", Decimal("37.50"), 0, 3), ("dining_out", Decimal("40.00"), 0, 1),
        ("income", 0, Decimal("2000.00"), 1)]


def test_currencies_are_never_added_together() -> None:
    totals = summarize(_items(_row("-10", currency="USD"), _row("-1000", currency="JPY"), _row("-1", currency="EUR")))
    assert [(t.currency, t.spend) for t in totals] == [("EUR", 1), ("JPY", 1000), ("USD", 10)]


def test_a_month_of_more_refunds_than_buys_has_negative_spend() -> None:
    totals = summarize(_items(_row("-10.00", "shopping"), _row("25.00", "shopping")))
    assert totals[0].categories[0].spend == Decimal("-15.00")


def test_an_override_moves_the_amount_to_the_users_category() -> None:
    moved = _row("-8.00", transaction_id="t1")
    items = merge([moved, _row("-2.00")], {("bank", "t1"): "health"})
    assert (items[0].category, items[0].source, items[0].confidence) == ("health", "user", 1.0)
    totals = summarize(items)
    assert {c.category: c.spend for c in totals[0].categories} == {"groceries": 2, "health": 8}


def test_nothing_gives_nothing() -> None:
    assert summarize([]) == []
    assert summarize(_items(_row("-5", status="reversed"))) == []
