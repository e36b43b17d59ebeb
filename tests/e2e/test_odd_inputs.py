"""Whatever a client sends that the door lets in, the answer is never a 500: odd emails at
login, odd path segments and query values, bodies nested deeper than a parser's stack, and
chunked bodies over the limit (which used to arrive cut short, silently)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from service.app import API_BODY_LIMIT
from service.settings import Settings
from tests.support import webhooks
from tests.support.api import PASSWORD, Answer, HttpApi, new_session
from tests.support.stack import AppProcess
from tests.support.webhooks import BankPartner, transaction


@pytest.fixture(scope="module")
def http(api: AppProcess) -> HttpApi:
    return HttpApi(api.url or "")


@pytest.fixture(scope="module")
def token(http: HttpApi) -> str:
    return new_session(http)[2]


def _assert_json_error(answer: Answer, status: int, what: object) -> None:
    assert answer.status == status, (what, answer.status, answer.body)
    assert answer.body["error"] and answer.body["message"], what
    assert answer.body["request_id"] == answer.headers["X-Request-Id"], what


@pytest.mark.parametrize("email", ["", " ", "\t\n", "not-an-address", "a@b", "@example.com",
                                   "a@" + "b" * 300 + ".com", "two@at@example.com"])
def test_an_email_that_cannot_be_an_account_is_422_at_login(http: HttpApi, email: str) -> None:
    answer = http.call("POST", "/auth/login", json={"email": email, "password": ""})
    _assert_json_error(answer, 422, email)
    assert answer.body["details"] == [{"field": "email", "message": "is not an email address"}]


@pytest.mark.parametrize("email", ["nul\x00@example.com", "é@例え.jp", "a" * 64 + "@x.io", "\u202e@x.io"])
def test_an_odd_email_that_could_be_an_account_is_401(http: HttpApi, email: str) -> None:
    _assert_json_error(http.call("POST", "/auth/login", json={"email": email, "password": "x"}), 401, email)


def test_a_valid_email_still_logs_in_after_trimming_and_case_folding(http: HttpApi) -> None:
    _, email, _ = new_session(http)
    answer = http.call("POST", "/auth/login", json={"email": f"  {email.upper()} ", "password": PASSWORD})
    assert answer.status == 200, answer.body


ODD_SEGMENTS = ["x" * 1500, "%00", "%FF%FE", "%C3%A9%F0%9F%92%A5", "a%2Fb", "..", "%20", "%25", "null", "-1"]


@pytest.mark.parametrize("segment", ODD_SEGMENTS)
def test_odd_path_segments_are_404_never_500(http: HttpApi, token: str, segment: str) -> None:
    for method, path, body in (("DELETE", f"/me/rules/{segment}", None),
                               ("DELETE", f"/me/accounts/{segment}/{segment}", None),
                               ("DELETE", f"/me/accounts/bank-x/{segment}", None),
                               ("PATCH", f"/me/transactions/{segment}/{segment}", {"category": "fuel"}),
                               ("PATCH", f"/me/transactions/bank-x/{segment}", {"category": "fuel"})):
        _assert_json_error(http.call(method, path, token=token, json=body), 404, (method, path))


@pytest.mark.parametrize("params", [
    {"days": "%00"}, {"days": "\x00"}, {"days": "１"}, {"days": " 7 "}, {"limit": "9" * 40}, {"limit": "-1"},
    {"cursor": "\x00"}, {"cursor": "é.é"}, {"cursor": "." * 3000}, {"cursor": "a.b"}, {"card_id": "\x00"},
    {"card_id": "c" * 3000}, {"status": "settled\x00"}, {"days": ""}, {"cursor": ""},
])
def test_odd_query_values_are_200_or_400_never_500(http: HttpApi, token: str, params: dict[str, str]) -> None:
    answer = http.call("GET", "/me/transactions", token=token, params=params)
    assert answer.status in (200, 400), (params, answer.status, answer.body)
    if answer.status == 400:
        _assert_json_error(answer, 400, params)


@pytest.mark.parametrize("month", ["\x00", "%", "9" * 3000, "2026-00", "０２０２６-01", "2026-1-"])
def test_odd_months_are_400(http: HttpApi, token: str, month: str) -> None:
    _assert_json_error(http.call("GET", "/me/summary", token=token, params={"month": month}), 400, month)


@pytest.mark.parametrize(("method", "path", "auth"), [
    ("POST", "/users", False), ("POST", "/auth/login", False), ("PATCH", "/me/transactions/bank-x/tx-1", True),
    ("POST", "/me/accounts", True)])
def test_json_nested_deeper_than_the_parser_is_400(http: HttpApi, token: str, method: str, path: str,
                                                   auth: bool) -> None:
    deep = b"[" * 60_000 + b"]" * 60_000  # 120 KB would be 413; 60 000 opening brackets fit in 64 KiB
    deep = deep[:API_BODY_LIMIT]
    answer = http.call(method, path, data=deep, headers={"Content-Type": "application/json"},
                       token=token if auth else None)
    _assert_json_error(answer, 400, path)
    assert answer.body["error"] == "invalid_json"


def _chunks(size: int, piece: int = 32 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        chunk = b" " * min(piece, size - sent)
        sent += len(chunk)
        yield chunk


def _chunked(prefix: bytes, padding: int, suffix: bytes) -> Iterator[bytes]:
    yield prefix
    yield from _chunks(padding)
    yield suffix


def test_a_chunked_api_body_over_the_limit_is_413_not_a_cut_body(http: HttpApi) -> None:
    body: Any = _chunked(b'{"email": "a@example.com", "password": "x"', API_BODY_LIMIT, b"}")
    response = requests.post(f"{http.base_url}/auth/login", data=body, timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "payload_too_large" and str(API_BODY_LIMIT) in response.json()["message"]


def test_a_chunked_api_body_under_the_limit_is_read_whole(http: HttpApi) -> None:
    _, email, _ = new_session(http)
    body: Any = _chunked(f'{{"email": "{email}", "password": "{PASSWORD}"'.encode(), API_BODY_LIMIT // 2, b"}")
    response = requests.post(f"{http.base_url}/auth/login", data=body, timeout=30,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


def test_a_chunked_webhook_over_the_limit_is_413_not_401(ingest: AppProcess, partner: BankPartner,
                                                         test_settings: Settings) -> None:
    limit = test_settings.max_body_bytes
    whole = b'{"transactions": [' + b" " * limit + b"]}"  # signed whole, as a bank would
    body: Any = _chunked(b'{"transactions": [', limit, b"]}")
    response = requests.post(f"{ingest.url}/hook/transaction", data=body, timeout=30,
                             headers=webhooks.signed_headers(partner, whole))
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "payload_too_large" and str(limit) in response.json()["message"]


def test_a_chunked_webhook_within_the_limit_is_accepted(ingest: AppProcess, partner: BankPartner) -> None:
    raw = webhooks.body([transaction()])
    response = requests.post(f"{ingest.url}/hook/transaction", data=iter([raw[:10], raw[10:]]), timeout=30,
                             headers=webhooks.signed_headers(partner, raw))
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("partner_id", ["p" * 4000, "x\ty", "é", "a b", "%00", "../bank"])
def test_odd_partner_ids_at_the_webhook_are_401(ingest: AppProcess, partner: BankPartner, partner_id: str) -> None:
    raw = webhooks.body([transaction()])
    headers = dict(webhooks.signed_headers(partner, raw), **{"x-partner-id": partner_id})
    answer = HttpApi(ingest.url or "").call("POST", "/hook/transaction", data=raw, headers=headers)
    _assert_json_error(answer, 401, partner_id)
