"""Fixed-window arithmetic, and which windows a login or a sign-up counts in."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from service.auth.ratelimit import (
    ADDRESS,
    DEVICE,
    EMAIL,
    EMAIL_AT_ADDRESS,
    SIGNUP,
    login_windows,
    seconds_left,
    signup_windows,
    window_start,
)
from service.settings import Settings


@pytest.mark.parametrize(("moment", "seconds", "start", "left"), [
    (datetime(2026, 5, 10, 12, 0, 0, tzinfo=UTC), 900, datetime(2026, 5, 10, 12, 0, tzinfo=UTC), 900),
    (datetime(2026, 5, 10, 12, 14, 59, 500000, tzinfo=UTC), 900, datetime(2026, 5, 10, 12, 0, tzinfo=UTC), 1),
    (datetime(2026, 5, 10, 12, 15, 0, tzinfo=UTC), 900, datetime(2026, 5, 10, 12, 15, tzinfo=UTC), 900),
    (datetime(2026, 5, 10, 12, 7, 30, 250000, tzinfo=UTC), 900, datetime(2026, 5, 10, 12, 0, tzinfo=UTC), 450),
    (datetime(2026, 5, 10, 12, 59, 0, tzinfo=UTC), 3600, datetime(2026, 5, 10, 12, 0, tzinfo=UTC), 60),
])
def test_windows_are_epoch_aligned_and_retry_after_rounds_up(
        moment: datetime, seconds: int, start: datetime, left: int) -> None:
    assert window_start(moment, seconds) == start
    assert seconds_left(moment, seconds) == left


def test_every_instance_agrees_on_the_window_whatever_the_zone_of_now() -> None:
    moment = datetime(2026, 5, 10, 12, 7, tzinfo=UTC)
    assert window_start(moment.astimezone(ZoneInfo("Asia/Kolkata")), 900) == window_start(moment, 900)


SETTINGS = Settings.from_env(login_failures_per_15min=7, login_failures_per_hour=30,
                             login_failures_per_address_per_hour=90, signups_per_hour=4)


def _described(windows: tuple) -> list[tuple[str, int, int, str]]:  # type: ignore[type-arg]
    return [(w.limit.scope, w.limit.seconds, w.limit.most, w.subject) for w in windows]


def test_an_unknown_device_counts_per_email_and_address_per_address_and_per_email() -> None:
    assert _described(login_windows(SETTINGS, "a@example.com", "203.0.113.1", None)) == [
        (EMAIL_AT_ADDRESS, 900, 7, "a@example.com 203.0.113.1"),
        (ADDRESS, 3600, 90, "203.0.113.1"),
        (EMAIL, 3600, 30, "a@example.com")]


def test_a_known_device_counts_per_device_only_never_per_email() -> None:
    assert _described(login_windows(SETTINGS, "a@example.com", "203.0.113.1", "dev-1")) == [
        (DEVICE, 900, 7, "dev-1")]


def test_sign_ups_count_per_address() -> None:
    assert _described(signup_windows(SETTINGS, "203.0.113.1")) == [(SIGNUP, 3600, 4, "203.0.113.1")]
