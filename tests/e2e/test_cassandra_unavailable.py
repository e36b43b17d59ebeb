"""Cassandra unavailable to one api and one ingest instance (a fault-injecting TCP proxy
between them and the shared node, which itself is never touched): every route that reads
Cassandra answers 503 + Retry-After in the error shape, never 500, with exactly one log line
saying why, and answers 200 again once Cassandra is reachable."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.settings import Settings
from tests.support import webhooks
from tests.support.api import PASSWORD, Answer, HttpApi, new_session
from tests.support.logs import reasons_of
from tests.support.stack import AppProcess, start_gunicorn, wait_until
from tests.support.tcp_proxy import TcpProxy
from tests.support.webhooks import BankPartner, transaction


@pytest.fixture(scope="module")
def proxy(test_settings: Settings) -> Iterator[TcpProxy]:
    with TcpProxy(test_settings.contact_points[0], test_settings.cassandra_port) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("through-proxy")


def _through(proxy: TcpProxy, settings: Settings, logs: Path) -> Settings:
    # A short client-side timeout: a frozen Cassandra answers 503 in about a second.
    return settings.replace(cassandra_hosts="127.0.0.1", cassandra_port=proxy.port, cassandra_request_timeout=1.0,
                            log_dir=str(logs), readiness_cache_seconds=0.1, partner_cache_seconds=0.1)


@pytest.fixture(scope="module")
def api(proxy: TcpProxy, test_settings: Settings, logs: Path) -> Iterator[AppProcess]:
    app = start_gunicorn("api", _through(proxy, test_settings, logs), logs, workers=1, threads=4)
    yield app
    app.stop()


@pytest.fixture(scope="module")
def ingest(proxy: TcpProxy, test_settings: Settings, logs: Path) -> Iterator[AppProcess]:
    app = start_gunicorn("ingest", _through(proxy, test_settings, logs), logs, workers=1, threads=4)
    yield app
    app.stop()


def _every_route(http: HttpApi, email: str, token: str) -> dict[str, Answer]:
    new_email = f"user-{uuid.uuid4().hex[:12]}@example.com"
    return {
        "sign-up": http.call("POST", "/users", json={"email": new_email, "password": PASSWORD, "name": "N"}),
        "login": http.call("POST", "/auth/login", json={"email": email, "password": PASSWORD}),
        "me": http.call("GET", "/me", token=token),
        "list": http.call("GET", "/me/transactions", token=token),
        "summary": http.call("GET", "/me/summary", token=token),
        "rules": http.call("GET", "/me/rules", token=token),
        "delete rule": http.call("DELETE", "/me/rules/acme", token=token),
        "patch": http.call("PATCH", "/me/transactions/bank-x/tx-1", token=token, json={"category": "fuel"}),
        "unlink": http.call("DELETE", "/me/accounts/bank-x/ACC-1", token=token),
        "readyz": http.call("GET", "/readyz"),
    }


def _assert_unavailable(answers: dict[str, Answer], log_file: Path) -> None:
    for route, answer in answers.items():
        assert answer.status == 503, (route, answer.status, answer.body)
        assert answer.body["error"] == "unavailable" and answer.body["message"], route
        assert int(answer.headers["Retry-After"]) > 0, route
        assert answer.headers["Content-Type"] == "application/json", route
        request_id = answer.body["request_id"]
        assert request_id == answer.headers["X-Request-Id"], route
        said = wait_until(lambda rid=request_id: reasons_of(log_file, rid), timeout=5, message=f"{route}'s log line")
        assert len(said) == 1, (route, said)  # exactly one line says why
        assert "cassandra" in said[0]["reason"].lower(), (route, said[0])
        assert said[0]["path"] and said[0]["status"] == 503


def _wait_for_200(http: HttpApi, token: str) -> None:
    wait_until(lambda: http.call("GET", "/me", token=token).status == 200, timeout=90,
               message="GET /me answering 200 after the proxy healed")


@pytest.mark.parametrize("fault", ["cut", "freeze"])
def test_api_answers_503_with_retry_after_while_cassandra_is_unreachable_then_200(
        fault: str, api: AppProcess, proxy: TcpProxy, logs: Path) -> None:
    http = HttpApi(api.url or "")
    wait_until(lambda: http.call("GET", "/readyz").status == 200, timeout=90, message="a previous outage over")
    _, email, token = new_session(http)
    assert http.call("GET", "/me/transactions", token=token).status == 200

    getattr(proxy, fault)()
    try:
        answers = _every_route(http, email, token)
        assert http.call("GET", "/livez").status == 200  # the process itself is fine
    finally:
        proxy.heal()
    _assert_unavailable(answers, logs / "api.log")

    _wait_for_200(http, token)
    assert http.call("POST", "/auth/login", json={"email": email, "password": PASSWORD}).status == 200
    assert http.call("GET", "/me/transactions", token=token).status == 200


def test_ingest_answers_503_never_500_while_cassandra_is_unreachable(
        ingest: AppProcess, proxy: TcpProxy, partner: BankPartner, logs: Path) -> None:
    wait_until(lambda: webhooks.post(ingest.url or "", partner, [transaction()]).status_code == 202, timeout=90,
               message="the webhook accepted with Cassandra reachable")
    http = HttpApi(ingest.url or "")
    proxy.cut()
    try:
        wait_until(lambda: http.call("GET", "/readyz").status == 503, timeout=10, message="ingest not ready")
        stranger = BankPartner(f"bank-{uuid.uuid4().hex[:8]}", partner.secret)  # never cached
        raw = webhooks.body([transaction()])
        lookup = http.call("POST", "/hook/transaction", data=raw, headers=webhooks.signed_headers(stranger, raw))
        readyz = http.call("GET", "/readyz")
    finally:
        proxy.heal()
    assert lookup.status == 503 and lookup.body["error"] == "unavailable", lookup.body
    _assert_unavailable({"readyz": readyz}, logs / "ingest.log")
    said = reasons_of(logs / "ingest.log", lookup.body["request_id"])
    assert len(said) == 1 and said[0]["path"] == "/hook/transaction", said
    assert int(lookup.headers["Retry-After"]) > 0
