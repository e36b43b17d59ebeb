"""One page of a bank's synchronous listing: an outage is retried with backoff, then named."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import pytest

from service.banks.client import BankUnavailable, PartnerApiClient
from service.banks.listing import list_page
from service.repositories.partners import Partner

PARTNER = Partner("bank-a", "Bank A", "http://bank.invalid", "token", True, ())
DAYS = (date(2026, 11, 1), date(2026, 11, 30))


class Answer:
    def __init__(self, status: int, body: Any) -> None:
        self.status_code, self.body, self.text = status, body, str(body)

    def json(self) -> Any:
        return self.body


class Bank:
    """Answers the listing's GETs from a script, one answer per call."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.calls = 0

    def get(self, url: str, **_: Any) -> Answer:
        self.calls += 1
        return self.answers.pop(0)


def client(bank: Bank) -> PartnerApiClient:
    made = PartnerApiClient(timeout=1.0)
    made.http = bank  # type: ignore[assignment]
    return made


def test_a_bank_that_answers_503_once_is_asked_again_after_a_backoff() -> None:
    bank = Bank(Answer(503, {}), Answer(200, {"transactions": [{"transaction_id": "t1"}], "next_page_token": "p2"}))
    started = time.monotonic()
    page = list_page(client(bank), PARTNER, "acc-1", *DAYS, attempts=3)
    waited = time.monotonic() - started
    assert bank.calls == 2
    assert page.transactions == [{"transaction_id": "t1"}] and page.next_page_token == "p2"
    assert 0.5 <= waited < 1.6  # the first backoff: 0.5 s plus up to 1 s of jitter


def test_a_bank_down_for_every_attempt_is_named_with_the_account_and_the_attempts() -> None:
    bank = Bank(Answer(502, {}), Answer(503, {}))
    with pytest.raises(BankUnavailable, match=r"bank-a did not answer for account acc-1, .*after 2 attempts"):
        list_page(client(bank), PARTNER, "acc-1", *DAYS, attempts=2)
    assert bank.calls == 2


def test_the_backoff_with_its_jitter_never_exceeds_eight_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", waits.append)
    bank = Bank(*[Answer(503, {}) for _ in range(8)])
    with pytest.raises(BankUnavailable):
        list_page(client(bank), PARTNER, "acc-1", *DAYS, attempts=8)
    assert len(waits) == 7
    assert all(min(8.0, 0.5 * 2 ** n) <= w <= min(8.0, 0.5 * 2 ** n + 1) for n, w in enumerate(waits))
    assert max(waits) == 8.0  # 0.5 × 2^6 = 32, capped with its jitter included
