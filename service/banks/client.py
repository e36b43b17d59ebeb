"""The partner bank's API, as Tally calls it (docs/third-parties.md):

    POST {api_base_url}/api/v1/link-codes/exchange {"link_code"}   Authorization: Bearer {api_token}
        200 {"account_number", "card_ids"}  ·  404 {"error": "unknown_link_code"}

Every call has (connect, read) timeouts and no automatic retry: a link code is one-time, and
whether a timed-out exchange consumed it is unknown, so the user is asked to try again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from service.repositories.partners import Partner

_ACCOUNT = re.compile(r"^[A-Za-z0-9-]{1,34}$")  # the webhook contract's account_number and card_id
_CARD = re.compile(r"^[A-Za-z0-9-]{1,32}$")
MAX_CARDS = 100
CONNECT_TIMEOUT_CAP = 3.0


class BankUnavailable(Exception):
    """The bank did not answer in time, refused the connection or answered 5xx (retry later)."""


class BankError(Exception):
    """The bank answered something the contract does not allow (wrong token, bad JSON …)."""


class UnknownLinkCode(Exception):
    """The bank does not know the code (unknown, expired or already used)."""


@dataclass(frozen=True)
class ExchangedCode:
    account_number: str
    card_ids: frozenset[str]


class PartnerApiClient:
    """Thread-safe for gthread workers: one pooled requests.Session per process."""

    def __init__(self, timeout: float, pool_size: int = 8) -> None:
        self.timeout = (min(CONNECT_TIMEOUT_CAP, timeout), timeout)
        self.http = requests.Session()
        self.http.mount("http://", HTTPAdapter(pool_maxsize=pool_size, max_retries=0))
        self.http.mount("https://", HTTPAdapter(pool_maxsize=pool_size, max_retries=0))

    def exchange_link_code(self, partner: Partner, link_code: str) -> ExchangedCode:
        """The account and cards the code stands for. Raises UnknownLinkCode, BankUnavailable
        or BankError."""
        url = f"{(partner.api_base_url or '').rstrip('/')}/api/v1/link-codes/exchange"
        try:
            response = self.http.post(url, json={"link_code": link_code}, timeout=self.timeout,
                                      headers={"Authorization": f"Bearer {partner.api_token or ''}"})
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise BankUnavailable(f"{partner.partner_id}: {type(exc).__name__}") from None
        except requests.RequestException as exc:
            raise BankError(f"{partner.partner_id}: {type(exc).__name__}: {exc}") from None
        if response.status_code == 404 and _error_code(response) == "unknown_link_code":
            raise UnknownLinkCode(link_code)
        if response.status_code >= 500:
            raise BankUnavailable(f"{partner.partner_id} answered {response.status_code}")
        if response.status_code != 200:
            raise BankError(f"{partner.partner_id} answered {response.status_code}: {response.text[:200]}")
        return _exchanged(partner.partner_id, _json(response))


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_code(response: requests.Response) -> str | None:
    body = _json(response)
    return body.get("error") if isinstance(body, dict) else None


def _exchanged(partner_id: str, body: Any) -> ExchangedCode:
    if not isinstance(body, dict):
        raise BankError(f"{partner_id}: the exchange answer is not a JSON object")
    account, cards = body.get("account_number"), body.get("card_ids")
    if not isinstance(account, str) or not _ACCOUNT.match(account):
        raise BankError(f"{partner_id}: the exchange answer has no valid account_number")
    if (not isinstance(cards, list) or len(cards) > MAX_CARDS
            or not all(isinstance(c, str) and _CARD.match(c) for c in cards)):
        raise BankError(f"{partner_id}: the exchange answer has no valid card_ids")
    return ExchangedCode(account, frozenset(cards))
