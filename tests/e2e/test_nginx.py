"""nginx in front of the ingest and api instances, as deployed (deploy/nginx/tally.conf), started
by `scripts/nginx` itself: routing, /metrics denied, the two 413s, JSON errors, request ids."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from service.broker.topology import INGEST
from service.settings import Settings
from tests.support import webhooks
from tests.support.queues import drain
from tests.support.stack import ROOT, AppProcess, free_port, start_gunicorn, wait_until
from tests.support.webhooks import BankPartner, transaction

NGINX_REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")  # nginx's $request_id
APP_LIMIT = 1_048_576  # TALLY_MAX_BODY_BYTES


@contextlib.contextmanager
def nginx(var: Path, ingest_port: int, api_port: int) -> Iterator[str]:
    """`scripts/nginx start` with every file under `var`; yields its base URL; stops it."""
    port = free_port()
    env = dict(os.environ, TALLY_VAR=str(var), TALLY_NGINX_PORT=str(port),
               TALLY_INGEST_PORT=str(ingest_port), TALLY_API_PORT=str(api_port))
    script = str(ROOT / "scripts" / "nginx")
    started = subprocess.run([script, "start"], env=env, capture_output=True, text=True, timeout=300)
    assert started.returncode == 0, started.stderr
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stopped = subprocess.run([script, "stop"], env=env, capture_output=True, text=True, timeout=60)
        assert stopped.returncode == 0, stopped.stderr


@pytest.fixture(scope="module")
def api_behind_proxy(test_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    """An api instance configured as in production behind nginx (one trusted hop), with its own
    log directory so the test can read its request lines."""
    logs = tmp_path_factory.mktemp("api-behind-nginx")
    app = start_gunicorn("api", test_settings, logs, TALLY_TRUSTED_PROXY_HOPS="1", TALLY_LOG_DIR=str(logs))
    yield app
    app.stop()


@pytest.fixture(scope="module")
def proxy_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nginx-var")


@pytest.fixture(scope="module")
def proxy(ingest: AppProcess, api_behind_proxy: AppProcess, proxy_var: Path) -> Iterator[str]:
    with nginx(proxy_var, ingest.port, api_behind_proxy.port) as url:
        yield url


def access_log(var: Path, request_id: str) -> dict[str, object]:
    """nginx's JSON access-log line of one request. Polled: a request nginx refused is logged
    only once it has discarded the rest of the body (lingering close), after the answer."""
    def find() -> dict[str, object] | None:
        for line in (var / "log" / "nginx-access.log").read_text().splitlines():
            entry = json.loads(line)
            if entry["request_id"] == request_id:
                return dict(entry)
        return None

    return wait_until(find, timeout=10, message=f"the access-log line of {request_id}")


def app_log(app_logs: Path, request_id: str) -> dict[str, object]:
    for line in (app_logs / "api.log").read_text().splitlines():
        entry = json.loads(line)
        if entry.get("request_id") == request_id and entry.get("message") == "request":
            return dict(entry)
    raise AssertionError(f"no api request line for {request_id}")


def assert_json_error(response: requests.Response, status: int, error: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == error
    assert body["message"]
    assert body["request_id"] == response.headers["X-Request-Id"]
    assert NGINX_REQUEST_ID.match(response.headers["X-Request-Id"])
    return dict(body)


def test_signed_webhook_through_nginx_is_accepted_with_nginx_request_id(
        proxy: str, proxy_var: Path, ingest: AppProcess, partner: BankPartner, test_settings: Settings) -> None:
    drain(test_settings, INGEST)

    response = webhooks.post(proxy, partner, [transaction()])

    assert response.status_code == 202, response.text
    request_id = response.headers["X-Request-Id"]
    assert NGINX_REQUEST_ID.match(request_id)
    # The app used the id nginx passed upstream: in its body and in the queued message.
    assert response.json() == {"accepted": 1, "request_id": request_id}
    assert [m.headers["request_id"] for m in drain(test_settings, INGEST)] == [request_id]
    logged = access_log(proxy_var, request_id)
    assert (logged["method"], logged["status"], logged["partner_id"]) == ("POST", 202, partner.partner_id)
    assert logged["upstream"] == f"127.0.0.1:{ingest.port}"


def test_everything_but_hook_goes_to_api(proxy: str, proxy_var: Path, api_behind_proxy: AppProcess,
                                         ingest: AppProcess) -> None:
    api_addr, ingest_addr = f"127.0.0.1:{api_behind_proxy.port}", f"127.0.0.1:{ingest.port}"
    for path in ("/livez", "/readyz"):
        response = requests.get(f"{proxy}{path}", timeout=10)
        assert response.status_code == 200, response.text
        assert access_log(proxy_var, response.headers["X-Request-Id"])["upstream"] == api_addr
    # A route only the api instance registers.
    categories = requests.get(f"{proxy}/categories", timeout=10)
    assert categories.status_code == 200, categories.text
    assert "groceries" in {c["slug"] for c in categories.json()["categories"]}
    # An unknown path: the api app's own JSON 404, passed through (not an nginx page).
    missing = requests.get(f"{proxy}/no-such-page", timeout=10)
    assert_json_error(missing, 404, "not_found")
    logged = access_log(proxy_var, missing.headers["X-Request-Id"])
    assert (logged["upstream"], logged["upstream_status"]) == (api_addr, "404")
    # /hook/ is ingest's: a GET there is ingest's 405, not the api's 404.
    wrong_method = requests.get(f"{proxy}/hook/transaction", timeout=10)
    assert_json_error(wrong_method, 405, "method_not_allowed")
    assert access_log(proxy_var, wrong_method.headers["X-Request-Id"])["upstream"] == ingest_addr


def test_client_address_is_the_one_nginx_saw_not_a_forged_header(
        proxy: str, api_behind_proxy: AppProcess, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Connect from 127.0.0.2 (all of 127/8 is loopback) so the address nginx sees differs from
    # the one gunicorn sees (nginx's own, 127.0.0.1); the client also forges X-Forwarded-For.
    parts = urlsplit(proxy)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10,
                                            source_address=("127.0.0.2", 0))
    connection.request("GET", "/no-such-page", headers={"X-Forwarded-For": "203.0.113.9",
                                                        "X-Request-Id": "client-chosen-id-0001"})
    response = connection.getresponse()
    response.read()
    connection.close()

    request_id = response.getheader("X-Request-Id") or ""
    assert NGINX_REQUEST_ID.match(request_id), "nginx replaces a client's X-Request-Id with its own"
    logged = app_log(api_behind_proxy.log_path.parent, request_id)
    assert logged["remote_addr"] == "127.0.0.2"


def test_metrics_are_denied_with_json_403(proxy: str) -> None:
    for path in ("/metrics", "/metrics/", "/metrics?name=x"):
        assert_json_error(requests.get(f"{proxy}{path}", timeout=10), 403, "forbidden")


def test_body_just_over_the_app_limit_gets_the_apps_413(proxy: str, proxy_var: Path, partner: BankPartner) -> None:
    raw = b'{"transactions": [' + b" " * (APP_LIMIT + 50 * 1024) + b"]}"  # ≈ 1.05 MiB

    # Fifty times over one keepalive connection: when the app left the refused body unread,
    # about one in ten came back as nginx's 502 (a reset upstream connection), not the 413.
    with requests.Session() as client:
        statuses = [client.post(f"{proxy}/hook/transaction", data=raw,
                                headers=webhooks.signed_headers(partner, raw), timeout=30)
                    for _ in range(50)]

    assert [r.status_code for r in statuses] == [413] * 50, {r.status_code for r in statuses}
    response = statuses[-1]
    body = assert_json_error(response, 413, "payload_too_large")
    assert str(APP_LIMIT) in str(body["message"])  # the app's message names its own limit
    assert access_log(proxy_var, response.headers["X-Request-Id"])["upstream_status"] == "413"


def test_body_far_over_the_limit_gets_nginx_json_413(proxy: str, proxy_var: Path, partner: BankPartner) -> None:
    raw = b'{"transactions": [' + b" " * (3 * APP_LIMIT) + b"]}"

    response = requests.post(f"{proxy}/hook/transaction", data=raw,
                             headers=webhooks.signed_headers(partner, raw), timeout=30)

    body = assert_json_error(response, 413, "payload_too_large")
    assert "proxy" in str(body["message"])
    logged = access_log(proxy_var, response.headers["X-Request-Id"])
    assert (logged["method"], logged["upstream"]) == ("POST", "")  # never reached an instance


def test_upstream_down_is_json_502(tmp_path: Path, partner: BankPartner) -> None:
    nothing = free_port()  # no process listens there
    with nginx(tmp_path, nothing, nothing) as url:
        for response in (requests.get(f"{url}/livez", timeout=10), webhooks.post(url, partner, [transaction()])):
            assert_json_error(response, 502, "bad_gateway")


@pytest.mark.parametrize(("path", "burst"), [("/auth/login", 20), ("/users", 5)])
def test_logins_and_sign_ups_over_nginx_rate_get_its_json_429_with_retry_after(
        proxy: str, proxy_var: Path, path: str, burst: int) -> None:
    invalid = {"email": "not-an-address", "password": "x", "name": "n"}  # a quick 422 from the app
    with requests.Session() as client:
        responses = [client.post(f"{proxy}{path}", json=invalid, timeout=10) for _ in range(burst + 15)]
    statuses = [r.status_code for r in responses]
    assert statuses[:burst] == [422] * burst, statuses  # the burst reaches the app
    refused = [r for r in responses if r.status_code == 429]
    assert len(refused) >= 10 and set(statuses) == {422, 429}, statuses
    assert_json_error(refused[0], 429, "too_many_requests")
    assert refused[0].headers["Retry-After"] == "10"
    assert access_log(proxy_var, refused[0].headers["X-Request-Id"])["upstream"] == ""  # never reached the app


def test_other_routes_have_no_nginx_rate(proxy: str) -> None:
    with requests.Session() as client:
        assert {client.get(f"{proxy}/categories", timeout=10).status_code for _ in range(40)} == {200}
