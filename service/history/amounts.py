"""Money on the wire: decimal strings at the currency's scale ("12.50", "1500" for JPY)."""

from __future__ import annotations

from decimal import Decimal

from service.contract import minor_units


def scale(currency: str) -> int:
    """Digits after the decimal point; 2 for a code Tally does not know (never happens for
    stored rows: the webhook refuses unknown currencies)."""
    return minor_units().get(currency, 2)


def format_amount(amount: Decimal, currency: str) -> str:
    """`amount` with exactly the currency's minor units, never in exponent notation. Stored
    amounts never carry more digits than the scale (the contract refuses them), so this only
    pads: quantize would round, but there is nothing to round."""
    exponent = Decimal(1).scaleb(-scale(currency))
    return format((amount if amount else Decimal(0)).quantize(exponent), "f")  # no "-0.00"
