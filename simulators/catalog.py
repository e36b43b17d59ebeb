"""A realistic merchant catalog shared by both simulators.

The bank simulator draws its card transactions from it; the merchant-lookup simulator answers
from it (all merchants except those flagged `unknown`). Each merchant carries its true Tally
category too, so generated transactions can double as labelled evaluation data.
"""

from __future__ import annotations

import hashlib
import math
import random
import string
from dataclasses import dataclass
from functools import cache, cached_property

from simulators.catalog_data import TABLE


@dataclass(frozen=True)
class Country:
    code: str
    currency: str
    time_zone: str
    cities: tuple[tuple[str, str], ...]  # (display name, as a card descriptor writes it)


COUNTRIES: dict[str, Country] = {c.code: c for c in (
    Country("DE", "EUR", "Europe/Berlin", (("Berlin", "BERLIN"), ("Hamburg", "HAMBURG"),
            ("Munich", "MUENCHEN"), ("Cologne", "KOELN"), ("Frankfurt", "FRANKFURT"))),
    Country("AT", "EUR", "Europe/Vienna", (("Vienna", "WIEN"), ("Graz", "GRAZ"), ("Salzburg", "SALZBURG"))),
    Country("FR", "EUR", "Europe/Paris", (("Paris", "PARIS"), ("Lyon", "LYON"), ("Marseille", "MARSEILLE"))),
    Country("ES", "EUR", "Europe/Madrid", (("Madrid", "MADRID"), ("Barcelona", "BARCELONA"),
            ("Valencia", "VALENCIA"))),
    Country("IT", "EUR", "Europe/Rome", (("Rome", "ROMA"), ("Milan", "MILANO"), ("Florence", "FIRENZE"))),
    Country("NL", "EUR", "Europe/Amsterdam", (("Amsterdam", "AMSTERDAM"), ("Rotterdam", "ROTTERDAM"),
            ("Utrecht", "UTRECHT"))),
    Country("IE", "EUR", "Europe/Dublin", (("Dublin", "DUBLIN"), ("Cork", "CORK"))),
    Country("SE", "EUR", "Europe/Stockholm", (("Stockholm", "STOCKHOLM"),)),  # online billing only: EUR
    Country("GB", "GBP", "Europe/London", (("London", "LONDON"), ("Manchester", "MANCHESTER"),
            ("Edinburgh", "EDINBURGH"))),
    Country("US", "USD", "America/New_York", (("New York", "NEW YORK"), ("San Francisco", "SAN FRANCISCO"),
            ("Chicago", "CHICAGO"))),
    Country("JP", "JPY", "Asia/Tokyo", (("Tokyo", "TOKYO"), ("Osaka", "OSAKA"))),
)}

# Rough EUR → currency factors, so a London coffee costs pounds and a Tokyo one yen.
EXCHANGE = {"EUR": 1.0, "GBP": 0.85, "USD": 1.08, "JPY": 160.0}
MINOR_UNITS = {"EUR": 2, "GBP": 2, "USD": 2, "JPY": 0}

# Typical spend per API category, in EUR (low, high); amounts are log-uniform in between.
AMOUNTS: dict[str, tuple[float, float]] = {
    "supermarket": (8, 120), "grocery_store": (10, 90), "convenience_store": (2, 25), "bakery": (2, 15),
    "butcher": (8, 45), "coffee_shop": (2.5, 9), "fast_food": (5, 25), "restaurant": (15, 110),
    "bar": (6, 60), "food_delivery": (15, 55), "streaming_service": (5.99, 17.99),
    "music_streaming": (9.99, 16.99), "video_games": (5, 70), "cinema": (9, 30), "event_tickets": (25, 180),
    "amusement_park": (40, 180), "museum": (8, 25), "gambling": (5, 50), "rideshare": (8, 45),
    "taxi": (10, 50), "public_transit": (2.9, 60), "railway": (15, 150), "bus_line": (9, 60),
    "micromobility": (1.5, 8), "car_sharing": (8, 40), "parking": (2, 25), "auto_service": (40, 400),
    "gas_station": (25, 95), "ev_charging": (8, 45), "online_marketplace": (8, 150),
    "clothing_store": (15, 150), "department_store": (10, 120), "electronics_store": (20, 900),
    "furniture_store": (15, 400), "sporting_goods": (10, 150), "bookstore": (8, 45), "pet_store": (10, 60),
    "cosmetics_store": (10, 80), "florist": (15, 50), "airline": (45, 650), "travel_agency": (80, 900),
    "vacation_rental": (90, 900), "hotel": (70, 450), "car_rental": (60, 500), "telecom": (15, 60),
    "internet_provider": (25, 70), "electric_utility": (40, 180), "gas_utility": (30, 150),
    "water_utility": (20, 70), "rent": (650, 1800), "property_management": (650, 1800),
    "home_improvement": (10, 250), "home_repair": (40, 200), "pharmacy": (4, 60), "medical": (20, 200),
    "dentist": (50, 400), "optician": (30, 350), "fitness": (19.99, 49.99), "drugstore": (3, 40),
    "hair_salon": (20, 90), "beauty_salon": (25, 90), "spa": (50, 150), "online_course": (10, 80),
    "language_school": (80, 400), "education": (30, 200), "university": (150, 400),
    "postal_service": (1, 20), "courier": (5, 30), "insurance": (20, 150),
    "software_subscription": (2.99, 69.99), "laundry": (5, 30), "veterinary": (40, 250),
    "legal_services": (20, 150), "tax_preparation": (50, 250), "bank_fee": (1, 15), "government": (20, 400),
    "atm": (20, 300), "money_transfer": (20, 500), "p2p_payment": (5, 150), "crypto_exchange": (25, 500),
    "investment": (25, 500), "payroll": (1800, 4500), "government_benefit": (300, 1200),
    "pension": (800, 2000), "charity": (5, 100), "religious_organization": (5, 50),
}
DEFAULT_AMOUNT = (5.0, 60.0)

