"""The `description` layer: a category from the words of a card descriptor or merchant name.

Keywords live in service/classification/data/descriptor_keywords.csv; its header explains the
kinds and how they rank. In short: all keyword matches are found on whole words; a match lying
inside a longer one is dropped ("gas" inside "british gas"); then money words (fees > cash >
income > transfers) beat place words ("pharmacy", "petrol"), which beat brands, which beat mixed
retailers ("walmart"), which beat weak words ("market"), which beat a place or money word found
only inside a longer word ("STADTAPOTHEKE", "KONTOFUEHRUNGSENTGELT"); the longest match breaks
ties, then the leftmost. A *generic* money word — a price ("fee", "Gebühr", "frais") or a way of
paying ("transfer", "SEPA", "Lastschrift", "card payment") — counts like any money word, unless
a place, brand or mixed retailer that is not a bank or money service names what the money was
for: then it ranks just below them ("PLANET FITNESS CLUB FEES" is health, "SEPA LASTSCHRIFT
VODAFONE" utilities, "ATM FEE" a fee, "UEBERWEISUNG AN MAX MUSTERMANN" a transfer).

Payment processors prefix the merchant's name with their own ("SQ *BLUE BOTTLE"): their tokens
are not keywords, so they never decide; a few (Toast, Shopify, DoorDash) only serve platforms of
one kind and give a hint used when no keyword matched. Platforms that *are* the merchant (UBER,
LYFT, AMZN, APPLE.COM/BILL) are not stripped: their names are brand keywords, so "UBER *EATS"
can still be told from "UBER *TRIP".

Two readings need more than words: a mixed retailer (`mixed`: supermarkets that are also
department stores) lets the classifier ask the MCC which counter it was; and an airline name
followed by a ticket number that starts with that airline's IATA code ("UNITED 0162345678") is
travel when no keyword matched (service/classification/tickets.py).
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
from service.classification.tickets import is_airline_ticket

KEYWORDS_PACKAGE = "service.classification"
KEYWORDS_PATH = ("data", "descriptor_keywords.csv")

KINDS = ("money", "generic", "place", "brand", "mixed", "word")
MONEY_KINDS = frozenset({"money", "generic"})
# Precedence tier of each kind, lowest first. `generic` ranks with money unless a NAMING_KINDS
# match names a merchant that is not a money service (MONEY_SERVICES), then at
# GENERIC_NAMED_TIER: the fee or payment was that merchant's.
KIND_TIER = {"money": 0, "generic": 0, "place": 1, "brand": 2, "mixed": 3, "word": 5}
GENERIC_NAMED_TIER = 4
COMPOUND_TIER = 6
NAMING_KINDS = frozenset({"place", "brand", "mixed"})
# Categories of banks and money services: naming one does not say what a fee or payment was for
# ("MONZO FEE" is a fee); naming an authority does ("DIRECT DEBIT HMRC" is a fee, not a transfer).
MONEY_SERVICES = frozenset({"cash", "income", "transfers"})
# A word that starts or ends with a place keyword ("STADTAPOTHEKE", "BURGERMEISTER"), or ends
# with a money keyword ("KONTOFUEHRUNGSENTGELT", "DISPOZINSEN", "MEDLEMSAVGIFT"), counts below
# every whole-word match, so brands that merely contain one ("WATERSTONES") still win. Money
# words only as endings: German and Nordic compounds end in their head noun, while English
# words merely start with one ("INTERESTING", "WITHDRAWN").
START_COMPOUND_KINDS = frozenset({"place"})
END_COMPOUND_KINDS = frozenset({"place", "money", "generic"})
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
# PROCESSORS are part of merchant_key()'s stored format: never edit them. Prefixes recognised
# only when classifying go here: gateways that front any kind of merchant, and Shopify's
# newer "SP NAME" form without the star.
CLASSIFYING_PROCESSORS: tuple[Processor, ...] = (
    *PROCESSORS,
    Processor(re.compile(r"^\s*(?:CHECKOUT\.COM|CKO|STRIPE|ADYEN|MOLLIE|PAYU|2CO\.COM)\s*\*\s*", re.I),
              None),
    Processor(re.compile(r"^\s*(?:KLARNA|AFTERPAY|AFTRPAY|CLEARPAY|AFFIRM)\s*\*\s*", re.I), None),  # BNPL
    Processor(re.compile(r"^\s*(?:FS|PADDLE\.NET|PADDLE)\s*\*\s*", re.I), "services"),  # software resellers
    Processor(re.compile(r"^\s*SP\s+(?=[A-Z0-9])", re.I), "shopping"),
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


def split_processor(text: str, processors: tuple[Processor, ...] = PROCESSORS) -> tuple[str, str | None, bool]:
    """`text` without leading payment-processor prefixes (several may be stacked, as in
    "DD *DOORDASH*…"), the first prefix's category hint if any, and whether any was found."""
    hint: str | None = None
    found = False
    for _ in range(len(processors)):
        prefix = next((p for p in processors if p.pattern.match(text)), None)
        if prefix is None:
            break
        text = prefix.pattern.sub("", text, count=1)
        hint = hint or prefix.hint
        found = True
    return text, hint, found


