"""The order of a sign-up: input checked (nothing counted), then counted, then the bcrypt and
the writes, so a refused sign-up costs no bcrypt. Fakes stand in for the two repositories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from service.auth.ratelimit import FixedWindows
from service.auth.signup import TooManySignUps, sign_up
from service.repositories.ratelimits import WindowKey
from service.settings import Settings
from service.users.registration import NewUser, RegistrationError

NOW = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
SETTINGS = Settings.from_env(signups_per_hour=2, bcrypt_cost=4)


class FakeAttempts:
    def __init__(self) -> None:
        self.rows: dict[WindowKey, int] = {}

    def counts(self, keys: Sequence[WindowKey], caps: Sequence[int]) -> list[int]:
        return [min(self.rows.get(key, 0), cap) for key, cap in zip(keys, caps, strict=True)]

    def add(self, keys: Sequence[WindowKey], ttl_seconds: Sequence[int]) -> None:
        for key in keys:
            self.rows[key] = self.rows.get(key, 0) + 1


class FakeUsers:
    def __init__(self) -> None:
        self.created: list[tuple[str, str]] = []

    def create(self, email: str, name: str, password_hash: str, time_zone: str) -> Any:
        self.created.append((email, password_hash))
        return object()


def _sign_up(users: FakeUsers, attempts: FakeAttempts, email: str, address: str = "203.0.113.7") -> None:
    sign_up(users, FixedWindows(attempts), NewUser(email, "correct horse", "N"),  # type: ignore[arg-type]
            address=address, settings=SETTINGS, now=NOW)


def test_the_limit_refuses_before_the_bcrypt_and_the_writes() -> None:
    users, attempts = FakeUsers(), FakeAttempts()
    _sign_up(users, attempts, "a@example.com")
    _sign_up(users, attempts, "b@example.com")
    with pytest.raises(TooManySignUps) as refused:
        _sign_up(users, attempts, "c@example.com")
    assert refused.value.retry_after == 30 * 60  # the hour's window ends at 13:00
    assert [email for email, _ in users.created] == ["a@example.com", "b@example.com"]
    assert all(hashed.startswith("$2b$04$") for _, hashed in users.created)
    _sign_up(users, attempts, "d@example.com", address="203.0.113.8")  # its own window
    assert len(users.created) == 3


def test_invalid_input_is_refused_before_it_is_counted() -> None:
    users, attempts = FakeUsers(), FakeAttempts()
    for _ in range(5):
        with pytest.raises(RegistrationError):
            _sign_up(users, attempts, "not-an-address")
    assert attempts.rows == {} and users.created == []
