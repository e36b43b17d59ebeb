"""What users see and keep, over HTTP against gunicorn, two consumers and the bank simulator:
budgets and alerts (spend exact under redelivery), the CSV export, the sync feed's answers, and
erasing an account (every table read afterwards)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from cassandra.cluster import Session
from cassandra.query import SimpleStatement

from service.bootstrap import Runtime
from service.broker.topology import INGEST
from tests.support import webhooks
from tests.support.api import PASSWORD, HttpApi, log_in, new_session, sign_up
from tests.support.bank import SimulatedBank
from tests.support.metrics import acked
from tests.support.stack import AppProcess, wait_until
from tests.support.stored import rows_by_id
from tests.support.users import linked_user
from tests.support.webhooks import BankPartner, transaction


def _spend(owner_account: str, amount: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return transaction(account_number=owner_account, amount=amount, authorized_at=at.isoformat(), **fields)


def _send(ingest: AppProcess, partner: BankPartner, session: Session, txns: list[dict[str, Any]],
          webhook_id: str | None = None) -> None:
    assert webhooks.post(ingest.url or "", partner, txns, webhook_id=webhook_id).status_code == 202
    ids = [t["transaction_id"] for t in txns]
    wait_until(lambda: len(rows_by_id(session, partner.partner_id, ids)) == len(ids), message="stored")


def test_budgets_show_spend_remaining_and_percent_and_alert_at_80_and_100_percent_exactly_once_per_row(
        http: HttpApi, ingest: AppProcess, consumers: list[AppProcess], partner: BankPartner, runtime: Runtime,
        session: Session) -> None:
    owner = linked_user(runtime, partner.partner_id)
    token = log_in(http, owner.email, owner.password)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    first = [_spend(owner.account_number, "-30.00", start + timedelta(minutes=n)) for n in range(3)]
    webhook_id = f"wh-{uuid.uuid4().hex}"
    _send(ingest, partner, session, first, webhook_id)
    put = http.call("PUT", "/me/budgets/groceries", token=token, json={"amount": "100.00", "currency": "EUR"})
    assert put.status == 200 and put.body["amount"] == "100.00" and put.body["name"] == "Groceries", put.body
    assert http.call("PUT", "/me/budgets/fuel", token=token, json={"amount": "50", "currency": "EUR"}).status == 200

    summary = http.call("GET", "/me/summary", token=token).body
    assert summary["budgets"] == [
        {"category": "groceries", "name": "Groceries", "currency": "EUR", "amount": "100.00", "spent": "90.00",
         "remaining": "10.00", "percent": 90.0},
        {"category": "fuel", "name": "Fuel", "currency": "EUR", "amount": "50.00", "spent": "0.00",
         "remaining": "50.00", "percent": 0.0}]
    alerts = http.call("GET", "/me/alerts", token=token).body["alerts"]
    assert [(a["category"], a["threshold"], a["crossed_at"][:19]) for a in alerts] == [
        ("groceries", 80, (start + timedelta(minutes=2)).isoformat()[:19])]

    # The bank retries the same webhook, and a consumer gets it twice: nothing counts twice.
    consumed = acked([c.port for c in consumers], INGEST)
    for _ in range(2):
        assert webhooks.post(ingest.url or "", partner, first, webhook_id=webhook_id).status_code == 202
    wait_until(lambda: acked([c.port for c in consumers], INGEST) >= consumed + 2, message="redeliveries consumed")
    later = _spend(owner.account_number, "-20.00", start + timedelta(minutes=10))
    _send(ingest, partner, session, [later])
    groceries = http.call("GET", "/me/summary", token=token).body["budgets"][0]
    assert (groceries["spent"], groceries["remaining"], groceries["percent"]) == ("110.00", "-10.00", 110.0)
    alerts = http.call("GET", "/me/alerts", token=token).body["alerts"]
    assert [(a["category"], a["threshold"], a["crossed_at"][:19]) for a in alerts] == [
        ("groceries", 100, (start + timedelta(minutes=10)).isoformat()[:19])]

    listed = http.call("GET", "/me/budgets", token=token).body["budgets"]
    assert [b["category"] for b in listed] == ["groceries", "fuel"]
    assert http.call("DELETE", "/me/budgets/fuel", token=token).status == 204
    assert http.call("DELETE", "/me/budgets/fuel", token=token).status == 404
    _, _, stranger = new_session(http)
    assert http.call("GET", "/me/budgets", token=stranger).body == {"budgets": []}
    assert http.call("DELETE", "/me/budgets/groceries", token=stranger).status == 404
    assert http.call("GET", "/me/alerts", token=stranger).body["alerts"] == []
    assert http.call("GET", "/me/budgets").status == 401


@pytest.mark.parametrize(("category", "body", "field", "error"), [
    ("groceries", {"amount": "0", "currency": "EUR"}, "amount", "invalid"),
    ("groceries", {"amount": "12.345", "currency": "EUR"}, "amount", "invalid"),
    ("groceries", {"amount": "1.5", "currency": "JPY"}, "amount", "invalid"),
    ("groceries", {"amount": "-5", "currency": "EUR"}, "amount", "invalid"),
    ("groceries", {"amount": "10", "currency": "ZZZ"}, "currency", "invalid"),
    ("income", {"amount": "10", "currency": "EUR"}, "category", "invalid"),
    ("nope", {"amount": "10", "currency": "EUR"}, "category", "unknown_category"),
    ("groceries", {"amount": 10, "currency": "EUR"}, "amount", "invalid"),
])
def test_a_bad_budget_is_422_naming_the_field(http: HttpApi, category: str, body: dict[str, Any], field: str,
                                               error: str) -> None:
    _, _, token = new_session(http)
    answer = http.call("PUT", f"/me/budgets/{category}", token=token, json=body)
    assert answer.status == 422 and answer.body["error"] == error, answer.body
    assert answer.body["details"][0]["field"] == field


def test_the_export_is_csv_a_spreadsheet_opens_cleanly_with_formulas_defused(
        http: HttpApi, ingest: AppProcess, consumers: list[AppProcess], partner: BankPartner, runtime: Runtime,
        session: Session) -> None:
    owner = linked_user(runtime, partner.partner_id)
    token = log_in(http, owner.email, owner.password)
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    names = ["=HYPERLINK(\"http://x\")", "+SUM(A1)", "-2+3", "@cmd", "Café Ñandú, \"quoted\""]
    sent = [_spend(owner.account_number, "-12.50", at + timedelta(minutes=n), merchant={"name": name, "mcc": "5814"})
            for n, name in enumerate(names)]
    _send(ingest, partner, session, sent)
    today = datetime.now(UTC).date()
    response = requests.get(f"{http.base_url}/me/transactions.csv", headers={"Authorization": f"Bearer {token}"},
                            params={"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()},
                            timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["Cache-Control"] == "no-store"
    raw = response.content
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw
    table = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [row["merchant"] for row in table] == ["'=HYPERLINK(\"http://x\")", "'+SUM(A1)", "'-2+3", "'@cmd",
                                                  "Café Ñandú, \"quoted\""]  # oldest first
    assert {row["amount"] for row in table} == {"-12.50"}  # a number: not defused, still summable
    assert {(row["category"], row["category_source"], row["status"]) for row in table} == {
        ("dining_out", "mcc", "pending")}
    assert [row["transaction_id"] for row in table] == [t["transaction_id"] for t in sent]

    for params in ({}, {"from": today.isoformat()}, {"from": "2026-02-30", "to": "2026-03-01"},
                   {"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()},
                   {"from": (today - timedelta(days=400)).isoformat(), "to": today.isoformat()}):
        answer = http.call("GET", "/me/transactions.csv", token=token, params=params)
        assert answer.status == 400 and answer.body["error"] == "invalid_parameter", (params, answer.body)
    exactly = {"from": (today - timedelta(days=399)).isoformat(), "to": today.isoformat()}
    assert requests.get(f"{http.base_url}/me/transactions.csv", params=exactly, timeout=30,
                        headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert http.call("GET", "/me/transactions.csv", params=exactly).status == 401


def test_the_sync_feed_answers_its_first_pages_and_refuses_bad_cursors(
        http: HttpApi, ingest: AppProcess, consumers: list[AppProcess], partner: BankPartner, runtime: Runtime,
        session: Session) -> None:
    owner = linked_user(runtime, partner.partner_id)
    token = log_in(http, owner.email, owner.password)
    sent = [_spend(owner.account_number, "-1.00", datetime.now(UTC) - timedelta(days=n)) for n in range(5)]
    _send(ingest, partner, session, sent)
    first = http.call("GET", "/me/transactions/sync", token=token, params={"count": 3})
    assert first.status == 200 and set(first.body) == {"added", "modified", "removed", "next_cursor", "has_more"}
    assert len(first.body["added"]) == 3 and first.body["has_more"] is True
    second = http.call("GET", "/me/transactions/sync", token=token,
                       params={"count": 3, "cursor": first.body["next_cursor"]})
    ids = {t["transaction_id"] for t in first.body["added"] + second.body["added"]}
    assert ids == {t["transaction_id"] for t in sent}
    _, _, stranger = new_session(http)
    for params, error in (({"cursor": first.body["next_cursor"]}, "invalid_cursor"),
                          ({"cursor": "e30.e30"}, "invalid_cursor"), ({"count": 0}, "invalid_parameter"),
                          ({"count": 501}, "invalid_parameter")):
        answer = http.call("GET", "/me/transactions/sync", token=stranger, params=params)
        assert answer.status == 400 and answer.body["error"] == error, (params, answer.body)
    assert http.call("GET", "/me/transactions/sync", token=stranger).body["added"] == []


def _every_row_mentioning(session: Session, keyspace: str, needles: set[str]) -> list[tuple[str, str]]:
    """(table, row) of every row of every table of the keyspace holding one of the needles."""
    tables = [r.table_name for r in session.execute(
        "SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s", (keyspace,))]
    found = []
    for table in tables:
        for row in session.execute(SimpleStatement(f"SELECT * FROM {keyspace}.{table}", fetch_size=2000)):
            text = " ".join(str(value) for value in row)
            if any(needle in text for needle in needles):
                found.append((table, text[:200]))
    return found


def test_erasing_an_account_leaves_nothing_of_the_user_frees_the_email_and_holds_later_transactions(
        http: HttpApi, ingest: AppProcess, consumers: list[AppProcess], bank: SimulatedBank, runtime: Runtime,
        session: Session) -> None:
    user_id, email = sign_up(http)
    token, other_token = log_in(http, email), log_in(http, email)
    account = f"DE-{uuid.uuid4().hex[:12]}"
    linked = http.call("POST", "/me/accounts", token=token,
                       json={"partner_id": bank.partner.partner_id, "link_code": bank.link_code(account)})
    assert linked.status == 201, linked.body
    cards = linked.body["card_ids"]
    now = datetime.now(UTC)
    sent = [transaction(account_number=account, card_id=cards[0], authorized_at=(now - timedelta(days=d)).isoformat())
            for d in (0, 3, 40, 90)]
    _send(ingest, bank.partner, session, sent)
    first = sent[0]["transaction_id"]
    assert http.call("PATCH", f"/me/transactions/{bank.partner.partner_id}/{first}", token=token,
                     json={"category": "fuel", "apply_to_past": True}).status == 200
    assert http.call("PUT", "/me/budgets/fuel", token=token, json={"amount": "10", "currency": "EUR"}).status == 200
    assert http.call("GET", "/me/transactions/sync", token=token).status == 200

    assert http.call("DELETE", "/me", token=token).status == 415
    assert http.call("DELETE", "/me", token=token, json={}).status == 422
    wrong = http.call("DELETE", "/me", token=token, json={"password": "not the password"})
    assert wrong.status == 403 and wrong.body["error"] == "wrong_password"
    assert http.call("DELETE", "/me", json={"password": PASSWORD}).status == 401
    erased = http.call("DELETE", "/me", token=token, json={"password": PASSWORD})
    assert erased.status == 204, erased.body

    for gone in (token, other_token):
        assert http.call("GET", "/me/budgets", token=gone).status == 401
    needles = {str(user_id), email, account, *(t["transaction_id"] for t in sent)}
    assert _every_row_mentioning(session, runtime.settings.keyspace, needles) == []

    late = transaction(account_number=account, card_id=cards[0])
    assert webhooks.post(ingest.url or "", bank.partner, [late]).status_code == 202
    held = wait_until(lambda: [h for page in runtime.held().of_account(bank.partner.partner_id, account)
                               for h in page], message="the late transaction held")
    assert [h.transaction_id for h in held] == [late["transaction_id"]]
    assert rows_by_id(session, bank.partner.partner_id, [late["transaction_id"]]) == {}
    assert _every_row_mentioning(session, runtime.settings.keyspace, {str(user_id), email}) == []

    again, _ = sign_up(http, email=email)  # the email is free
    assert again != user_id
    assert http.call("GET", "/me", token=log_in(http, email)).body["accounts"] == []


def test_a_forgotten_account_takes_its_transactions_with_it(
        http: HttpApi, ingest: AppProcess, consumers: list[AppProcess], partner: BankPartner, runtime: Runtime,
        session: Session) -> None:
    owner = linked_user(runtime, partner.partner_id)
    token = log_in(http, owner.email, owner.password)
    _send(ingest, partner, session, [_spend(owner.account_number, "-3.00", datetime.now(UTC) - timedelta(hours=1))])
    path = f"/me/accounts/{partner.partner_id}/{owner.account_number}"
    assert http.call("DELETE", path, token=token, params={"forget": "maybe"}).status == 400
    assert http.call("DELETE", path, token=token, params={"forget": "true"}).status == 204
    assert http.call("GET", "/me/transactions", token=token).body["transactions"] == []
    assert http.call("GET", "/me/summary", token=token).body["currencies"] == []
    assert Decimal(0) == sum((Decimal(b["spent"]) for b in http.call("GET", "/me/summary", token=token
                                                                     ).body["budgets"]), Decimal(0))