def strip_processor_prefix(text: str) -> str:
    """`text` without leading payment-processor prefixes ("SQ *BLUE BOTTLE" → "BLUE BOTTLE")."""
    return split_processor(text)[0]


@dataclass(frozen=True)
class Reading:
    """What the words of one descriptor say: a `category` or None; the `kind` of the keyword
    that decided ("hint" for a processor's hint, "ticket" for an airline ticket, None when
    nothing did); `processor`: the text starts with a payment processor's prefix."""

    category: str | None
    kind: str | None
    processor: bool


def read_description(text: str, amount: Decimal | None = None) -> Reading:
    """The category the words of `text` point to, and how they got there.

    `amount` is signed (negative = money out). Income words ("salary", "payroll", "dividend")
    count only for money in, "interest" is income when positive and a fee otherwise; a refund
    keeps its merchant's category because "refund" is deliberately not a keyword. When no
    keyword matched: the processor's hint, else an airline ticket number, else nothing.
    """
    words = normalize(text).split()
    rest, hint, processor = split_processor(text, CLASSIFYING_PROCESSORS)
    best = best_match(words, amount)
    if best is not None:
        return Reading(best.keyword.category, best.keyword.kind, processor)
    if hint is not None:
        return Reading(hint, "hint", processor)
    if is_airline_ticket(normalize(rest).split()):
        return Reading("travel", "ticket", processor)
    return Reading(None, None, processor)


def classify_description(text: str, amount: Decimal | None = None) -> str | None:
    """The category the words of `text` point to, or None when they say nothing (see
    read_description)."""
    return read_description(text, amount).category



def best_match(words: list[str], amount: Decimal | None) -> KeywordMatch | None:
    """The deciding keyword match among `words` (see the module docstring), or None."""
    matches = list(find_matches(words, amount))
    kept = [m for m in matches if not any(m.inside(other) for other in matches)]
    if not kept:
        return None
    named = any(m.keyword.kind in NAMING_KINDS and m.keyword.category not in MONEY_SERVICES
                and not m.compound for m in kept)
    return min(kept, key=lambda match: _precedence(match, named))


def _precedence(match: KeywordMatch, named: bool) -> tuple[int, int, int, int]:
    keyword = match.keyword
    if match.compound:
        tier = COMPOUND_TIER
    elif keyword.kind == "generic" and named:
        tier = GENERIC_NAMED_TIER
    else:
        tier = KIND_TIER[keyword.kind]
    money_rank = MONEY_ORDER.index(keyword.category) if keyword.kind in MONEY_KINDS else 0
    return tier, money_rank, -keyword.weight, match.start


def find_matches(words: list[str], amount: Decimal | None) -> Iterable[KeywordMatch]:
    """Every keyword occurring in `words` whose sign condition `amount` satisfies."""
    index = keyword_index()
    starts, ends = compound_keywords()
    for start, word in enumerate(words):
        for keyword in _candidates(index, word):
            end = start + len(keyword.words)
            if _words_match(keyword.words, words[start:end]) and _sign_allows(keyword.sign, amount):
                yield KeywordMatch(keyword, start, end)
        for keyword in _compound_candidates(word, starts, ends):
            if _sign_allows(keyword.sign, amount):
                yield KeywordMatch(keyword, start, start + 1, compound=True)


def _compound_candidates(word: str, starts: dict[str, list[Keyword]],
                         ends: dict[str, list[Keyword]]) -> Iterable[Keyword]:
    """Keywords of the longest proper start of `word` in `starts` and of its longest proper end
    in `ends` (dictionary look-ups per length: cheaper than one regex of 1,000+ words)."""
    lengths = range(len(word) - 1, COMPOUND_MIN_LENGTH - 1, -1)
    prefix = next((word[:n] for n in lengths if word[:n] in starts), None)
    suffix = next((word[-n:] for n in lengths if word[-n:] in ends), None)
    if prefix:
        yield from starts[prefix]
    if suffix:
        yield from ends[suffix]


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
def compound_keywords() -> tuple[dict[str, list[Keyword]], dict[str, list[Keyword]]]:
    """Single-word keywords of at least COMPOUND_MIN_LENGTH letters that may start a longer
    word (START_COMPOUND_KINDS) and that may end one (END_COMPOUND_KINDS), by text; one text
    may have a keyword per sign. The longest part found wins ("pharmacie" before "pharma")."""
    return _compound_keywords(START_COMPOUND_KINDS), _compound_keywords(END_COMPOUND_KINDS)


def _compound_keywords(kinds: frozenset[str]) -> dict[str, list[Keyword]]:
    found: dict[str, list[Keyword]] = {}
    for keys in keyword_index().values():
        for k in keys:
            if k.kind in kinds and len(k.words) == 1 and len(k.words[0]) >= COMPOUND_MIN_LENGTH:
                found.setdefault(k.words[0], []).append(k)
    return found


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
