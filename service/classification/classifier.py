"""`classify()`: one transaction's category from the layers of DESIGN §5, first match wins."""

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
from service.classification.descriptors import classify_description
from service.classification.mcc import category_for_mcc, is_weak_mcc


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
       miscellaneous retail, financial institutions, "not elsewhere classified" …);
    4. `description` — keywords of `description`, then of `merchant_name`;
    5. a weak `mcc`'s category — used only when the words said nothing;
    6. `fallback` — "other".

    So "TARGET CAFE" on 5311 is dining out, "TARGET" on 5311 is shopping. The recorded source is
    always the layer that decided. `user_rule` and `merchant_api` are category slugs; an unknown
    slug counts as no answer, so one bad upstream value cannot stop a batch. `use_mcc=False`
    ignores the MCC entirely (the evaluation's descriptor-only mode). The per-transaction `user`
    override is merged at read time, not here. Pure: no I/O beyond the package's data tables.
    """
    for source, category in ((USER_RULE, user_rule), (MERCHANT_API, merchant_api)):
        if category is not None and is_category(category):
            return _result(category, source)
    mcc_category = category_for_mcc(mcc) if use_mcc else None
    if mcc_category is not None and not is_weak_mcc(mcc):
        return _result(mcc_category, MCC)
    for text in (description, merchant_name):
        words_category = classify_description(text, amount) if text else None
        if words_category is not None:
            return _result(words_category, DESCRIPTION)
    if mcc_category is not None:
        return _result(mcc_category, MCC)
    return _result(FALLBACK_CATEGORY, FALLBACK)


def _result(category: str, source: str) -> Classification:
    return Classification(category, source, SOURCE_CONFIDENCE[source])
