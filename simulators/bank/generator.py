"""Card transactions with exactly the wire shape of docs/design.md, "The bank contract", drawn from the catalog.

Deterministic for a given seed and call sequence. Transaction ids are `tx_<counter>_<random>`:
the counter makes them unique within one bank process, the random part (from the seed) keeps
two runs without a seed apart.
"""

from __future__ import annotations

import random
import string
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from simulators.catalog import COUNTRIES, MINOR_UNITS, Merchant, by_category

HOME_COUNTRY = "DE"  # the simulated bank's customers live in Germany: most spend is in EUR
HOME_SHARE = 0.75  # share of in-person purchases made at home rather than travelling
MISSING_MCC_SHARE = 0.03  # some acquirers send no MCC
REFUND_SHARE = 0.05  # of "mixed" merchants' transactions (marketplaces, clothing...)

# How often each Tally category occurs in a customer's card spending.
CATEGORY_WEIGHTS = {
    "groceries": 22, "dining_out": 18, "shopping": 12, "transport": 9, "entertainment": 5, "fuel": 5,
    "health": 4, "travel": 3, "utilities": 3, "personal_care": 3, "services": 3, "cash": 3,
    "transfers": 3, "housing": 2, "fees": 1.5, "income": 1.5, "education": 1, "other": 1,
}


ZONES = {code: ZoneInfo(country.time_zone) for code, country in COUNTRIES.items()}


def utc_key(moment: datetime) -> str:
    """The ledger's sort key of an instant: 'YYYY-MM-DDTHH:MM:SS' in UTC (sorts as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class TransactionGenerator:
    """Makes new transactions and their later status changes. Thread-safe."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._counter = 0
        categories = [c for c in CATEGORY_WEIGHTS if c in by_category()]
        self._categories = categories
        self._weights = [CATEGORY_WEIGHTS[c] for c in categories]

    def card_ids(self, count: int = 2) -> list[str]:
        with self._lock:
            return ["crd-" + "".join(self._rng.choices(string.ascii_lowercase + string.digits, k=10))
                    for _ in range(count)]

    def batch(self, cards_by_account: Mapping[str, Sequence[str]], count: int, start: datetime,
              end: datetime, now: datetime | None = None) -> list[dict[str, Any]]:
        """`count` transactions spread uniformly over [start, end] across the accounts; the
        status follows the age at `now` (recent: pending; older: settled, a few reversed)."""
        now = now or datetime.now(UTC)
        accounts = sorted(cards_by_account)
        span = max((end - start).total_seconds(), 0.0)
        with self._lock:
            out = []
            for _ in range(count):
                account = self._rng.choice(accounts)
                card = self._rng.choice(list(cards_by_account[account]))
                when = start + timedelta(seconds=self._rng.uniform(0, span))
                out.append(self._transaction(account, card, when, now))
            return out

    def settled(self, transaction: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
        """The same transaction, now settled (a new wire version with the same id)."""
        updated = dict(transaction)
        updated["status"] = "settled"
        updated["settled_at"] = _iso(at or datetime.now(UTC), UTC)
        return updated

    def _transaction(self, account: str, card: str, when: datetime, now: datetime) -> dict[str, Any]:
        rng = self._rng
        merchant = self._merchant()
        country = self._country(merchant)
        city = None if merchant.online else rng.choice(COUNTRIES[country].cities)
        currency = self._currency(merchant, country)
        descriptor = merchant.render_descriptor(rng, country, city[1] if city else None)
        self._counter += 1
        tx: dict[str, Any] = {
            "transaction_id": f"tx_{self._counter:08d}_{rng.getrandbits(32):08x}",
            "account_number": account,
            "card_id": card,
            "amount": self._amount(merchant, currency),
            "currency": currency,
            "authorized_at": _iso(when, ZONES[country]),
            "merchant": self._merchant_json(merchant, descriptor, country, city),
            "description": descriptor,
        }
        tx.update(self._status(when, now))
        return tx

    def _merchant(self) -> Merchant:
        category = self._rng.choices(self._categories, self._weights)[0]
        return self._rng.choice(by_category()[category])

    def _country(self, merchant: Merchant) -> str:
        if HOME_COUNTRY in merchant.countries and (merchant.online or self._rng.random() < HOME_SHARE):
            return HOME_COUNTRY
        return self._rng.choice(merchant.countries)

    @staticmethod
    def _currency(merchant: Merchant, country: str) -> str:
        # Online merchants bill a German customer in EUR when they sell in the euro area at all.
        euro_area = any(COUNTRIES[c].currency == "EUR" for c in merchant.countries)
        return "EUR" if merchant.online and euro_area else COUNTRIES[country].currency

    def _amount(self, merchant: Merchant, currency: str) -> str:
        units = MINOR_UNITS[currency]
        value = Decimal(str(merchant.amount(self._rng, currency))).quantize(
            Decimal(1).scaleb(-units), rounding=ROUND_HALF_UP)
        value = max(value, Decimal(1).scaleb(-units))
        incoming = merchant.direction == "in" or (
            merchant.direction == "mixed" and self._rng.random() < REFUND_SHARE)
        return f"{value}" if incoming else f"-{value}"

    def _merchant_json(self, merchant: Merchant, descriptor: str, country: str,
                       city: tuple[str, str] | None) -> dict[str, Any]:
        # Banks pass on what the card network gives: sometimes a clean name, often the
        # 22-character name field of the descriptor ("TESCO STORES 2231 LON").
        style = self._rng.random()
        name = merchant.name if style < 0.35 else merchant.name.upper() if style < 0.5 else descriptor[:22]
        mcc = None if self._rng.random() < MISSING_MCC_SHARE else merchant.mcc
        body: dict[str, Any] = {"name": name.strip()[:128], "mcc": mcc, "country": country}
        if city is not None:
            body["city"] = city[0]
        return body

    def _status(self, when: datetime, now: datetime) -> dict[str, Any]:
        age = now - when
        roll = self._rng.random()
        if age < timedelta(days=1) or (age < timedelta(days=3) and roll < 0.5) or roll < 0.01:
            return {"status": "pending"}
        if roll < 0.03:
            return {"status": "reversed"}
        settled_at = min(when + timedelta(hours=self._rng.uniform(20, 72)), now)
        return {"status": "settled", "settled_at": _iso(settled_at, UTC)}


def _iso(moment: datetime, zone: Any) -> str:
    text = moment.astimezone(zone).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if zone is UTC else text
