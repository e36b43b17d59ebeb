"""The failed-login limits, stored in Cassandra, with the client address through ProxyFix."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import pytest
from cassandra.cluster import Session

from service.auth.ratelimit import EMAIL, EMAIL_AT_ADDRESS, seconds_left, window_start
from service.settings import Settings
from tests.support.api import PASSWORD, InProcessApi, in_process, sign_up


@pytest.fixture(autouse=True)
def away_from_a_window_edge() -> None:
    """Windows are epoch-aligned (every 15 min); a test must not straddle a window's end."""
    wait = seconds_left(datetime.now(UTC), 900)
    if wait < 20:
        time.sleep(wait + 0.1)


def _fail(api: InProcessApi, email: str, forwarded_for: str | None = None, address: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else None
    answer = api.call("POST", "/auth/login", json={"email": email, "password": "wrong password"}, headers=headers,
                      address=address)
    if answer.status == 429:
        retry_after = int(answer.headers["Retry-After"])
        assert 1 <= retry_after <= 3600
        assert answer.body["error"] == "too_many_requests" and answer.body["request_id"]
    return answer.status


def _login(api: InProcessApi, email: str, forwarded_for: str) -> int:
    return api.call("POST", "/auth/login", json={"email": email, "password": PASSWORD},
                    headers={"X-Forwarded-For": forwarded_for}).status


def test_limits_per_forwarded_address_and_per_email_behind_one_trusted_proxy(test_settings: Settings) -> None:
    settings = test_settings.replace(trusted_proxy_hops=1, login_failures_per_15min=4, login_failures_per_hour=10)
    with in_process(settings) as api:
        _, email = sign_up(api)
        assert [_fail(api, email, "203.0.113.1") for _ in range(5)] == [401] * 4 + [429]
        assert _login(api, email, "203.0.113.1") == 429  # the right password too: the limit bounds guessing
        # nginx appends the peer it saw: the client is the last X-Forwarded-For entry
        assert _fail(api, email, "198.51.100.9, 203.0.113.2") == 401
        assert _login(api, email, "203.0.113.2") == 200
        assert [_fail(api, email, "203.0.113.3") for _ in range(4)] == [401] * 4
        assert _fail(api, email, "203.0.113.4") == 401  # the 10th failure of this email in the hour
        assert _fail(api, email, "203.0.113.5") == 429  # per email, whatever the address
        assert _login(api, email, "203.0.113.6") == 429


def test_without_trusted_proxies_x_forwarded_for_is_ignored(test_settings: Settings) -> None:
    settings = test_settings.replace(trusted_proxy_hops=0, login_failures_per_15min=3)
    with in_process(settings) as api:
        _, email = sign_up(api)
        statuses = [_fail(api, email, f"203.0.113.{n}") for n in range(4)]
        assert statuses == [401, 401, 401, 429]  # rotating a spoofed header does not escape the limit
        assert _fail(api, email, address="192.0.2.7") == 401  # another real peer has its own window


def test_unknown_emails_are_limited_too_and_partitions_stay_bounded(
        test_settings: Settings, session: Session) -> None:
    settings = test_settings.replace(login_failures_per_15min=3, login_failures_per_hour=5)
    with in_process(settings) as api:
        email = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
        statuses = [_fail(api, email, address="192.0.2.1") for _ in range(8)]
        assert statuses == [401] * 3 + [429] * 5
        statuses = [_fail(api, email, address="192.0.2.2") for _ in range(4)]
        assert statuses == [401, 401, 429, 429]  # 3 + 2 = the hourly 5
    now = datetime.now(UTC)
    count = session.prepare("SELECT COUNT(*) FROM login_attempts WHERE scope = ? AND subject = ? AND window_start = ?")
    per_address = session.execute(count, (EMAIL_AT_ADDRESS, f"{email} 192.0.2.1", window_start(now, 900))).one()[0]
    per_email = session.execute(count, (EMAIL, email, window_start(now, 3600))).one()[0]
    assert (per_address, per_email) == (3, 5)  # nothing written past the limits
