"""RabbitMQ restarted under running instances: no request fails on a connection that went
stale while the broker is back, and a link made while the broker was down still drains the
account's held transactions, with no further request."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from service.bootstrap import Runtime
from service.broker.topology import INGEST, LINKS
from service.repositories.held import HeldRepository
from service.settings import Settings
from tests.support import webhooks
from tests.support.api import HttpApi, new_session
from tests.support.bank import SimulatedBank
from tests.support.queues import drain
from tests.support.servers import broker_stopped
from tests.support.stack import AppProcess, running, start_consumer, wait_until
from tests.support.stored import rows_by_id
from tests.support.webhooks import transaction


def _link(http: HttpApi, bank: SimulatedBank, token: str, account: str) -> int:
    return http.call("POST", "/me/accounts", token=token,
                     json={"partner_id": bank.partner.partner_id, "link_code": bank.link_code(account)}).status


@pytest.mark.disruptive
def test_after_a_broker_restart_no_request_fails_on_a_stale_connection(
        ingest: AppProcess, api: AppProcess, bank: SimulatedBank, test_settings: Settings) -> None:
    http = HttpApi(api.url or "")
    tokens = [new_session(http)[2] for _ in range(4)]
    # Fill every worker's publisher pool (2 workers x 4 threads on each instance) with idle connections.
    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(lambda _: webhooks.post(ingest.url, bank.partner, [transaction()]).status_code,
                            range(48))) == {202}
        assert set(pool.map(lambda i: _link(http, bank, tokens[i % 4], f"DE-{uuid.uuid4().hex[:12]}"),
                            range(24))) == {201}

    with broker_stopped():
        pass  # every pooled connection is now closed by the broker; the broker is back when this ends

    statuses = [webhooks.post(ingest.url, bank.partner, [transaction()]).status_code for _ in range(200)]
    assert statuses == [202] * 200, {s: statuses.count(s) for s in set(statuses)}
    links = [_link(http, bank, tokens[i % 4], f"DE-{uuid.uuid4().hex[:12]}") for i in range(20)]
    assert links == [201] * 20
    drain(test_settings, INGEST)
    drain(test_settings, LINKS)


@pytest.mark.disruptive
def test_a_link_made_while_the_broker_is_down_drains_the_held_transactions_without_a_retry(
        ingest: AppProcess, api: AppProcess, bank: SimulatedBank, runtime: Runtime, session: Any,
        test_settings: Settings, log_dir: Path) -> None:
    http = HttpApi(api.url or "")
    _, _, token = new_session(http)
    account = f"DE-{uuid.uuid4().hex[:12]}"
    held = [transaction(account_number=account) for _ in range(20)]
    ids = [t["transaction_id"] for t in held]
    consumer = start_consumer(test_settings, log_dir, "outbox", TALLY_LINK_SWEEP_SECONDS="3")
    with running(consumer):
        assert webhooks.post(ingest.url, bank.partner, held).status_code == 202
        wait_until(lambda: sum(len(p) for p in HeldRepository(session).of_account(bank.partner.partner_id,
                                                                                  account)) == 20,
                   message="the transactions held for the unlinked account")
        code = bank.link_code(account)
        with broker_stopped():
            answer = http.call("POST", "/me/accounts", token=token,
                               json={"partner_id": bank.partner.partner_id, "link_code": code})
            assert answer.status == 201, answer.body  # the link stands: the outbox carries its event
        wait_until(lambda: len(rows_by_id(session, bank.partner.partner_id, ids)) == 20, timeout=90,
                   message="the held transactions drained by the outbox sweep")
    listed = http.call("GET", "/me/transactions", token=token).body["transactions"]
    assert sorted(r["transaction_id"] for r in listed) == sorted(ids)
