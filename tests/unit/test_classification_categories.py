"""The taxonomy and the classification sources are contracts shared with storage and the apps."""

from service.classification import categories
from service.classification.categories import (
    CATEGORIES,
    CATEGORY_SLUGS,
    SOURCE_CONFIDENCE,
    SOURCE_RANK,
    SOURCES,
    is_category,
)

EXPECTED_SLUGS = [
    "groceries", "dining_out", "entertainment", "transport", "fuel", "shopping", "travel",
    "utilities", "housing", "health", "personal_care", "education", "services", "fees", "cash",
    "transfers", "income", "other",
]


def test_the_taxonomy_is_exactly_the_designed_slugs_in_order():
    assert [category.slug for category in CATEGORIES] == EXPECTED_SLUGS
    assert frozenset(EXPECTED_SLUGS) == CATEGORY_SLUGS


def test_display_names_and_short_labels_are_present_and_unique():
    names = [category.name for category in CATEGORIES]
    shorts = [category.short for category in CATEGORIES]
    assert all(names) and len(set(names)) == len(names)
    assert all(0 < len(short) <= 5 for short in shorts) and len(set(shorts)) == len(shorts)
    assert categories.CATEGORY_BY_SLUG["dining_out"].name == "Dining out"


def test_source_ranks_are_the_ones_used_for_write_timestamps():
    assert SOURCE_RANK == {
        "fallback": 1, "description": 2, "mcc": 3, "merchant_api": 4, "user_rule": 5, "user": 6,
    }
    assert [source.name for source in SOURCES] == [
        "user", "user_rule", "merchant_api", "mcc", "description", "fallback",
    ]


def test_confidence_falls_with_precedence_and_stays_within_zero_and_one():
    confidences = [SOURCE_CONFIDENCE[source.name] for source in SOURCES]
    assert confidences == sorted(confidences, reverse=True)
    assert len(set(confidences)) == len(confidences)
    assert all(0 < value <= 1 for value in confidences)
    assert SOURCE_CONFIDENCE["user"] == 1.0


def test_is_category_is_exact():
    assert is_category("groceries")
    assert not is_category("Groceries")
    assert not is_category("")
    assert not is_category(None)
