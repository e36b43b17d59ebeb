"""The campaign's users, as the apps and the bank see them: sign-up and login through the app
API, one-time link codes from the bank simulator, linking, unlinking and listing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests

from chaos.check import Listed

PASSWORD = "chaos campaign password"  # noqa: S105 - users of a throw-away keyspace
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
LIST_DAYS = 3    # covers a campaign's transactions (authorized in the last minutes) in any zone
RETRY_SECONDS = 120.0  # an app call answered 5xx or not at all is retried this long


class AppError(RuntimeError):
    pass


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    token: str


class App:
    """The app API, called the way a mobile app would: 5xx and connection errors are retried."""

    def __init__(self, api_url: str, bank_url: str, partner_id: str) -> None:
        self.api_url, self.bank_url, self.partner_id = api_url, bank_url, partner_id
        self.http = requests.Session()

    def call(self, method: str, path: str, *, token: str | None = None, json: Any = None,
             params: dict[str, Any] | None = None) -> requests.Response:
        """The first answer below 500 (retrying 5xx and connection errors with a short pause)."""
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            answer = self.once(method, path, token=token, json=json, params=params)
            if isinstance(answer, requests.Response):
                return answer
            if time.monotonic() > deadline:
                raise AppError(f"{method} {path}: still {answer} after {RETRY_SECONDS:.0f} s")
            time.sleep(0.5)

    def once(self, method: str, path: str, *, token: str | None = None, json: Any = None,
             params: dict[str, Any] | None = None) -> requests.Response | str:
        """One request: its answer if below 500, else what went wrong."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = self.http.request(method, f"{self.api_url}{path}", json=json, params=params,
                                         headers=headers, timeout=30)
        except requests.RequestException as exc:
            return type(exc).__name__
        return response if response.status_code < 500 else f"HTTP {response.status_code}"

    def sign_up(self, index: int, run: str) -> User:
        email = f"chaos-{run}-{index}@example.test"
        created = self.call("POST", "/users", json={"email": email, "password": PASSWORD, "name": f"Chaos {index}",
                                                   "time_zone": ZONES[index % len(ZONES)]})
        _expect(created, 201, "sign-up")
        login = self.call("POST", "/auth/login", json={"email": email, "password": PASSWORD})
        _expect(login, 200, "login")
        return User(created.json()["user_id"], email, login.json()["token"])

    def link_code(self, account_number: str) -> tuple[str, list[str]]:
        """A one-time code the bank gives its customer for the account (opened if new), and its cards."""
        answer = requests.post(f"{self.bank_url}/sim/link-codes", json={"account_number": account_number}, timeout=10)
        _expect(answer, 201, "link code")
        body = answer.json()
        return body["link_code"], list(body["card_ids"])

    def link(self, user: User, account_number: str) -> list[str]:
        """Links the account; returns its cards. A link code is spent by its first use, so a 5xx
        or a lost answer (the link may have happened: a 503 says it did, but its event was not
        queued) is answered by linking again with a new code, as the API asks; linking an
        account one already has answers 200."""
        deadline = time.monotonic() + RETRY_SECONDS
        while True:
            code, cards = self.link_code(account_number)
            answer = self.once("POST", "/me/accounts", token=user.token,
                               json={"partner_id": self.partner_id, "link_code": code})
            if isinstance(answer, requests.Response):
                if answer.status_code in (200, 201):
                    return cards
                raise AppError(f"linking {account_number}: HTTP {answer.status_code} {answer.text[:200]}")
            if time.monotonic() > deadline:
                raise AppError(f"linking {account_number}: still {answer} after {RETRY_SECONDS:.0f} s")
            time.sleep(0.5)

    def unlink(self, user: User, account_number: str) -> None:
        """Unlinks the account; a 404 after an attempt whose answer was lost means that one did it."""
        deadline, lost = time.monotonic() + RETRY_SECONDS, False
        while True:
            answer = self.once("DELETE", f"/me/accounts/{self.partner_id}/{account_number}", token=user.token)
            if isinstance(answer, requests.Response):
                if answer.status_code == 204 or (answer.status_code == 404 and lost):
                    return
                raise AppError(f"unlinking {account_number}: HTTP {answer.status_code} {answer.text[:200]}")
            lost = True
            if time.monotonic() > deadline:
                raise AppError(f"unlinking {account_number}: still {answer} after {RETRY_SECONDS:.0f} s")
            time.sleep(0.5)

    def listing(self, user: User) -> list[Listed]:
        """Every transaction `GET /me/transactions` shows the user, following the cursor."""
        items: list[Listed] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"days": LIST_DAYS, "limit": 200}
            if cursor:
                params["cursor"] = cursor
            answer = self.call("GET", "/me/transactions", token=user.token, params=params)
            _expect(answer, 200, "listing")
            body = answer.json()
            items += [Listed(t["transaction_id"], t["status"], Decimal(t["amount"])) for t in body["transactions"]]
            cursor = body["next_cursor"]
            if not cursor:
                return items


def _expect(answer: requests.Response, status: int, what: str) -> None:
    if answer.status_code != status:
        raise AppError(f"{what}: HTTP {answer.status_code} instead of {status}: {answer.text[:200]}")
