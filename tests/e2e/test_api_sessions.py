"""Sessions and the login limit through gunicorn: the limit is shared by two api instances
(it lives in Cassandra), logout and expiry end a token."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.auth.ratelimit import seconds_left
from service.settings import Settings
from tests.support.api import HttpApi, log_in, new_session
from tests.support.stack import AppProcess, start_gunicorn


@pytest.fixture(scope="module")
def second_api(test_settings: Settings, log_dir: Path) -> Iterator[AppProcess]:
    app = start_gunicorn("api", test_settings, log_dir, workers=1, threads=2)
    yield app
    app.stop()


def test_the_limit_holds_across_two_api_instances_with_retry_after(
        api: AppProcess, second_api: AppProcess, test_settings: Settings) -> None:
    if seconds_left(datetime.now(UTC), 900) < 20:  # windows are epoch-aligned: do not straddle an edge
        time.sleep(seconds_left(datetime.now(UTC), 900) + 0.1)
    one, two = HttpApi(api.url or ""), HttpApi(second_api.url or "")
    _, email = new_session(one)[:2]
    limit = test_settings.login_failures_per_15min
    statuses = [(one, two)[n % 2].call("POST", "/auth/login", json={"email": email, "password": "wrong!"}).status
                for n in range(limit)]
    assert statuses == [401] * limit
    for instance in (one, two):
        blocked = instance.call("POST", "/auth/login", json={"email": email, "password": "wrong!"})
        assert blocked.status == 429 and blocked.body["error"] == "too_many_requests"
        assert 1 <= int(blocked.headers["Retry-After"]) <= 900
        assert blocked.body["request_id"] == blocked.headers["X-Request-Id"]


def test_logout_on_one_instance_ends_the_token_on_both(api: AppProcess, second_api: AppProcess) -> None:
    one, two = HttpApi(api.url or ""), HttpApi(second_api.url or "")
    _, email, token = new_session(one)
    assert two.call("GET", "/me", token=token).status == 200  # sessions are shared state, not per process
    assert two.call("POST", "/auth/logout", token=token).status == 204
    for instance in (one, two):
        answer = instance.call("GET", "/me", token=token)
        assert answer.status == 401 and answer.body["error"] == "invalid_token"
    assert one.call("GET", "/me", token=log_in(one, email)).status == 200


def test_an_expired_token_is_401(test_settings: Settings, log_dir: Path) -> None:
    short = start_gunicorn("api", test_settings.replace(session_ttl_seconds=2), log_dir, workers=1, threads=2)
    try:
        http = HttpApi(short.url or "")
        _, _, token = new_session(http)
        assert http.call("GET", "/me/rules", token=token).status == 200
        time.sleep(2.5)
        answer = http.call("GET", "/me/rules", token=token)
        assert answer.status == 401 and answer.body["error"] == "invalid_token"
    finally:
        short.stop()
