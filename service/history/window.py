"""Time windows in the user's time zone, and the UTC day partitions that cover them.

Transactions are partitioned by the UTC day of `authorized_at` (docs/design.md, "A transaction's life"), but a user's
"last 30 days" or "May" starts at *their* local midnight. A window is the half-open UTC interval
[start, end) between two local midnights; `utc_days()` lists the partitions that can hold rows
of it (newest first), and rows are kept only if start <= authorized_at < end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>0[1-9]|1[0-2])$")
_TICK = timedelta(milliseconds=1)  # Cassandra timestamps have millisecond precision


class InvalidMonth(ValueError):
    pass


@dataclass(frozen=True)
class Window:
    start: datetime  # UTC, inclusive
    end: datetime    # UTC, exclusive

    def utc_days(self) -> list[date]:
        """Every UTC day overlapping [start, end), newest first."""
        first, last = self.start.astimezone(UTC).date(), (self.end - _TICK).astimezone(UTC).date()
        return [last - timedelta(days=n) for n in range((last - first).days + 1)]

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`, in UTC. Where a DST jump skips midnight itself
    (America/Santiago, Asia/Beirut …) zoneinfo resolves the missing 00:00 with the offset
    before the jump, which is exactly the day's first real instant."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def last_days(days: int, zone: ZoneInfo, now: datetime) -> Window:
    """The last `days` local calendar days, today included: from local midnight `days - 1`
    days ago to the coming local midnight (so today's later transactions, which a bank may
    date slightly ahead, are not cut off at `now`)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    today = now.astimezone(zone).date()
    return Window(local_midnight(today - timedelta(days=days - 1), zone),
                  local_midnight(today + timedelta(days=1), zone))


def month_window(month: str, zone: ZoneInfo) -> Window:
    """The calendar month 'YYYY-MM' in `zone`. Raises InvalidMonth for anything else."""
    found = MONTH.match(month)
    if found is None:
        raise InvalidMonth(f"{month!r} is not a month YYYY-MM (01..12)")
    year, number = int(found["year"]), int(found["month"])
    if not 1970 <= year <= 9998:
        raise InvalidMonth(f"{month!r} is outside 1970..9998")
    following = date(year + number // 12, number % 12 + 1, 1)
    return Window(local_midnight(date(year, number, 1), zone), local_midnight(following, zone))


def current_month(zone: ZoneInfo, now: datetime) -> str:
    return now.astimezone(zone).strftime("%Y-%m")


def utc_month(moment: datetime) -> str:
    """The `category_overrides` partition of a transaction: 'YYYY-MM' of authorized_at (UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m")


def utc_months(window: Window) -> list[str]:
    """Every UTC month overlapping the window (the override partitions a summary reads)."""
    return sorted({day.strftime("%Y-%m") for day in window.utc_days()})
