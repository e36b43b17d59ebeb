"""The `description` layer: a category from the words of a card descriptor or merchant name.

Keywords live in service/classification/data/descriptor_keywords.csv; its header explains the
kinds and how they rank. In short: all keyword matches are found on whole words; a match lying
inside a longer one is dropped ("gas" inside "british gas"); then money words (fees > cash >
income > transfers) beat place words ("pharmacy", "petrol"), which beat brands, which beat weak
words ("market"), which beat a place word found only inside a longer word ("STADTAPOTHEKE");
the longest match breaks ties, then the leftmost.

Payment processors prefix the merchant's name with their own ("SQ *BLUE BOTTLE"): their tokens
are not keywords, so they never decide; a few (Toast, Shopify, DoorDash) only serve platforms of
one kind and give a hint used when no keyword matched. Platforms that *are* the merchant (UBER,
LYFT, AMZN, APPLE.COM/BILL) are not stripped: their names are brand keywords, so "UBER *EATS"
can still be told from "UBER *TRIP".
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

from service.classification.categories import is_category

KEYWORDS_PACKAGE = "service.classification"
KEYWORDS_PATH = ("data", "descriptor_keywords.csv")

KINDS = ("money", "place", "brand", "word")  # highest precedence first
# A word that starts or ends with a place keyword ("STADTAPOTHEKE", "BURGERMEISTER") counts
# below every whole-word match, so brands that merely contain one ("WATERSTONES") still win.
COMPOUND_MIN_LENGTH = 6  # shorter place words ("court", "water", "fines") hide in too many names
MONEY_ORDER = ("fees", "cash", "income", "transfers")  # "ATM FEE" is a fee, not cash
SIGNS = ("", "in", "out")
PLURAL_SUFFIXES = ("s", "es", "en")  # English and Dutch/German plurals: "supermarkten"

# Letters NFKD does not decompose into ASCII; the rest of Latin script does.
_TRANSLITERATION = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "þ": "th"})
_APOSTROPHES = re.compile(r"['’`´]")
_NON_WORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Processor:
    """A payment processor's prefix and the category its merchants nearly always have."""

    pattern: re.Pattern[str]
    hint: str | None


PROCESSORS: tuple[Processor, ...] = (
    Processor(re.compile(r"^\s*SQ\s*\*\s*", re.I), None),  # Square
    Processor(re.compile(r"^\s*TST\s*\*\s*", re.I), "dining_out"),  # Toast: restaurants only
    Processor(re.compile(r"^\s*(?:PAYPAL|PP)\s*\*\s*", re.I), None),
    Processor(re.compile(r"^\s*SP\s*\*\s*", re.I), "shopping"),  # Shopify Payments: web shops
    Processor(re.compile(r"^\s*(?:WL|IZ|SUMUP|ZETTLE_?)\s*\*\s*", re.I), None),
    Processor(re.compile(r"^\s*(?:GOOGLE|APL)\s*\*\s*", re.I), None),  # app-store billing
    Processor(re.compile(r"^\s*(?:DD|DOORDASH)\s*\*\s*", re.I), "dining_out"),
)


@dataclass(frozen=True)
class Keyword:
    """One row of the keyword file; `words` are normalised."""

    words: tuple[str, ...]
    category: str
    kind: str
    sign: str

    @property
    def weight(self) -> int:
        """Characters matched: the longer keyword is the more specific one."""
        return sum(len(word) for word in self.words)


@dataclass(frozen=True)
class KeywordMatch:
    keyword: Keyword
    start: int  # word positions in the normalised text, end exclusive
    end: int
    compound: bool = False  # the keyword is only part of the word

    def inside(self, other: KeywordMatch) -> bool:
        """True when this match lies within `other` and `other` is longer."""
        return (other.start <= self.start and self.end <= other.end
                and other.end - other.start > self.end - self.start)


def normalize(text: str) -> str:
    """Case-folded words of `text` separated by single spaces: accents dropped, "&" → "and",
    "+" → "plus" ("DISNEY+"), apostrophes removed ("McDonald's" → "mcdonalds"), anything else
    that is not a letter or digit → space."""
    folded = unicodedata.normalize("NFKD", text.casefold().translate(_TRANSLITERATION))
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    plain = _APOSTROPHES.sub("", plain.replace("&", " and ").replace("+", " plus "))
    return " ".join(_NON_WORD.sub(" ", plain).split())


def split_processor(text: str) -> tuple[str, str | None]:
    """`text` without leading payment-processor prefixes (several may be stacked, as in
    "DD *DOORDASH*…"), and the first prefix's category hint, if any."""
    hint: str | None = None
    for _ in range(len(PROCESSORS)):
        prefix = next((p for p in PROCESSORS if p.pattern.match(text)), None)
        if prefix is None:
            break
        text = prefix.pattern.sub("", text, count=1)
        hint = hint or prefix.hint
    return text, hint


def strip_processor_prefix(text: str) -> str:
    """`text` without leading payment-processor prefixes ("SQ *BLUE BOTTLE" → "BLUE BOTTLE")."""
    return split_processor(text)[0]


