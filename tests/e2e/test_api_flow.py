"""The app API end to end: gunicorn `api` and `ingest`, two consumer processes, the bank
simulator as a real process, RabbitMQ and Cassandra."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from service.bootstrap import Runtime
from service.broker.topology import INGEST
from service.classification.categories import CATEGORY_SLUGS, SOURCE_RANK
from service.repositories.partners import new_secret
from tests.support import webhooks
from tests.support.api import Answer, HttpApi, log_in, new_session
from tests.support.bank import SimulatedBank
from tests.support.metrics import acked
from tests.support.stack import AppProcess, wait_until
from tests.support.stored import rows_by_id
from tests.support.users import linked_user
from tests.support.webhooks import BankPartner, transaction


def listed(http: HttpApi, token: str, **params: Any) -> list[dict[str, Any]]:
    """Every row of every page."""
    rows: list[dict[str, Any]] = []
    cursor = None
    for _ in range(200):
        answer = http.call("GET", "/me/transactions", token=token,
                           params={**params, **({"cursor": cursor} if cursor else {})})
        assert answer.status == 200, answer.body
        rows.extend(answer.body["transactions"])
        cursor = answer.body["next_cursor"]
        if cursor is None:
            return rows
    raise AssertionError("too many pages")


def test_sign_up_link_with_a_bank_code_and_the_banks_transactions_appear_categorised(
        http: HttpApi, bank: SimulatedBank, consumers: list[AppProcess]) -> None:
    _, _, token = new_session(http)
    account = f"DE-{uuid.uuid4().hex[:12]}"
    linked = http.call("POST", "/me/accounts", token=token,
                       json={"partner_id": bank.partner.partner_id, "link_code": bank.link_code(account)})
    assert linked.status == 201, linked.body
    cards = set(linked.body["card_ids"])
    assert len(cards) == 2

    job = requests.post(f"{bank.sim.url}/sim/send", json={"accounts": [account], "count": 40, "rate": 20,
                                                          "batch_size": 10}, timeout=10)
    assert job.status_code == 202, job.text
    started = datetime.now(UTC)
    rows = wait_until(lambda: (found := listed(http, token)) and len(found) == 40 and found, timeout=30,
                      message="40 transactions listed")
    assert (datetime.now(UTC) - started).total_seconds() < 30
    assert {row["card_id"] for row in rows} <= cards and {row["account_number"] for row in rows} == {account}
    assert all(row["category"] in CATEGORY_SLUGS and row["category_source"] in SOURCE_RANK for row in rows)
    assert any(row["category_source"] in ("mcc", "description") for row in rows)
    assert [row["authorized_at"] for row in rows] == sorted((row["authorized_at"] for row in rows), reverse=True)
    report = requests.get(f"{bank.sim.url}/sim/jobs/{job.json()['job_id']}", timeout=10).json()
    assert report["transactions_accepted"] == 40
    me = http.call("GET", "/me", token=token).body
    assert me["last_transaction_at"] and me["last_login_at"]
    assert [(a["account_number"], set(a["card_ids"])) for a in me["accounts"]] == [(account, cards)]

    _, _, other = new_session(http)
    claim = http.call("POST", "/me/accounts", token=other,
                      json={"partner_id": bank.partner.partner_id, "link_code": bank.link_code(account)})
    assert claim.status == 409 and claim.body["error"] == "account_taken"
    assert listed(http, other) == []


def _second_partner(runtime: Runtime) -> BankPartner:
    partner = BankPartner(f"bank-{uuid.uuid4().hex[:8]}", new_secret())
    assert runtime.partners().add(partner.partner_id, partner.partner_id, None, None,
                                                     partner.secret)
    return partner


def test_fifty_equal_timestamps_on_two_days_over_two_partners_page_by_seven_exactly_once(
        http: HttpApi, ingest: AppProcess, consumers: list[AppProcess], partner: BankPartner, runtime: Runtime,
        session: Any) -> None:
    other = _second_partner(runtime)
    _, _, token = new_session(http)
    owner = runtime.accounts()
    user_id = uuid.UUID(http.call("GET", "/me", token=token).body["user_id"])
    for bank_partner in (partner, other):
        owner.claim(user_id, bank_partner.partner_id, "ACC-PAGING", frozenset({"card-1"}))
    now = datetime.now(UTC).replace(microsecond=0)
    sent: list[tuple[str, str, str]] = []
    for moment in (now - timedelta(minutes=5), now - timedelta(days=2)):
        for bank_partner in (partner, other):
            txns = [transaction(account_number="ACC-PAGING", authorized_at=moment.isoformat()) for _ in range(25)]
            assert webhooks.post(ingest.url, bank_partner, txns).status_code == 202
            sent += [(moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"), bank_partner.partner_id,
                      t["transaction_id"]) for t in txns]
    for bank_partner in (partner, other):
        ids = [tid for _, p, tid in sent if p == bank_partner.partner_id]
        wait_until(lambda ids=ids, p=bank_partner.partner_id: len(rows_by_id(session, p, ids)) == 50,  # type: ignore[misc]
                   message="50 rows stored")

    pages: list[Answer] = []
    cursor = None
    while True:
        answer = http.call("GET", "/me/transactions", token=token, params={"limit": 7, **(
            {"cursor": cursor} if cursor else {})})
        assert answer.status == 200, answer.body
        pages.append(answer)
        cursor = answer.body["next_cursor"]
        if cursor is None:
            break
    seen = [(t["authorized_at"], t["partner_id"], t["transaction_id"]) for p in pages for t in p.body["transactions"]]
    assert len(seen) == 100 and set(seen) == set(sent)  # every row exactly once
    assert seen == sorted(sent, key=lambda k: (-datetime.fromisoformat(k[0]).timestamp(), k[1], k[2]))
    assert all(len(p.body["transactions"]) == 7 for p in pages[:-1])

    middle = pages[3].body["next_cursor"]
    payload, signature = middle.split(".")
    tampered = payload[:10] + ("x" if payload[10] != "x" else "y") + payload[11:]
    forged = f"{payload}.{'A' * len(signature)}"
    for bad in (f"{tampered}.{signature}", forged, "e30.e30"):
        answer = http.call("GET", "/me/transactions", token=token, params={"limit": 7, "cursor": bad})
        assert answer.status == 400 and answer.body["error"] == "invalid_cursor", answer.body
        assert answer.body["request_id"] == answer.headers["X-Request-Id"]


def test_recategorised_merchant_classifies_later_transactions_as_user_rule_and_redelivery_keeps_it(
        http: HttpApi, ingest: AppProcess, consumers: list[AppProcess], partner: BankPartner, runtime: Runtime,
        session: Any) -> None:
    _, _, token = new_session(http)
    user_id = uuid.UUID(http.call("GET", "/me", token=token).body["user_id"])
    runtime.accounts().claim(user_id, partner.partner_id, "ACC-RULE", frozenset({"card-1"}))
    at = datetime.now(UTC) - timedelta(minutes=2)
    first = transaction(account_number="ACC-RULE", amount="-20.00", authorized_at=at.isoformat(),
                        merchant={"name": "ACME MARKET 123", "mcc": "5411", "city": "Berlin", "country": "DE"})
    webhook_id = f"wh-{uuid.uuid4().hex}"
    assert webhooks.post(ingest.url, partner, [first], webhook_id=webhook_id).status_code == 202
    row = wait_until(lambda: {t["transaction_id"]: t for t in listed(http, token)}.get(first["transaction_id"]),
                     message="the first transaction listed")
    assert (row["category"], row["category_source"]) == ("groceries", "mcc")

    patched = http.call("PATCH", f"/me/transactions/{partner.partner_id}/{first['transaction_id']}", token=token,
                        json={"category": "dining_out"})
    assert patched.status == 200 and patched.body["category_source"] == "user", patched.body
    rules = http.call("GET", "/me/rules", token=token).body["rules"]
    assert [(r["merchant_key"], r["category"]) for r in rules] == [("acme market", "dining_out")]

    later = transaction(account_number="ACC-RULE", amount="-5.50",
                        authorized_at=(at + timedelta(seconds=30)).isoformat(),
                        merchant={"name": "Acme Market #456", "mcc": "5411", "city": "Munich", "country": "DE"})
    assert webhooks.post(ingest.url, partner, [later]).status_code == 202
    second = wait_until(lambda: {t["transaction_id"]: t for t in listed(http, token)}.get(later["transaction_id"]),
                        message="the later transaction listed")
    assert (second["category"], second["category_source"], second["category_confidence"]) == (
        "dining_out", "user_rule", 0.95)

    month = at.strftime("%Y-%m")
    summary = http.call("GET", "/me/summary", token=token, params={"month": month}).body
    eur = next(c for c in summary["currencies"] if c["currency"] == "EUR")
    assert [(c["category"], Decimal(c["spend"]), c["transactions"]) for c in eur["categories"]] == [
        ("dining_out", Decimal("25.50"), 2)]

    received = rows_by_id(session, partner.partner_id, [first["transaction_id"]])[first["transaction_id"]].received_at
    consumed = acked([c.port for c in consumers], INGEST)
    assert webhooks.post(ingest.url, partner, [first], webhook_id=webhook_id).status_code == 202  # the bank retries
    wait_until(lambda: acked([c.port for c in consumers], INGEST) > consumed, message="the redelivery consumed")
    again = {t["transaction_id"]: t for t in listed(http, token)}[first["transaction_id"]]
    assert (again["category"], again["category_source"]) == ("dining_out", "user")
    # A retry is the same version: it keeps the time Tally first saw its webhook.
    assert rows_by_id(session, partner.partner_id, [first["transaction_id"]])[
        first["transaction_id"]].received_at == received


def test_another_users_token_reaches_nothing_of_theirs(
        http: HttpApi, ingest: AppProcess, consumers: list[AppProcess], partner: BankPartner, runtime: Runtime,
        session: Any) -> None:
    owner = linked_user(runtime, partner.partner_id)
    owner_token = log_in(http, owner.email, owner.password)
    txn = transaction(account_number=owner.account_number)
    assert webhooks.post(ingest.url, partner, [txn]).status_code == 202
    wait_until(lambda: rows_by_id(session, partner.partner_id, [txn["transaction_id"]]), message="stored")
    assert http.call("PATCH", f"/me/transactions/{partner.partner_id}/{txn['transaction_id']}", token=owner_token,
                     json={"category": "fuel"}).status == 200
    _, _, stranger = new_session(http)

    me = http.call("GET", "/me", token=stranger).body
    assert me["user_id"] != str(owner.user_id) and me["accounts"] == [] and me["last_transaction_at"] is None
    assert listed(http, stranger, days=400) == []
    assert http.call("GET", "/me/rules", token=stranger).body == {"rules": []}
    summary = http.call("GET", "/me/summary", token=stranger, params={"month": datetime.now(UTC).strftime("%Y-%m")})
    assert summary.status == 200 and summary.body["currencies"] == []
    for method, path, body in (
            ("PATCH", f"/me/transactions/{partner.partner_id}/{txn['transaction_id']}", {"category": "cash"}),
            ("DELETE", f"/me/accounts/{partner.partner_id}/{owner.account_number}", None),
            ("DELETE", "/me/rules/acme%20market", None)):
        answer = http.call(method, path, token=stranger, json=body)
        assert answer.status == 404 and answer.body["request_id"], (method, path, answer.body)
    mine = listed(http, owner_token)
    assert [(t["transaction_id"], t["category"]) for t in mine] == [(txn["transaction_id"], "fuel")]
    assert http.call("GET", "/me", token=owner_token).body["accounts"][0]["account_number"] == owner.account_number


@pytest.mark.parametrize(("path", "params"), [
    ("/me/transactions", {"days": "0"}), ("/me/transactions", {"limit": "10000"}),
    ("/me/transactions", {"days": "401"}), ("/me/transactions", {"status": "lost"}),
    ("/me/summary", {"month": "2026-13"}),
])
def test_bad_parameters_are_400_json(http: HttpApi, path: str, params: dict[str, str]) -> None:
    _, _, token = new_session(http)
    answer = http.call("GET", path, token=token, params=params)
    assert answer.status == 400 and answer.body["error"] == "invalid_parameter", answer.body
    assert answer.body["request_id"] == answer.headers["X-Request-Id"]
