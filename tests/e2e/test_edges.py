"""The edges a bank, a user and an attacker reach over HTTP, end to end (gunicorn `ingest` and
`api`, two consumer processes, the bank simulator, RabbitMQ and Cassandra): a relink moves
the next transaction at once, an older version arriving late changes nothing, and whatever
the webhook accepts is stored."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from service.bootstrap import Runtime
from service.broker.topology import DEAD, INGEST
from service.repositories.held import HeldRepository
from service.settings import Settings
from tests.support import webhooks
from tests.support.api import HttpApi, new_session
from tests.support.bank import SimulatedBank
from tests.support.queues import ready_count
from tests.support.stack import AppProcess, wait_until
from tests.support.stored import rows_by_id, rows_of_user
from tests.support.webhooks import transaction


def _link(http: HttpApi, bank: SimulatedBank, token: str, account: str) -> None:
    answer = http.call("POST", "/me/accounts", token=token,
                       json={"partner_id": bank.partner.partner_id, "link_code": bank.link_code(account)})
    assert answer.status in (200, 201), answer.body


def _stored(session: Any, partner_id: str, tid: str, timeout: float = 30) -> Any:
    return wait_until(lambda: rows_by_id(session, partner_id, [tid]).get(tid), timeout=timeout,
                      message=f"{tid} stored")


def test_after_a_relink_the_next_webhook_is_the_new_owners_never_the_old(
        http: HttpApi, bank: SimulatedBank, ingest: AppProcess, consumers: list[AppProcess], session: Any) -> None:
    """A links, A's transactions flow (consumers learn the owner), A unlinks, B links, and a
    webhook arrives at once: its row is B's, in both tables, and A's list never shows it."""
    a_id, _, a_token = new_session(http)
    b_id, _, b_token = new_session(http)
    account = f"DE-{uuid.uuid4().hex[:12]}"
    _link(http, bank, a_token, account)
    for _ in range(3):  # reach both consumers, so each has seen A own the account
        warm = transaction(account_number=account)
        assert webhooks.post(ingest.url, bank.partner, [warm]).status_code == 202
        assert _stored(session, bank.partner.partner_id, warm["transaction_id"]).user_id == a_id

    assert http.call("DELETE", f"/me/accounts/{bank.partner.partner_id}/{account}", token=a_token).status == 204
    _link(http, bank, b_token, account)
    later = [transaction(account_number=account) for _ in range(4)]
    for t in later:
        assert webhooks.post(ingest.url, bank.partner, [t]).status_code == 202

    for t in later:
        row = _stored(session, bank.partner.partner_id, t["transaction_id"])
        assert row.user_id == b_id
        day = row.day.date()
        assert [r.transaction_id for r in rows_of_user(session, b_id, [day])
                if r.transaction_id == t["transaction_id"]] == [t["transaction_id"]]
        assert [r for r in rows_of_user(session, a_id, [day]) if r.transaction_id == t["transaction_id"]] == []
    assert not {r["transaction_id"] for r in http.call("GET", "/me/transactions", token=a_token).body[
        "transactions"]} & {t["transaction_id"] for t in later}


def test_a_late_retry_of_an_older_version_does_not_roll_back_the_amount(
        http: HttpApi, bank: SimulatedBank, ingest: AppProcess, consumers: list[AppProcess], session: Any,
        test_settings: Settings) -> None:
    """The bank sends -10.00, then a correction to -20.00 in another webhook; its late retry of
    the first (same webhook-id, re-signed) and a captured copy replayed within the signature
    window both arrive after it. The stored and listed amount stays -20.00."""
    _, _, token = new_session(http)
    account = f"DE-{uuid.uuid4().hex[:12]}"
    _link(http, bank, token, account)
    first = transaction(account_number=account, amount="-10.00")
    corrected = dict(first, amount="-20.00")
    first_id = f"wh-{uuid.uuid4().hex}"
    raw = webhooks.body([first])
    captured = webhooks.signed_headers(bank.partner, raw, webhook_id=first_id)
    assert requests.post(f"{ingest.url}/hook/transaction", data=raw, headers=captured, timeout=10).status_code == 202
    _stored(session, bank.partner.partner_id, first["transaction_id"])
    assert webhooks.post(ingest.url, bank.partner, [corrected]).status_code == 202
    wait_until(lambda: str(_stored(session, bank.partner.partner_id, first["transaction_id"]).amount) == "-20.00",
               message="the correction stored")

    assert webhooks.post(ingest.url, bank.partner, [first], webhook_id=first_id).status_code == 202  # re-signed retry
    assert requests.post(f"{ingest.url}/hook/transaction", data=raw, headers=captured,
                         timeout=10).status_code == 202  # the captured request, replayed as is
    drained_marker = transaction(account_number=account)
    assert webhooks.post(ingest.url, bank.partner, [drained_marker]).status_code == 202
    _stored(session, bank.partner.partner_id, drained_marker["transaction_id"])
    wait_until(lambda: ready_count(test_settings, INGEST) == 0, message="ingest queue empty")

    row = rows_by_id(session, bank.partner.partner_id, [first["transaction_id"]])[first["transaction_id"]]
    assert str(row.amount) == "-20.00"
    listed = {r["transaction_id"]: r for r in http.call("GET", "/me/transactions", token=token).body["transactions"]}
    assert listed[first["transaction_id"]]["amount"] == "-20.00"


def test_the_same_transaction_id_with_another_authorized_at_stays_one_row(
        http: HttpApi, bank: SimulatedBank, ingest: AppProcess, consumers: list[AppProcess], session: Any) -> None:
    user_id, _, token = new_session(http)
    account = f"DE-{uuid.uuid4().hex[:12]}"
    _link(http, bank, token, account)
    first_at = datetime.now(UTC) - timedelta(days=2, hours=3)
    first = transaction(account_number=account, authorized_at=first_at.isoformat())
    assert webhooks.post(ingest.url, bank.partner, [first]).status_code == 202
    _stored(session, bank.partner.partner_id, first["transaction_id"])
    moved = dict(first, status="settled", settled_at=datetime.now(UTC).isoformat(),
                 authorized_at=(first_at + timedelta(days=1)).isoformat())
    assert webhooks.post(ingest.url, bank.partner, [moved]).status_code == 202
    wait_until(lambda: _stored(session, bank.partner.partner_id, first["transaction_id"]).status == "settled",
               message="the settled version stored")

    days = [first_at.date() + timedelta(days=d) for d in range(3)]
    rows = [r for r in rows_of_user(session, user_id, days) if r.transaction_id == first["transaction_id"]]
    assert len(rows) == 1 and rows[0].day.date() == first_at.date() and rows[0].status == "settled"
    listed = [r for r in http.call("GET", "/me/transactions", token=token).body["transactions"]
              if r["transaction_id"] == first["transaction_id"]]
    assert len(listed) == 1


@pytest.mark.parametrize(("field", "value"), [
    ("authorized_at", "0001-01-01T00:00:00+14:00"),
    ("authorized_at", "1969-12-31T23:59:59Z"),
    ("settled_at", "0001-01-01T00:00:00+14:00"),
    ("updated_at", "2999-01-01T00:00:00Z"),
])
def test_an_instant_the_database_cannot_store_is_refused_at_the_door(
        ingest: AppProcess, bank: SimulatedBank, test_settings: Settings, field: str, value: str) -> None:
    before = ready_count(test_settings, INGEST)
    bad = transaction(status="settled", settled_at=datetime.now(UTC).isoformat())
    bad[field] = value
    response = webhooks.post(ingest.url, bank.partner, [transaction(), bad])
    assert response.status_code == 422, response.text
    assert {"index": 1, "field": field} in [{k: d[k] for k in ("index", "field")}
                                             for d in response.json()["details"]]
    assert ready_count(test_settings, INGEST) == before


def test_what_the_webhook_accepts_is_held_then_stored_byte_for_byte(
        http: HttpApi, bank: SimulatedBank, ingest: AppProcess, consumers: list[AppProcess], session: Any,
        test_settings: Settings, runtime: Runtime) -> None:
    """Unknown fields with numbers Python's json refuses (5,000 digits, 1e999999) are accepted,
    held for an unlinked account, and drained when the user links it: nothing dead."""
    dead_before = ready_count(test_settings, DEAD)
    account = f"DE-{uuid.uuid4().hex[:12]}"
    items = [transaction(account_number=account) for _ in range(2)]
    raw = ('{"transactions":[' + json.dumps(items[0])[:-1] + ', "bank_ref": ' + "7" * 5000 + "},"
           + json.dumps(items[1])[:-1] + ', "score": 1e999999}]}').encode()
    response = requests.post(f"{ingest.url}/hook/transaction", data=raw,
                             headers=webhooks.signed_headers(bank.partner, raw), timeout=10)
    assert response.status_code == 202, response.text
    held = HeldRepository(session)
    wait_until(lambda: sum(len(page) for page in held.of_account(bank.partner.partner_id, account)) == 2,
               message="both transactions held")

    _, _, token = new_session(http)
    _link(http, bank, token, account)
    for t in items:
        _stored(session, bank.partner.partner_id, t["transaction_id"])
    assert ready_count(test_settings, DEAD) == dead_before
