"""`merchant_key()`: one normalised name per merchant, for the lookup cache and user rules.

Banks print the same shop in many ways ("ACME MARKET 123", "Acme Market #456", "SQ *ACME
MARKET"); the key keeps only what names the merchant. Changing the rules below changes keys
already stored in the cache and in users' rules, so treat them as a data format.
"""

from __future__ import annotations

import re

from service.classification.descriptors import normalize, strip_processor_prefix

# A store number: "#456", "No. 12", "Nr 7", "STORE 123", "STORE #12" (matched case-folded).
_STORE_NUMBER = re.compile(r"(?:#|\bno\b\.?|\bnr\b\.?|\bstore\b\s*#?)\s*\d+\b")

# Trailing legal forms: "ACME INC" and "Acme" are one merchant.
LEGAL_FORMS = frozenset({
    "inc", "llc", "ltd", "limited", "plc", "corp", "co", "gmbh", "kg", "ag", "sa", "sarl",
    "srl", "bv", "nv", "oy", "ab", "as",
})

# Common alternative spellings of a country code in descriptors.
COUNTRY_ALIASES = {"us": ("usa",), "gb": ("uk", "gbr")}


def merchant_key(name: str, city: str | None = None, country: str | None = None) -> str:
    """The merchant's key: case-folded and accent-free; processor prefixes ("SQ *"), store
    numbers, words containing digits, the `city` (with a US-style state code right after it),
    the `country`, trailing legal forms and punctuation removed; single spaces.

    Never "" for a name with letters: if nothing else is left, the key is the name's letters
    (and a name of digits only keeps its digits). "" only for a blank name.
    """
    text = _STORE_NUMBER.sub(" ", strip_processor_prefix(name).casefold())
    words = [word for word in normalize(text).split() if not any(c.isdigit() for c in word)]
    words = _without_place(words, city, country)
    words = _without_legal_form(words)
    if words:
        return " ".join(words)
    fallback = normalize(name)
    letters = "".join(c for c in fallback if c.isalpha())
    return letters or fallback


def _without_place(words: list[str], city: str | None, country: str | None) -> list[str]:
    city_words = normalize(city).split() if city else []
    if city_words:
        words = _without_city(words, city_words)
    if country:
        code = normalize(country)
        dropped = {code, *COUNTRY_ALIASES.get(code, ())}
        words = [word for word in words if word not in dropped]
    return words


def _without_city(words: list[str], city_words: list[str]) -> list[str]:
    """`words` without each run equal to `city_words`; a two-letter word ending the name right
    after the city ("… NEW YORK NY") is its state or province and goes too."""
    size = len(city_words)
    kept: list[str] = []
    position = 0
    while position < len(words):
        if words[position:position + size] == city_words:
            position += size
            if position == len(words) - 1 and len(words[position]) == 2:
                position += 1
            continue
        kept.append(words[position])
        position += 1
    return kept


def _without_legal_form(words: list[str]) -> list[str]:
    """`words` without trailing legal forms ("gmbh and co kg"), keeping at least one word."""
    end = len(words)
    while end > 1 and (words[end - 1] in LEGAL_FORMS or words[end - 1] == "and"):
        end -= 1
    return words[:end]
