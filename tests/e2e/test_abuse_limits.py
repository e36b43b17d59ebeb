"""The abuse limits through gunicorn, with client addresses as nginx forwards them (one
trusted hop): an attacker who spends the per-email budget from several addresses cannot lock
the victim out of their known device, brute force stays bounded however it is spread, and
sign-ups are limited per address across api instances (the counts live in Cassandra)."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.auth.devices import device_of
from service.auth.ratelimit import seconds_left
from service.settings import Settings
from tests.support.api import PASSWORD, Answer, HttpApi
from tests.support.stack import start_gunicorn

PER_EMAIL_AT_ADDRESS, PER_EMAIL, PER_ADDRESS, SIGNUPS = 4, 10, 12, 3


@pytest.fixture(scope="module")
def limited(test_settings: Settings) -> Settings:
    return test_settings.replace(trusted_proxy_hops=1, login_failures_per_15min=PER_EMAIL_AT_ADDRESS,
                                 login_failures_per_hour=PER_EMAIL, login_failures_per_address_per_hour=PER_ADDRESS,
                                 signups_per_hour=SIGNUPS)


@pytest.fixture(scope="module")
def apis(limited: Settings, log_dir: Path) -> Iterator[tuple[HttpApi, HttpApi]]:
    apps = [start_gunicorn("api", limited, log_dir, workers=1, threads=4) for _ in range(2)]
    yield HttpApi(apps[0].url or ""), HttpApi(apps[1].url or "")
    for app in apps:
        app.stop()


@pytest.fixture(autouse=True)
def away_from_a_window_edge() -> None:
    """Windows are epoch-aligned (every 15 min, hours included): a test must not straddle an end."""
    wait = seconds_left(datetime.now(UTC), 900)
    if wait < 40:
        time.sleep(wait + 0.5)


def _address() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"  # noqa: S311


def _login(http: HttpApi, email: str, password: str, address: str, device_token: str | None = None) -> Answer:
    body = {"email": email, "password": password, **({"device_token": device_token} if device_token else {})}
    answer = http.call("POST", "/auth/login", json=body, headers={"X-Forwarded-For": address})
    if answer.status == 429:
        assert answer.body["error"] == "too_many_requests" and 1 <= int(answer.headers["Retry-After"]) <= 3600
    return answer


def _sign_up(http: HttpApi, address: str, email: str | None = None) -> Answer:
    email = email or f"user-{uuid.uuid4().hex[:12]}@example.com"
    return http.call("POST", "/users", json={"email": email, "password": PASSWORD, "name": "N"},
                     headers={"X-Forwarded-For": address})


def _victim(http: HttpApi) -> tuple[str, str, str]:
    """(email, the address they log in from, the device token of their phone)"""
    home, email = _address(), f"victim-{uuid.uuid4().hex[:10]}@example.com"
    assert _sign_up(http, home, email).status == 201
    answer = _login(http, email, PASSWORD, home)
    assert answer.status == 200 and answer.body["device_token"], answer.body
    return email, home, answer.body["device_token"]


def test_spending_the_per_email_budget_from_several_addresses_does_not_lock_out_a_known_device(
        apis: tuple[HttpApi, HttpApi], limited: Settings) -> None:
    one, two = apis
    email, home, phone = _victim(one)
    attacker = [_address() for _ in range(3)]
    statuses = [_login((one, two)[n % 2], email, f"guess-{n}", address).status
                for address in attacker for n in range(PER_EMAIL_AT_ADDRESS)]
    assert statuses == [401] * PER_EMAIL + [429] * (len(statuses) - PER_EMAIL)  # the email's budget is spent
    assert _login(one, email, "guess-x", _address()).status == 429  # from any further address too

    for instance in (one, two):  # the victim's phone: from home, and even from an attacker's address
        for address in (home, attacker[0]):
            answer = _login(instance, email, PASSWORD, address, device_token=phone)
            assert answer.status == 200, answer.body
            assert device_of(answer.body["device_token"], email, limited.device_secret, datetime.now(UTC)) == \
                device_of(phone, email, limited.device_secret, datetime.now(UTC))  # renewed, the same device
            assert instance.call("GET", "/me", token=answer.body["token"]).status == 200
    # A new device has no proof yet: it waits for the email's window like the attacker.
    assert _login(one, email, PASSWORD, home).status == 429


def test_guessing_stays_bounded_for_untrusted_clients_and_for_a_stolen_device_token(
        apis: tuple[HttpApi, HttpApi]) -> None:
    one, two = apis
    email, _, phone = _victim(one)
    attacker = _address()
    # From one address: the (email, address) window.
    statuses = [_login(one, email, f"guess-{n}", attacker).status for n in range(PER_EMAIL_AT_ADDRESS + 2)]
    assert statuses == [401] * PER_EMAIL_AT_ADDRESS + [429] * 2
    # Credential stuffing, one address over many emails: the address window (12), whatever the email.
    stuffer = _address()
    statuses = [_login((one, two)[n % 2], f"someone-{uuid.uuid4().hex[:8]}@example.com", "hunter2", stuffer).status
                for n in range(PER_ADDRESS + 2)]
    assert statuses == [401] * PER_ADDRESS + [429] * 2
    assert _login(one, email, PASSWORD, stuffer).status == 429  # even with the right password
    # A stolen device token is limited per device: 4 guesses, then not even the right password.
    statuses = [_login(two, email, f"guess-{n}", _address(), device_token=phone).status
                for n in range(PER_EMAIL_AT_ADDRESS)]
    assert statuses == [401] * PER_EMAIL_AT_ADDRESS
    assert _login(one, email, PASSWORD, _address(), device_token=phone).status == 429
    # A device token of another account proves nothing here: the untrusted limits apply.
    _, other_home, other_phone = _victim(one)
    assert _login(one, email, "guess", other_home, device_token=other_phone).status == 401


def test_sign_ups_are_limited_per_address_across_instances(apis: tuple[HttpApi, HttpApi]) -> None:
    one, two = apis
    address = _address()
    first = _sign_up(one, address)
    assert first.status == 201
    assert _sign_up(two, address, first.body["email"]).status == 409  # taken: it cost a bcrypt, so it counts
    assert _sign_up(one, address).status == 201
    for instance in (one, two):
        refused = _sign_up(instance, address)
        assert refused.status == 429, refused.body
        assert refused.body["error"] == "too_many_requests" and 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert _sign_up(two, _address()).status == 201  # another address has its own window
    invalid = _sign_up(one, address, "not-an-address")
    assert invalid.status == 422  # checked before it is counted: a typo costs nothing