_REF_ALPHABET = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Merchant:
    name: str
    category: str  # Tally's category: the truth, for evaluations
    api_category: str  # the merchant-lookup API's vocabulary
    mcc: str | None
    descriptor: str  # template, see catalog_data
    countries: tuple[str, ...]
    website: str | None
    online: bool
    known_to_api: bool
    direction: str  # "out", "in" or "mixed"

    @property
    def merchant_id(self) -> str:
        """The lookup API's stable id for this merchant."""
        return "mer_" + hashlib.sha1(self.name.encode(), usedforsecurity=False).hexdigest()[:12]

    @cached_property
    def placeholders(self) -> frozenset[str]:
        return frozenset(name for _, name, _, _ in string.Formatter().parse(self.descriptor) if name)

    def render_descriptor(self, rng: random.Random, country: str, city: str | None) -> str:
        """The raw card descriptor of one purchase, e.g. 'LIDL 1234 BERLIN'."""
        if not self.placeholders:
            return self.descriptor
        values = {"CITY": city or "ONLINE", "cc": country}
        if "store" in self.placeholders:
            values["store"] = str(rng.randint(1, 9999)).zfill(3 + rng.getrandbits(1))
        if "n" in self.placeholders:
            values["n"] = str(rng.randint(1, 999))
        if "ref" in self.placeholders:
            values["ref"] = _reference(rng)
        return self.descriptor.format(**values)[:256]

    def amount(self, rng: random.Random, currency: str) -> float:
        """A positive amount in `currency`, typical for this kind of merchant."""
        low, high = AMOUNTS.get(self.api_category, DEFAULT_AMOUNT)
        value = math.exp(rng.uniform(math.log(low), math.log(high)))
        if self.api_category == "atm":
            value = max(20, round(value / 20) * 20)
        return value * EXCHANGE[currency]


def _reference(rng: random.Random) -> str:
    """A processor reference such as '2K4LL0Q': 6 to 9 letters and digits, at least two digits."""
    bits = rng.getrandbits(64)
    chars = []
    for _ in range(6 + bits % 4):
        bits, digit = divmod(bits, 36)
        chars.append(_REF_ALPHABET[digit])
    chars[1] = str(bits % 10)
    chars[3] = str(bits // 10 % 10)
    return "".join(chars)


def _parse(table: str) -> tuple[Merchant, ...]:
    merchants: list[Merchant] = []
    category = ""
    for line in table.strip().splitlines():
        if line.startswith("## "):
            category = line[3:].strip()
            continue
        name, api_category, mcc, descriptor, countries, website, flags = (
            part.strip() for part in line.split("|"))
        flag_set = set(flags.split())
        merchants.append(Merchant(
            name=name, category=category, api_category=api_category,
            mcc=None if mcc == "-" else mcc, descriptor=descriptor,
            countries=tuple(countries.split()), website=None if website == "-" else website,
            online="online" in flag_set, known_to_api="unknown" not in flag_set,
            direction="in" if "in" in flag_set else "mixed" if "mixed" in flag_set else "out"))
    return tuple(merchants)


@cache
def merchants() -> tuple[Merchant, ...]:
    """Every merchant of the catalog, in table order."""
    return _parse(TABLE)


@cache
def by_category() -> dict[str, tuple[Merchant, ...]]:
    grouped: dict[str, list[Merchant]] = {}
    for merchant in merchants():
        grouped.setdefault(merchant.category, []).append(merchant)
    return {category: tuple(group) for category, group in grouped.items()}


def city_words() -> set[str]:
    """Every city as descriptors write it, for the lookup API's name normalisation."""
    words = {descriptor for country in COUNTRIES.values() for _, descriptor in country.cities}
    return words | {display.upper() for country in COUNTRIES.values() for display, _ in country.cities}