def classify_description(text: str, amount: Decimal | None = None) -> str | None:
    """The category the words of `text` point to, or None when they say nothing.

    `amount` is signed (negative = money out). Income words ("salary", "payroll", "dividend")
    count only for money in, "interest" is income when positive and a fee otherwise; a refund
    keeps its merchant's category because "refund" is deliberately not a keyword.
    """
    best = best_match(normalize(text).split(), amount)
    if best is not None:
        return best.keyword.category
    return split_processor(text)[1]


def best_match(words: list[str], amount: Decimal | None) -> KeywordMatch | None:
    """The deciding keyword match among `words` (see the module docstring), or None."""
    matches = list(find_matches(words, amount))
    kept = [m for m in matches if not any(m.inside(other) for other in matches)]
    if not kept:
        return None
    return min(kept, key=_precedence)


def _precedence(match: KeywordMatch) -> tuple[int, int, int, int]:
    keyword = match.keyword
    tier = len(KINDS) if match.compound else KINDS.index(keyword.kind)
    money_rank = MONEY_ORDER.index(keyword.category) if keyword.kind == "money" else 0
    return tier, money_rank, -keyword.weight, match.start


def find_matches(words: list[str], amount: Decimal | None) -> Iterable[KeywordMatch]:
    """Every keyword occurring in `words` whose sign condition `amount` satisfies."""
    index = keyword_index()
    compounds = compound_patterns()
    for start, word in enumerate(words):
        for keyword in _candidates(index, word):
            end = start + len(keyword.words)
            if _words_match(keyword.words, words[start:end]) and _sign_allows(keyword.sign, amount):
                yield KeywordMatch(keyword, start, end)
        for pattern in compounds:
            found = pattern.search(word)
            if found and found.group() != word:
                yield KeywordMatch(compounds[pattern][found.group()], start, start + 1, compound=True)


def _candidates(index: dict[str, list[Keyword]], word: str) -> list[Keyword]:
    found = list(index.get(word, ()))
    for suffix in PLURAL_SUFFIXES:
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            found += [k for k in index.get(word[: -len(suffix)], ()) if len(k.words) == 1]
    return found


def _words_match(keyword_words: tuple[str, ...], text_words: list[str]) -> bool:
    if len(text_words) != len(keyword_words):
        return False
    *head, last = keyword_words
    if text_words[:-1] != head:
        return False
    word = text_words[-1]
    return word == last or any(word == last + suffix for suffix in PLURAL_SUFFIXES)


def _sign_allows(sign: str, amount: Decimal | None) -> bool:
    if not sign or amount is None:
        return True
    return amount > 0 if sign == "in" else amount < 0


@functools.cache
def keyword_index() -> dict[str, list[Keyword]]:
    """Keywords by first word, read once from package data. A multi-word keyword is also
    indexed with its words joined ("home depot" → "homedepot"). Raises ValueError naming the
    line for an unknown category, kind or sign, or a repeated keyword."""
    text = resources.files(KEYWORDS_PACKAGE).joinpath(*KEYWORDS_PATH).read_text(encoding="utf-8")
    index: dict[str, list[Keyword]] = {}
    seen: set[tuple[str, str]] = set()
    for line, row in _data_rows(text):
        keyword = _parse_keyword(row, line)
        if (" ".join(keyword.words), keyword.sign) in seen:
            raise ValueError(f"{'/'.join(KEYWORDS_PATH)}:{line}: repeated keyword {row['keyword']!r}")
        seen.add((" ".join(keyword.words), keyword.sign))
        variants = [keyword]
        if len(keyword.words) > 1:
            variants.append(Keyword(("".join(keyword.words),), keyword.category, keyword.kind, keyword.sign))
        for variant in variants:
            index.setdefault(variant.words[0], []).append(variant)
    return index


@functools.cache
def compound_patterns() -> dict[re.Pattern[str], dict[str, Keyword]]:
    """Regexes finding a single-word place keyword at the start or the end of a word, each
    with its keywords by text; longest first, so "pharmacie" is preferred to "pharma"."""
    places = {k.words[0]: k for keys in keyword_index().values() for k in keys
              if k.kind == "place" and len(k.words) == 1 and len(k.words[0]) >= COMPOUND_MIN_LENGTH}
    alternatives = "|".join(re.escape(text) for text in sorted(places, key=len, reverse=True))
    return {re.compile(f"^(?:{alternatives})"): places, re.compile(f"(?:{alternatives})$"): places}


def _data_rows(text: str) -> Iterable[tuple[int, dict[str, str]]]:
    """(line number, row) for each non-comment line; comments start with "#"."""
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), start=1)
                if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(line for _, line in numbered)))
    for (number, _), row in zip(numbered[1:], reader, strict=True):
        yield number, row


def _parse_keyword(row: dict[str, str], line: int) -> Keyword:
    where = f"{'/'.join(KEYWORDS_PATH)}:{line}"
    words = tuple(normalize(row["keyword"] or "").split())
    if not words:
        raise ValueError(f"{where}: empty keyword")
    if not is_category(row["category"]):
        raise ValueError(f"{where}: unknown category {row['category']!r}")
    if row["kind"] not in KINDS:
        raise ValueError(f"{where}: unknown kind {row['kind']!r}")
    sign = row.get("sign") or ""
    if sign not in SIGNS:
        raise ValueError(f"{where}: unknown sign {sign!r}")
    return Keyword(words, row["category"], row["kind"], sign)
