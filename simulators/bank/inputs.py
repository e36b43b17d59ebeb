"""Checks of the bank simulator's inputs; each failure names the field (→ JSON 400)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from simulators.web import InputError

ACCOUNT_RE = re.compile(r"[A-Za-z0-9-]{1,34}")
CARD_RE = re.compile(r"[A-Za-z0-9-]{1,32}")


def account_number(value: Any, name: str = "account_number") -> str:
    if not isinstance(value, str) or not ACCOUNT_RE.fullmatch(value):
        raise InputError(f"{name} must match [A-Za-z0-9-]{{1,34}}, got {value!r}")
    return value


def account_numbers(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > 1000:
        raise InputError("accounts must be a list of 1 to 1000 account numbers")
    return list(dict.fromkeys(account_number(v, "accounts[]") for v in value))


def card_ids(value: Any) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not 1 <= len(value) <= 20:
        raise InputError("card_ids must be a list of 1 to 20 card ids")
    for card in value:
        if not isinstance(card, str) or not CARD_RE.fullmatch(card):
            raise InputError(f"card_ids[] must match [A-Za-z0-9-]{{1,32}}, got {card!r}")
    return list(dict.fromkeys(value))


def date(value: Any, name: str) -> datetime | None:
    """A YYYY-MM-DD date (UTC midnight), or None when absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise InputError(f"{name} must be a date YYYY-MM-DD, got {value!r}")
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InputError(f"{name} is not a valid date: {value!r}") from None


def integer(value: Any, name: str, low: int, high: int, default: int | None = None) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{name} must be an integer between {low} and {high}, got {value!r}")
    return value


def http_url(value: Any, name: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
        raise InputError(f"{name} must be an http(s) URL, got {value!r}")
    return value
