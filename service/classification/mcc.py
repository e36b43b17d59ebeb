"""The `mcc` layer: ISO 18245 merchant category code → Tally category.

The table is service/data/mcc_categories.csv (mcc,category,description): every one of the 981
codes of the ISO 18245 list (a copy: tests/data/mcc_codes.csv), reviewed by hand. The decisions a reader might question
are listed in service/classification/data/README.md.

Some codes describe the *kind of acquirer contract* more than what the cardholder bought; for
those (WEAK_MCCS) the classifier lets a clear descriptor win and uses the code only as a
fallback (see classifier.classify). Two narrower sets refine that: a FINANCIAL_MCCS code says
only "a bank or money business", so money words in the descriptor ("ATM FEE") still decide;
a CATCH_ALL_MCCS code behind a payment processor's prefix is the processor's default, not the
merchant's, so it says nothing at all.
"""

from __future__ import annotations

import csv
import functools
import io
from importlib import resources

from service.classification.categories import is_category

TABLE_PACKAGE = "service"
TABLE_PATH = ("data", "mcc_categories.csv")

WEAK_MCCS: frozenset[str] = frozenset({
    "4829",  # money orders / wire transfer: P2P apps also take card payments for merchants
    "4899",  # cable and pay TV: Netflix, Disney+ and HBO use it too — streaming is entertainment
    "5300", "5310", "5311", "5331", "5399",  # clubs, discount, department and variety stores
                                             # sell food, medicine and fuel under one code
    "5817", "5818",  # digital apps / large digital merchants: games, courses, cloud storage
    "5912",  # drug stores: pharmacies (health) and drugstores like dm or Rossmann (personal care)
    "5942",  # book stores: marketplaces default to it; campus bookstores and textbook rental
             # (Chegg) are education
    "5964", "5965", "5968", "5969",  # direct marketing: any kind of goods, by mail or subscription
    "5999",  # miscellaneous retail: marketplaces and payment facilitators default to it
    "6012",  # financial institutions: top-ups, loan payments and bank fees alike
    "7299", "7399", "8999",  # "not elsewhere classified" personal, business, professional
    "7372",  # data processing: SaaS platforms and payment facilitators
    "7512",  # car rental (travel) is also the code of car sharing (SHARE NOW, Zipcar: transport)
    "7997",  # membership clubs: gyms (health) as well as golf and country clubs
    "8699",  # membership organisations: unions, professional bodies, clubs
    "9311",  # tax payments: income and vehicle taxes are fees, taxes on the home are housing
})

# Codes of banks and money businesses (cash, transfers): the code says money moved, not why,
# so the descriptor's money words decide ("ATM FEE" on 6011 is a fee, "TRAVELEX" on 6051 cash).
FINANCIAL_MCCS: frozenset[str] = frozenset({"4829", "6010", "6011", "6012", "6051", "6211"})

# "Miscellaneous" and "not elsewhere classified" codes, which payment facilitators (Square,
# PayPal, SumUp, Worldline …) give merchants that chose none: behind a processor's prefix they
# describe the facilitator's contract, so "SQ *JAMES K" on 5999 is unknown, not shopping.
CATCH_ALL_MCCS: frozenset[str] = frozenset({"5399", "5969", "5999", "7299", "7399", "8999"})


def normalize_mcc(mcc: str | None) -> str | None:
    """The 4-digit form of an MCC ("742" → "0742", " 5411 " → "5411"), or None when `mcc` is
    None, blank or not 1–4 digits."""
    if mcc is None:
        return None
    code = mcc.strip()
    if not code.isascii() or not code.isdigit() or len(code) > 4:
        return None
    return code.zfill(4)


@functools.cache
def mcc_table() -> dict[str, str]:
    """MCC → category slug, read once from package data. Raises ValueError naming the line if
    the file holds an unknown category or a malformed or repeated code."""
    text = resources.files(TABLE_PACKAGE).joinpath(*TABLE_PATH).read_text(encoding="utf-8")
    table: dict[str, str] = {}
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        code = normalize_mcc(row["mcc"])
        if code is None or code != row["mcc"] or code in table:
            raise ValueError(f"{'/'.join(TABLE_PATH)}:{line}: bad or repeated mcc {row['mcc']!r}")
        if not is_category(row["category"]):
            raise ValueError(f"{'/'.join(TABLE_PATH)}:{line}: unknown category {row['category']!r}")
        table[code] = row["category"]
    return table


def category_for_mcc(mcc: str | None) -> str | None:
    """The category of an MCC, or None for None, "", malformed or unknown codes."""
    code = normalize_mcc(mcc)
    return None if code is None else mcc_table().get(code)


def is_weak_mcc(mcc: str | None) -> bool:
    """True when the code is too broad to trust over a descriptor that names what was bought."""
    return normalize_mcc(mcc) in WEAK_MCCS


def is_financial_mcc(mcc: str | None) -> bool:
    """True for codes of banks and money businesses, which money words may overrule."""
    return normalize_mcc(mcc) in FINANCIAL_MCCS


def is_catch_all_mcc(mcc: str | None) -> bool:
    """True for "miscellaneous" codes that say nothing when a payment processor assigned them."""
    return normalize_mcc(mcc) in CATCH_ALL_MCCS
