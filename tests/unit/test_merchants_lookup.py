"""The lookup API's category vocabulary maps onto Tally's slugs (no I/O)."""

from __future__ import annotations

from service.classification.categories import CATEGORY_SLUGS
from service.merchants.lookup import API_CATEGORIES, tally_category
from simulators.catalog import merchants

UNMAPPED = {"gambling"}  # deliberately without a Tally category: the lower layers decide


def test_every_mapped_api_category_lands_on_a_tally_slug() -> None:
    assert set(API_CATEGORIES.values()) <= CATEGORY_SLUGS
    assert set(API_CATEGORIES.values()) == CATEGORY_SLUGS  # every category is reachable


def test_the_simulated_api_answers_map_to_each_merchants_true_category() -> None:
    wrong = [(m.name, m.api_category, tally_category(m.api_category), m.category)
             for m in merchants() if m.known_to_api and m.api_category not in UNMAPPED
             and tally_category(m.api_category) != m.category]
    assert wrong == []


def test_unknown_or_missing_api_categories_have_no_tally_category() -> None:
    assert all(tally_category(c) is None for c in (*UNMAPPED, "spaceship_dealer", "", None))
    assert {m.api_category for m in merchants()} & UNMAPPED  # the simulator does exercise the case
    assert all(m.category in CATEGORY_SLUGS for m in merchants())
