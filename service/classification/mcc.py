"""The `mcc` layer: ISO 18245 merchant category code → Tally category.

The table is service/data/mcc_categories.csv (mcc,category,description): every one of the 981
codes of shared/data/mcc_codes.csv, reviewed by hand. The decisions a reader might question
are listed in service/classification/data/README.md.

Some codes describe the *kind of acquirer contract* more than what the cardholder bought; for
those (WEAK_MCCS) the classifier lets a clear descriptor win and uses the code only as a
fallback (see classifier.classify).
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
    "5964", "5965", "5968", "5969",  # direct marketing: any kind of goods, by mail or subscription
    "5999",  # miscellaneous retail: marketplaces and payment facilitators default to it
    "6012",  # financial institutions: top-ups, loan payments and bank fees alike
    "7299", "7399", "8999",  # "not elsewhere classified" personal, business, professional
    "7372",  # data processing: SaaS platforms and payment facilitators
    "7512",  # car rental (travel) is also the code of car sharing (SHARE NOW, Zipcar: transport)
    "7997",  # membership clubs: gyms (health) as well as golf and country clubs
    "8699",  # membership organisations: unions, professional bodies, clubs
})


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
