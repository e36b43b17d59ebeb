"""Fixed-window arithmetic of the login limits."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from service.auth.ratelimit import PER_ADDRESS, PER_EMAIL, login_limits, seconds_left, subjects, window_start
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


def test_limits_come_from_settings_and_subjects_separate_the_scopes() -> None:
    limits = login_limits(Settings.from_env(login_failures_per_15min=7, login_failures_per_hour=30))
    assert [(limit.scope, limit.seconds, limit.max_failures) for limit in limits] == [
        (PER_ADDRESS, 900, 7), (PER_EMAIL, 3600, 30)]
    assert subjects("a@example.com", "203.0.113.1") == {PER_ADDRESS: "a@example.com 203.0.113.1",
                                                        PER_EMAIL: "a@example.com"}
