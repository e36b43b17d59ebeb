"""`classify()`: one transaction's category from the layers of docs/design.md, "Categories", first match wins."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from service.classification.categories import (
    DESCRIPTION,
    FALLBACK,
    FALLBACK_CATEGORY,
    MCC,
    MERCHANT_API,
    SOURCE_CONFIDENCE,
    USER_RULE,
    is_category,
)
from service.classification.descriptors import MONEY_KINDS, Reading, read_description
from service.classification.mcc import category_for_mcc, is_catch_all_mcc, is_financial_mcc, is_weak_mcc


@dataclass(frozen=True)
class Classification:
    """A category, the layer that decided it and that layer's fixed confidence."""

    category: str
    source: str
    confidence: float


def classify(
    *,
    mcc: str | None,
    merchant_name: str,
    description: str | None = None,
    amount: Decimal | None = None,
    user_rule: str | None = None,
    merchant_api: str | None = None,
    use_mcc: bool = True,
) -> Classification:
    """The category of a transaction, first match wins:

    1. `user_rule` — the category of the user's rule for this merchant, if any;
    2. `merchant_api` — the category the merchant-lookup API answered, if any;
    3. `mcc` — Tally's table, unless the code is *weak* (mcc.WEAK_MCCS: department stores,
       miscellaneous retail, financial institutions, "not elsewhere classified" …); a code of a
       bank or money business (mcc.FINANCIAL_MCCS) yields to money words in the descriptor;
    4. `description` — keywords of `description`, then of `merchant_name`; but a mixed
       retailer's name ("WALMART") defers to a weak `mcc`, which tells its counters apart;
    5. a weak `mcc`'s category — used only when the words said nothing, and not at all when it
       is a catch-all code (mcc.CATCH_ALL_MCCS) behind a payment processor's prefix;
    6. `fallback` — "other".

    So "TARGET CAFE" on 5311 is dining out, "TARGET" on 5311 is shopping, "ATM FEE" on 6011 a
    fee and "SQ *JAMES K" on 5999 other. The recorded source is always the layer that decided.
    `user_rule` and `merchant_api` are category slugs; an unknown slug counts as no answer, so
    one bad upstream value cannot stop a batch. `use_mcc=False` ignores the MCC entirely (the
    evaluation's descriptor-only mode). The per-transaction `user` override is merged at read
    time, not here. Pure: no I/O beyond the package's data tables.
    """
    for source, category in ((USER_RULE, user_rule), (MERCHANT_API, merchant_api)):
        if category is not None and is_category(category):
            return _result(category, source)
    mcc_category = category_for_mcc(mcc) if use_mcc else None
    if mcc_category is not None and not is_weak_mcc(mcc) and not is_financial_mcc(mcc):
        return _result(mcc_category, MCC)  # the hot path: no words read
    return _result(*_words_then_code(mcc, mcc_category, _readings(description, merchant_name, amount)))


def _words_then_code(mcc: str | None, mcc_category: str | None, readings: list[Reading]) -> tuple[str, str]:
    """Steps 3 to 6 for a code that is weak, financial or absent: (category, source)."""
    if mcc_category is not None and not is_weak_mcc(mcc):  # a trusted financial code
        money = next((r.category for r in readings if r.kind in MONEY_KINDS and r.category), None)
        return (money, DESCRIPTION) if money else (mcc_category, MCC)
    for reading in readings:
        if reading.category is not None:
            if reading.kind == "mixed" and mcc_category is not None:
                return mcc_category, MCC
            return reading.category, DESCRIPTION
    facilitated = any(reading.processor for reading in readings)
    if mcc_category is not None and not (facilitated and is_catch_all_mcc(mcc)):
        return mcc_category, MCC
    return FALLBACK_CATEGORY, FALLBACK


def _readings(description: str | None, merchant_name: str, amount: Decimal | None) -> list[Reading]:
    return [read_description(text, amount) for text in (description, merchant_name) if text]


def _result(category: str, source: str) -> Classification:
    return Classification(category, source, SOURCE_CONFIDENCE[source])
