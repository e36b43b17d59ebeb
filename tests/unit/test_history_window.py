"""Windows in the user's zone and the UTC partitions that cover them (DST included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from service.history.recategorise import past_days
from service.history.window import (
    InvalidMonth,
    Window,
    current_month,
    last_days,
    local_midnight,
    month_window,
    utc_month,
    utc_months,
)

UTC_ZONE = ZoneInfo("UTC")


def test_utc_user_days_are_the_partitions() -> None:
    window = last_days(30, UTC_ZONE, datetime(2026, 5, 10, 15, tzinfo=UTC))
    assert window == Window(datetime(2026, 4, 11, tzinfo=UTC), datetime(2026, 5, 11, tzinfo=UTC))
    days = window.utc_days()
    assert len(days) == 30 and days[0] == date(2026, 5, 10) and days[-1] == date(2026, 4, 11)


def test_a_zone_ahead_of_utc_shifts_the_window_and_spans_one_more_partition() -> None:
    zone = ZoneInfo("Pacific/Auckland")  # UTC+12 in May
    now = datetime(2026, 5, 10, 13, tzinfo=UTC)  # already 11 May, 01:00 in Auckland
    window = last_days(30, zone, now)
    assert window.start == datetime(2026, 4, 11, 12, tzinfo=UTC)  # 12 April 00:00 NZST
    assert window.end == datetime(2026, 5, 11, 12, tzinfo=UTC)
    days = window.utc_days()
    assert (days[0], days[-1], len(days)) == (date(2026, 5, 11), date(2026, 4, 11), 31)


def test_a_zone_behind_utc() -> None:
    zone = ZoneInfo("America/Los_Angeles")  # UTC-7 in May
    now = datetime(2026, 5, 10, 3, tzinfo=UTC)  # still 9 May, 20:00 in Los Angeles
    window = last_days(1, zone, now)
    assert window == Window(datetime(2026, 5, 9, 7, tzinfo=UTC), datetime(2026, 5, 10, 7, tzinfo=UTC))
    assert window.utc_days() == [date(2026, 5, 10), date(2026, 5, 9)]
    assert window.contains(datetime(2026, 5, 9, 7, tzinfo=UTC))
    assert not window.contains(datetime(2026, 5, 10, 7, tzinfo=UTC))


def test_spring_forward_makes_a_23_hour_day() -> None:
    berlin = ZoneInfo("Europe/Berlin")  # 29 March 2026: 02:00 CET → 03:00 CEST
    window = last_days(1, berlin, datetime(2026, 3, 29, 12, tzinfo=UTC))
    assert window.end - window.start == timedelta(hours=23)
    assert window.start == datetime(2026, 3, 28, 23, tzinfo=UTC)
    two = last_days(2, berlin, datetime(2026, 3, 30, 12, tzinfo=UTC))
    assert two.end - two.start == timedelta(hours=47)


def test_fall_back_makes_a_25_hour_day() -> None:
    window = last_days(1, ZoneInfo("Europe/Berlin"), datetime(2026, 10, 25, 12, tzinfo=UTC))
    assert window.end - window.start == timedelta(hours=25)


def test_a_midnight_skipped_by_dst_starts_the_day_at_its_first_real_instant() -> None:
    santiago = ZoneInfo("America/Santiago")  # 6 Sep 2026: 00:00 -04 → 01:00 -03, no local midnight
    start = local_midnight(date(2026, 9, 6), santiago)
    assert start == datetime(2026, 9, 6, 4, tzinfo=UTC)
    assert start.astimezone(santiago).hour == 1
    assert local_midnight(date(2026, 9, 7), santiago) - start == timedelta(hours=23)


def test_months_in_a_zone() -> None:
    tokyo = month_window("2026-03", ZoneInfo("Asia/Tokyo"))
    assert tokyo == Window(datetime(2026, 2, 28, 15, tzinfo=UTC), datetime(2026, 3, 31, 15, tzinfo=UTC))
    assert len(tokyo.utc_days()) == 32  # 31 local days over 32 UTC partitions
    assert utc_months(tokyo) == ["2026-02", "2026-03"]
    december = month_window("2026-12", UTC_ZONE)
    assert december.end == datetime(2027, 1, 1, tzinfo=UTC) and len(december.utc_days()) == 31
    assert current_month(ZoneInfo("Pacific/Kiritimati"), datetime(2026, 12, 31, 11, tzinfo=UTC)) == "2027-01"
    assert utc_month(datetime(2026, 3, 1, 8, tzinfo=ZoneInfo("Asia/Tokyo"))) == "2026-02"


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "26-01", "2026/01", "", "1969-12", " 2026-01"])
def test_bad_months(month: str) -> None:
    with pytest.raises(InvalidMonth):
        month_window(month, UTC_ZONE)


def test_apply_to_past_reads_400_days_and_tomorrow() -> None:
    days = past_days(datetime(2026, 5, 10, 23, tzinfo=UTC))
    assert days[0] == date(2026, 5, 11) and days[-1] == date(2026, 5, 10) - timedelta(days=399)
    assert len(days) == 401 and days == sorted(days, reverse=True)
