"""Tally's budget categories and the layers that may assign one (docs/design.md, "Categories").

The slugs are a public contract: they are stored with every transaction, sent to the apps and
used in user rules. Renaming one needs a data migration, so the tuple below is append-only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    """A budget category: its stable `slug`, the `name` the apps show, and a `short` label
    for narrow tables (the evaluation's confusion matrix)."""

    slug: str
    name: str
    short: str


CATEGORIES: tuple[Category, ...] = (
    Category("groceries", "Groceries", "groc"),
    Category("dining_out", "Dining out", "dine"),
    Category("entertainment", "Entertainment", "ent"),
    Category("transport", "Transport", "trnsp"),
    Category("fuel", "Fuel", "fuel"),
    Category("shopping", "Shopping", "shop"),
    Category("travel", "Travel", "trav"),
    Category("utilities", "Utilities", "util"),
    Category("housing", "Housing", "home"),
    Category("health", "Health", "hlth"),
    Category("personal_care", "Personal care", "care"),
    Category("education", "Education", "edu"),
    Category("services", "Services", "svc"),
    Category("fees", "Fees", "fees"),
    Category("cash", "Cash", "cash"),
    Category("transfers", "Transfers", "xfer"),
    Category("income", "Income", "inc"),
    Category("other", "Other", "other"),
)

CATEGORY_BY_SLUG: dict[str, Category] = {category.slug: category for category in CATEGORIES}
CATEGORY_SLUGS: frozenset[str] = frozenset(CATEGORY_BY_SLUG)
FALLBACK_CATEGORY = "other"


def is_category(slug: str | None) -> bool:
    """True when `slug` is one of Tally's category slugs (exact, case-sensitive)."""
    return slug in CATEGORY_SLUGS


@dataclass(frozen=True)
class Source:
    """A layer that can decide a category. `rank` orders layers (higher wins) and is what
    consumers fold into Cassandra write timestamps, so a lower layer never overwrites a higher
    one; `confidence` is the fixed value recorded with every result of this layer."""

    name: str
    rank: int
    confidence: float


USER = "user"
USER_RULE = "user_rule"
MERCHANT_API = "merchant_api"
MCC = "mcc"
DESCRIPTION = "description"
FALLBACK = "fallback"

# Highest precedence first. Confidences are product choices, not measured probabilities: a
# user's own choice is certain; an MCC is set by the acquirer for the merchant as a whole
# (a supermarket's café shares its MCC); keywords guess from a truncated descriptor.
SOURCES: tuple[Source, ...] = (
    Source(USER, 6, 1.0),
    Source(USER_RULE, 5, 0.95),
    Source(MERCHANT_API, 4, 0.9),
    Source(MCC, 3, 0.8),
    Source(DESCRIPTION, 2, 0.6),
    Source(FALLBACK, 1, 0.1),
)

SOURCE_BY_NAME: dict[str, Source] = {source.name: source for source in SOURCES}
SOURCE_RANK: dict[str, int] = {source.name: source.rank for source in SOURCES}
SOURCE_CONFIDENCE: dict[str, float] = {source.name: source.confidence for source in SOURCES}
