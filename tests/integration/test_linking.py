"""POST /me/accounts against a real bank simulator process: the link-code exchange, the LWT
claim, the account_linked event, and every way the bank can fail."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from service.bootstrap import Runtime
from service.broker.topology import LINKS
from service.repositories.partners import new_secret
from service.settings import Settings
from service.users.linking import republish_pending
from tests.support.api import InProcessApi, in_process, new_session
from tests.support.bank import SimulatedBank, start_simulated_bank
from tests.support.queues import body_bytes, drain
from tests.support.stack import free_port


@pytest.fixture(scope="module")
def bank(runtime: Runtime, log_dir: Path) -> Iterator[SimulatedBank]:
    simulated = start_simulated_bank(runtime, log_dir)
    yield simulated
    simulated.sim.stop()


@pytest.fixture(scope="module")
def api(test_settings: Settings) -> Iterator[InProcessApi]:
    with in_process(test_settings.replace(bank_api_timeout=1.0)) as client:
        yield client


def _account() -> str:
    return f"DE-{uuid.uuid4().hex[:12]}"


def _link(api: InProcessApi, token: str, partner_id: str, code: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    answer = api.call("POST", "/me/accounts", token=token, json={"partner_id": partner_id, "link_code": code})
    return answer.status, answer.body


def test_a_link_code_links_the_account_once_and_publishes_account_linked(
        api: InProcessApi, bank: SimulatedBank, test_settings: Settings) -> None:
    drain(test_settings, LINKS)
    user_id, _, token = new_session(api)
    account, partner_id = _account(), bank.partner.partner_id
    status, body = _link(api, token, partner_id, bank.link_code(account, ["card-a", "card-b"]))
    assert status == 201, body
    assert body == {"partner_id": partner_id, "account_number": account, "card_ids": ["card-a", "card-b"]}
    events = [json.loads(body_bytes(m)) for m in drain(test_settings, LINKS)]
    assert {"type": "account_linked", "partner_id": partner_id, "account_number": account,
            "user_id": str(user_id)} in [{k: v for k, v in e.items() if k != "outbox_hour"} for e in events]

    again = _link(api, token, partner_id, bank.link_code(account, ["card-a", "card-b"]))
    assert again[0] == 200 and again[1]["account_number"] == account
    me = api.call("GET", "/me", token=token).body
    assert [(a["partner_id"], a["account_number"], a["card_ids"]) for a in me["accounts"]] == [
        (partner_id, account, ["card-a", "card-b"])]
    assert me["accounts"][0]["linked_at"] and me["last_transaction_at"] is None


def test_another_users_account_is_409_and_cannot_be_unlinked_by_them(
        api: InProcessApi, bank: SimulatedBank) -> None:
    _, _, owner = new_session(api)
    _, _, other = new_session(api)
    account, partner_id = _account(), bank.partner.partner_id
    assert _link(api, owner, partner_id, bank.link_code(account))[0] == 201
    status, body = _link(api, other, partner_id, bank.link_code(account))
    assert status == 409 and body["error"] == "account_taken"
    assert api.call("DELETE", f"/me/accounts/{partner_id}/{account}", token=other).status == 404
    assert api.call("GET", "/me", token=other).body["accounts"] == []
    assert api.call("DELETE", f"/me/accounts/{partner_id}/{account}", token=owner).status == 204
    assert api.call("DELETE", f"/me/accounts/{partner_id}/{account}", token=owner).status == 404
    assert api.call("GET", "/me", token=owner).body["accounts"] == []
    assert _link(api, other, partner_id, bank.link_code(account))[0] == 201  # free again


def test_unknown_or_used_codes_and_unknown_partners_are_422(
        api: InProcessApi, bank: SimulatedBank, runtime: Runtime) -> None:
    _, _, token = new_session(api)
    partner_id = bank.partner.partner_id
    status, body = _link(api, token, partner_id, "NOPE-NOPE-NOPE")
    assert status == 422 and body["error"] == "invalid_link_code" and body["details"][0]["field"] == "link_code"
    code = bank.link_code(_account())
    assert _link(api, token, partner_id, code)[0] == 201
    assert _link(api, token, partner_id, code)[1]["error"] == "invalid_link_code"  # one-time
    status, body = _link(api, token, "no-such-bank", bank.link_code(_account()))
    assert status == 422 and body["details"][0]["field"] == "partner_id"
    silent = f"bank-{uuid.uuid4().hex[:8]}"  # a partner that only sends webhooks
    runtime.partners().add(silent, silent, None, None, new_secret())
    assert _link(api, token, silent, "ABCD")[0] == 422
    for bad in ({"partner_id": partner_id}, {"partner_id": "a/b", "link_code": "x"},
                {"partner_id": partner_id, "link_code": 1234}, {"partner_id": partner_id, "link_code": ""}):
        assert api.call("POST", "/me/accounts", token=token, json=bad).status == 422, bad


def test_bank_failures_are_502_or_503_json(
        api: InProcessApi, bank: SimulatedBank, runtime: Runtime, test_settings: Settings) -> None:
    _, _, token = new_session(api)
    partners = runtime.partners()
    down = f"bank-{uuid.uuid4().hex[:8]}"
    partners.add(down, down, f"http://127.0.0.1:{free_port()}", "token", new_secret())
    status, body = _link(api, token, down, "ABCD-EFGH")
    assert status == 503 and body["error"] == "bank_unavailable"

    with socket.socket() as silent:  # accepts connections, never answers: the read timeout
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        slow = f"bank-{uuid.uuid4().hex[:8]}"
        partners.add(slow, slow, f"http://127.0.0.1:{silent.getsockname()[1]}", "token", new_secret())
        answer = api.call("POST", "/me/accounts", token=token, json={"partner_id": slow, "link_code": "ABCD"})
        assert answer.status == 503 and answer.headers["Retry-After"]

    wrong_token = f"bank-{uuid.uuid4().hex[:8]}"
    partners.add(wrong_token, wrong_token, bank.sim.url, "not-the-token", new_secret())
    status, body = _link(api, token, wrong_token, bank.link_code(_account()))
    assert status == 502 and body["error"] == "bank_error" and body["request_id"]

    requests.post(f"{bank.sim.url}/sim/config", json={"error_rate": 1.0}, timeout=5).raise_for_status()
    try:
        status, body = _link(api, token, bank.partner.partner_id, "ABCD-EFGH")
    finally:
        requests.post(f"{bank.sim.url}/sim/config", json={"error_rate": 0.0}, timeout=5).raise_for_status()
    assert status == 503 and body["error"] == "bank_unavailable"


def test_the_outbox_sweep_republishes_a_link_until_it_is_drained(
        api: InProcessApi, bank: SimulatedBank, runtime: Runtime, test_settings: Settings) -> None:
    """A link whose event was lost (written to the outbox, never drained) is published again by
    the sweep, at most once per two grace periods, and never after a consumer drained it."""
    outbox = runtime.link_outbox()
    drain(test_settings, LINKS)
    user_id, _, token = new_session(api)
    account = _account()
    assert _link(api, token, bank.partner.partner_id, bank.link_code(account))[0] == 201
    drain(test_settings, LINKS)  # the event is lost

    grace = timedelta(seconds=30)
    later = datetime.now(UTC) + grace + timedelta(seconds=1)

    def republished(at: datetime) -> list[dict[str, Any]]:
        republish_pending(outbox, runtime.publishers, at, grace)
        events = (json.loads(body_bytes(m)) for m in drain(test_settings, LINKS))
        return [e for e in events if e["account_number"] == account]

    first = republished(later)
    assert len(first) == 1 and first[0]["user_id"] == str(user_id)
    assert republished(later + grace) == []  # republished within two grace periods: not yet again
    assert len(republished(later + 3 * grace)) == 1  # still not drained: again
    outbox.mark_drained(datetime.fromisoformat(first[0]["outbox_hour"]), bank.partner.partner_id, account,
                        datetime.now(UTC))
    assert republished(later + 6 * grace) == []
