"""Every 503 writes exactly one log line saying why (request id, path, internal reason), and
the client gets the error shape with Retry-After but never the reason. Here the broker is
unreachable to one instance (its AMQP URL names a port nothing listens on) and a bank's API is
down; Cassandra's 503s are in test_cassandra_unavailable.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.bootstrap import Runtime
from service.repositories.partners import new_secret
from service.settings import Settings
from tests.support import webhooks
from tests.support.api import Answer, HttpApi, new_session
from tests.support.bank import SimulatedBank, start_simulated_bank
from tests.support.logs import lines_of, reasons_of
from tests.support.stack import AppProcess, free_port, start_gunicorn, wait_until
from tests.support.webhooks import BankPartner, transaction


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("unavailable-reasons")


@pytest.fixture(scope="module")
def no_broker(test_settings: Settings, logs: Path) -> Settings:
    return test_settings.replace(amqp_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/nowhere", log_dir=str(logs),
                                 bank_api_timeout=1.0)


@pytest.fixture(scope="module")
def ingest(no_broker: Settings, logs: Path) -> Iterator[AppProcess]:
    app = start_gunicorn("ingest", no_broker, logs, workers=1, threads=2)
    yield app
    app.stop()


@pytest.fixture(scope="module")
def api(no_broker: Settings, logs: Path) -> Iterator[AppProcess]:
    app = start_gunicorn("api", no_broker, logs, workers=1, threads=2)
    yield app
    app.stop()


@pytest.fixture(scope="module")
def bank(runtime: Runtime, log_dir: Path) -> Iterator[SimulatedBank]:
    simulated = start_simulated_bank(runtime, log_dir)
    yield simulated
    simulated.sim.stop()


def _one_reason(answer: Answer, log_file: Path, error: str, says: str) -> None:
    assert answer.status == 503, answer.body
    assert answer.body["error"] == error and int(answer.headers["Retry-After"]) > 0
    assert set(answer.body) == {"error", "message", "request_id"}  # the reason stays internal
    request_id = answer.body["request_id"]
    said = wait_until(lambda: reasons_of(log_file, request_id), timeout=5, message="the 503's log line")
    assert len(said) == 1, said
    assert says in said[0]["reason"] and said[0]["path"] and said[0]["level"] == "WARNING", said[0]
    assert len([line for line in lines_of(log_file, request_id) if line["level"] != "INFO"]) == 1


def test_a_webhook_the_broker_cannot_confirm_logs_one_line(ingest: AppProcess, partner: BankPartner,
                                                           logs: Path) -> None:
    raw = webhooks.body([transaction()])
    answer = HttpApi(ingest.url or "").call("POST", "/hook/transaction", data=raw,
                                            headers=webhooks.signed_headers(partner, raw))
    _one_reason(answer, logs / "ingest.log", "unavailable", "publish not confirmed")


def test_a_link_whose_event_cannot_be_queued_stands_and_logs_one_line(api: AppProcess, bank: SimulatedBank,
                                                                      logs: Path) -> None:
    """Not a 503: the link is made and the outbox carries its event (test_broker_restart.py
    shows the held transactions drain), but the log says why the event waits."""
    http = HttpApi(api.url or "")
    _, _, token = new_session(http)
    code = bank.link_code(f"DE-{uuid.uuid4().hex[:12]}")
    answer = http.call("POST", "/me/accounts", token=token,
                       json={"partner_id": bank.partner.partner_id, "link_code": code})
    assert answer.status == 201, answer.body
    said = wait_until(lambda: [line for line in lines_of(logs / "api.log", answer.headers["X-Request-Id"])
                               if line["level"] == "WARNING"], timeout=5, message="the link's log line")
    assert len(said) == 1 and "outbox" in said[0]["message"] and said[0]["error"], said


def test_a_bank_that_does_not_answer_logs_one_line(api: AppProcess, runtime: Runtime, logs: Path) -> None:
    http = HttpApi(api.url or "")
    _, _, token = new_session(http)
    down = f"bank-{uuid.uuid4().hex[:8]}"
    runtime.partners().add(down, down, f"http://127.0.0.1:{free_port()}", "token", new_secret())
    answer = http.call("POST", "/me/accounts", token=token, json={"partner_id": down, "link_code": "ABCD-EFGH"})
    _one_reason(answer, logs / "api.log", "bank_unavailable", "bank unavailable")
