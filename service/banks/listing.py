"""A bank's transaction list API, paged (docs/third-parties.md):

    GET {api_base_url}/api/v1/accounts/{account}/transactions?from=&to=&page_size=&page_token=
        200 {"transactions": [...wire-shaped...], "next_page_token": "…" | null}

Unlike a link-code exchange, listing is a read: it is retried (bounded, with backoff) on
timeouts, connection errors and 5xx before BankUnavailable names the account and the dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

import requests
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from service.banks.client import BankError, BankUnavailable, PartnerApiClient
from service.repositories.partners import Partner

PAGE_SIZE = 500


@dataclass(frozen=True)
class Page:
    transactions: list[dict[str, Any]]
    next_page_token: str | None


class UnknownAccount(BankError):
    """The bank knows no such account."""


def list_page(client: PartnerApiClient, partner: Partner, account: str, first: date, last: date, *,
              page_token: str | None = None, page_size: int = PAGE_SIZE, attempts: int = 5) -> Page:
    """One page of the account's transactions authorised between `first` and `last` (UTC days,
    inclusive). Raises BankUnavailable after `attempts`, UnknownAccount, or BankError."""

    @retry(retry=retry_if_exception_type(BankUnavailable), stop=stop_after_attempt(attempts),
           wait=wait_exponential_jitter(multiplier=0.5, max=8), reraise=True)
    def fetch() -> Page:
        return _fetch(client, partner, account, (first, last), page=(page_token, page_size))

    try:
        return fetch()
    except BankUnavailable as exc:
        raise BankUnavailable(f"{partner.partner_id} did not answer for account {account}, {first}..{last} "
                              f"after {attempts} attempts: {exc}") from None


def _fetch(client: PartnerApiClient, partner: Partner, account: str, days: tuple[date, date], *,
           page: tuple[str | None, int]) -> Page:
    first, last = days
    page_token, page_size = page
    url = f"{(partner.api_base_url or '').rstrip('/')}/api/v1/accounts/{quote(account, safe='')}/transactions"
    params: dict[str, Any] = {"from": first.isoformat(), "to": last.isoformat(), "page_size": page_size}
    if page_token:
        params["page_token"] = page_token
    try:
        response = client.http.get(url, params=params, timeout=client.timeout,
                                   headers={"Authorization": f"Bearer {partner.api_token or ''}"})
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise BankUnavailable(type(exc).__name__) from None
    if response.status_code >= 500:
        raise BankUnavailable(f"HTTP {response.status_code}")
    body = _json(response)
    if response.status_code == 404 and isinstance(body, dict) and body.get("error") == "unknown_account":
        raise UnknownAccount(f"{partner.partner_id} knows no account {account}")
    if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("transactions"), list):
        raise BankError(f"{partner.partner_id} answered {response.status_code} for account {account}, "
                        f"{first}..{last}: {response.text[:200]}")
    token = body.get("next_page_token")
    return Page(body["transactions"], token if isinstance(token, str) and token else None)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
