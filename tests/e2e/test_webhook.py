"""POST /hook/transaction through gunicorn and the real RabbitMQ (docs/design.md, "The bank contract")."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from service.broker.topology import INGEST
from service.settings import Settings
from tests.support import webhooks
from tests.support.queues import body_bytes, drain, ready_count
from tests.support.stack import BIN, AppProcess, settings_env
from tests.support.webhooks import BankPartner, transaction


@pytest.fixture(autouse=True)
def empty_ingest_queue(test_settings: Settings) -> None:
    drain(test_settings, INGEST)


def test_signed_100_transactions_are_one_confirmed_message_with_raw_body(
        ingest: AppProcess, partner: BankPartner, test_settings: Settings) -> None:
    txns = [transaction() for _ in range(100)]
    raw = webhooks.body(txns)
    headers = webhooks.signed_headers(partner, raw)

    response = requests.post(f"{ingest.url}/hook/transaction", data=raw, headers=headers, timeout=10)

    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": 100, "request_id": response.headers["X-Request-Id"]}
    messages = drain(test_settings, INGEST)
    assert len(messages) == 1
    message = messages[0]
    assert body_bytes(message) == raw  # the raw body, byte for byte
    assert message.headers["partner_id"] == partner.partner_id
    assert message.headers["webhook-id"] == headers["webhook-id"]
    assert message.headers["request_id"] == response.headers["X-Request-Id"]
    received = datetime.fromisoformat(message.headers["received_at"])
    assert abs((datetime.now(UTC) - received).total_seconds()) < 30
    assert message.properties["delivery_mode"] == 2


def _bad(partner: BankPartner) -> dict[str, tuple[int, bytes, dict[str, str]]]:
    """name → (expected status, body, headers) for each kind of bad request."""
    good = webhooks.body([transaction()])
    signed = lambda raw, **kw: webhooks.signed_headers(partner, raw, **kw)  # noqa: E731

    def one(**fields: Any) -> tuple[int, bytes, dict[str, str]]:
        raw = webhooks.body([transaction(), transaction(**fields)])
        return 422, raw, signed(raw)

    tampered_headers = signed(good)
    text_headers = dict(signed(good), **{"content-type": "text/plain"})
    settled = transaction(status="settled")
    del settled["settled_at"]
    same_id = transaction()
    raw_101 = webhooks.body([transaction() for _ in range(101)])
    raw_dup = webhooks.body([same_id, dict(transaction(), transaction_id=same_id["transaction_id"])])
    raw_settled = webhooks.body([settled])
    big = b'{"transactions": [' + b" " * (2 * 1024 * 1024) + b"]}"
    not_json = b'{"transactions": [ {"oops" '
    return {
        "wrong secret": (401, good, webhooks.signed_headers(partner, good, secret=_other_secret())),
        "stale timestamp": (401, good, signed(good, timestamp=datetime.now(UTC) - timedelta(minutes=6))),
        "future timestamp": (401, good, signed(good, timestamp=datetime.now(UTC) + timedelta(minutes=6))),
        "unknown partner": (401, good, dict(signed(good), **{"x-partner-id": "no-such-bank"})),
        "tampered body": (401, good.replace(b"-12.50", b"-99.50"), tampered_headers),
        "invalid json": (400, not_json, signed(not_json)),
        "text/plain": (415, good, text_headers),
        "101 transactions": (422, raw_101, signed(raw_101)),
        "duplicate id": (422, raw_dup, signed(raw_dup)),
        "comma decimal": one(amount="12,00"),
        "NaN": one(amount="NaN"),
        "3 decimals on EUR": one(amount="-1.234"),
        "settled without settled_at": (422, raw_settled, signed(raw_settled)),
        "2 MiB body": (413, big, signed(big)),
        "id with slash": one(transaction_id="abc/def"),
    }


def _other_secret() -> str:
    from service.repositories.partners import new_secret
    return new_secret()


BAD_CASES = list(_bad(BankPartner("x", "whsec_eA==")).keys())


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_input_gets_its_status_and_json_error_and_queues_nothing(
        case: str, ingest: AppProcess, partner: BankPartner, test_settings: Settings) -> None:
    status, raw, headers = _bad(partner)[case]
    before = ready_count(test_settings, INGEST)

    response = requests.post(f"{ingest.url}/hook/transaction", data=raw, headers=headers, timeout=10)

    assert response.status_code == status, response.text
    error = response.json()
    assert set(error) >= {"error", "message", "request_id"}
    assert error["request_id"] == response.headers["X-Request-Id"]
    if status == 422:
        assert error["details"], error
        assert all({"index", "field", "message"} <= set(d) for d in error["details"])
    time.sleep(0.2)
    assert ready_count(test_settings, INGEST) == before


def test_422_details_name_index_and_field(ingest: AppProcess, partner: BankPartner) -> None:
    raw = webhooks.body([transaction(), transaction(amount="12,00"),
                         transaction(merchant={"name": "X", "mcc": "54"})])
    response = requests.post(f"{ingest.url}/hook/transaction", data=raw,
                             headers=webhooks.signed_headers(partner, raw), timeout=10)
    assert response.status_code == 422
    assert [(d["index"], d["field"]) for d in response.json()["details"]] == [(1, "amount"), (2, "merchant.mcc")]


def test_404_405_are_json(ingest: AppProcess) -> None:
    for method, path, status in (("GET", "/nope", 404), ("GET", "/hook/transaction", 405)):
        response = requests.request(method, f"{ingest.url}{path}", timeout=5)
        assert response.status_code == status
        assert response.json()["error"] in ("not_found", "method_not_allowed")
        assert response.json()["request_id"] == response.headers["X-Request-Id"]


def _tally(settings: Settings, *args: str) -> str:
    run = subprocess.run([str(BIN / "tally"), *args], env=settings_env(settings), capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_key_rotation_accepts_old_and_new_until_retired(
        ingest: AppProcess, partner: BankPartner, test_settings: Settings) -> None:
    out = _tally(test_settings, "partner", "rotate-secret", partner.partner_id)
    new_secret = out.split(": ", 1)[1].split()[0]
    old = partner
    new = BankPartner(partner.partner_id, new_secret)
    time.sleep(test_settings.partner_cache_seconds + 0.3)

    assert webhooks.post(ingest.url, old, [transaction()]).status_code == 202
    assert webhooks.post(ingest.url, new, [transaction()]).status_code == 202

    _tally(test_settings, "partner", "retire-secret", partner.partner_id, "--all-but-newest")
    time.sleep(test_settings.partner_cache_seconds + 0.3)

    refused = webhooks.post(ingest.url, old, [transaction()])
    assert refused.status_code == 401
    assert "no signature matches" in refused.json()["message"]
    assert webhooks.post(ingest.url, new, [transaction()]).status_code == 202


def test_disabled_partner_gets_401_and_enabled_again_202(
        ingest: AppProcess, partner: BankPartner, test_settings: Settings) -> None:
    _tally(test_settings, "partner", "disable", partner.partner_id)
    time.sleep(test_settings.partner_cache_seconds + 0.3)
    assert webhooks.post(ingest.url, partner, [transaction()]).status_code == 401
    _tally(test_settings, "partner", "enable", partner.partner_id)
    time.sleep(test_settings.partner_cache_seconds + 0.3)
    assert webhooks.post(ingest.url, partner, [transaction()]).status_code == 202


def test_request_log_is_json_without_secrets(ingest: AppProcess, partner: BankPartner,
                                             test_settings: Settings) -> None:
    marker = f"tx-{uuid.uuid4().hex}"
    response = webhooks.post(ingest.url, partner, [transaction(transaction_id=marker)])
    assert response.status_code == 202
    time.sleep(0.5)
    log_path = f"{test_settings.log_dir}/ingest.log"
    with open(log_path) as log_file:
        text = log_file.read()
    lines = [json.loads(line) for line in text.splitlines()]
    mine = [line for line in lines if line.get("request_id") == response.headers["X-Request-Id"]]
    assert len(mine) == 1
    assert {"method", "path", "status", "duration_ms", "partner_id", "time"} <= set(mine[0])
    assert mine[0]["partner_id"] == partner.partner_id and mine[0]["status"] == 202
    assert partner.secret not in text and partner.secret[6:] not in text
