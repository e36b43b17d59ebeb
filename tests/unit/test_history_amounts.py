"""Amounts on the wire: strings at the currency's scale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from service.history.amounts import format_amount


@pytest.mark.parametrize(("amount", "currency", "text"), [
    ("-12.5", "EUR", "-12.50"), ("12", "EUR", "12.00"), ("0.01", "USD", "0.01"), ("-1500", "JPY", "-1500"),
    ("1.25", "KWD", "1.250"), ("-0", "EUR", "0.00"), ("0.00", "JPY", "0"), ("123456789012.99", "EUR",
                                                                            "123456789012.99"),
    ("1E+2", "EUR", "100.00"), ("7.5", "XXX-unknown", "7.50"),
])
def test_format_amount(amount: str, currency: str, text: str) -> None:
    assert format_amount(Decimal(amount), currency) == text
