"""Fuzzy merchant-name matching, the way a real lookup API tolerates card descriptors.

A query such as "SQ *BLUE BOTTLE COFFEE", "TESCO STORES 2231 LONDON" or "Lidl" is normalised
(case, payment-processor prefixes, store numbers and references, cities, trailing country
codes, legal suffixes) and matched against every known merchant's name and descriptor:
exact alias, then the longest alias the query starts with, then a query that a single
merchant's alias starts with (a name cut at 22 characters), then a close spelling.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from simulators.catalog import COUNTRIES, Merchant, city_words

# Payment facilitators whose name precedes the real merchant's: "SQ *BLUE BOTTLE".
PROCESSORS = {"SQ", "TST", "SP", "IZ", "SUMUP", "ZETTLE", "PAYPAL", "GOOGLE", "DD", "PP", "SMP"}
NOISE = {"GMBH", "LTD", "INC", "SA", "SE", "AG", "KG", "CO", "LLC", "PLC", "BV", "SAS", "SRL", "COM",
         "NET", "ORG", "WWW", "HTTP", "HTTPS", "THE"}
COUNTRY_CODES = set(COUNTRIES) | {"UK", "CH", "BE", "LU", "PT", "PL", "LT"}
FUZZY_CUTOFF = 0.86  # close enough for a typo or a truncated word, far enough to keep brands apart


class Matcher:
    """Finds the merchant a free-text name refers to, or None."""

    def __init__(self, merchants: Iterable[Merchant]) -> None:
        self._cities = sorted((tuple(c.split()) for c in city_words()), key=len, reverse=True)
        self._aliases: dict[str, Merchant] = {}
        self.collisions: list[tuple[str, str, str]] = []  # (alias, kept, ignored), for tests
        for merchant in merchants:
            template = re.sub(r"\{[A-Za-z]+\}", " ", merchant.descriptor)
            for alias in {self.normalise(merchant.name), self.normalise(template)}:
                if not alias:
                    continue
                kept = self._aliases.setdefault(alias, merchant)
                if kept is not merchant:
                    self.collisions.append((alias, kept.name, merchant.name))
        self._alias_list = sorted(self._aliases)

    def match(self, name: str) -> Merchant | None:
        query = self.normalise(name)
        if not query:
            return None
        if query in self._aliases:
            return self._aliases[query]
        tokens = query.split()
        for k in range(len(tokens) - 1, 0, -1):  # the longest alias the query starts with
            found = self._aliases.get(" ".join(tokens[:k]))
            if found is not None:
                return found
        if len(tokens) >= 2:  # a name cut short: the query is the start of one merchant's alias
            owners = {id(m): m for a, m in self._aliases.items() if a.startswith(query + " ")}
            if len(owners) == 1:
                return next(iter(owners.values()))
        close = difflib.get_close_matches(query, self._alias_list, n=1, cutoff=FUZZY_CUTOFF)
        return self._aliases[close[0]] if close else None

    def normalise(self, text: str) -> str:
        """Upper-case words that identify the merchant: 'TST* Joe's Pizza 0042' → 'JOES PIZZA'."""
        text = re.sub(r"['’&]", "", text.upper())
        head, star, tail = text.partition("*")
        if star:
            head_words = re.sub(r"[^A-Z0-9]+", " ", head).split()
            is_processor = bool(head_words) and head_words[-1] in PROCESSORS
            text = (tail if self._words(tail) else head) if is_processor else f"{head} {tail}"
        return " ".join(self._words(text))

    def _words(self, text: str) -> list[str]:
        tokens = re.sub(r"[^A-Z0-9]+", " ", text).split()
        tokens = self._drop_cities(tokens)
        kept = [t for t in tokens if len(t) > 1 and t not in NOISE and not _is_number_like(t)]
        while kept and kept[-1] in COUNTRY_CODES:
            kept.pop()
        return kept

    def _drop_cities(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for city in self._cities:
                if tuple(tokens[i:i + len(city)]) == city:
                    i += len(city)
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out


def _is_number_like(token: str) -> bool:
    """Store numbers and references: all digits, or at least two digits ('R123', '2K4LL0')."""
    return token.isdigit() or sum(ch.isdigit() for ch in token) >= 2
