"""Fixed-window limits shared by every api instance through Cassandra (`login_attempts`):
failed logins and sign-ups. Windows are aligned to the Unix epoch, so every instance computes
the same window for the same moment; a blocked client is told how long until its window ends.

Which windows a login counts in depends on the client (docs/api.md, "Login limits"): a client
presenting a valid device token for the email is limited per device only, so failures from
anyone else can never lock it out; every other client is limited per (email, address), per
address across emails (credential stuffing) and per email (guessing one account from many
addresses). A sign-up counts per client address, before its bcrypt.

An attempt is recorded only in windows still under their limit, so a partition holds at most
`limit` rows (plus the few attempts racing the same check); rows expire after one window.
A successful login does not reset the count: the limit bounds guesses, not sessions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from service.repositories.ratelimits import AttemptRepository, WindowKey
from service.settings import Settings

EMAIL_AT_ADDRESS = "login:email+address"
EMAIL = "login:email"
ADDRESS = "login:address"
DEVICE = "login:device"
SIGNUP = "signup:address"
ERASE = "erase:user"
QUARTER_HOUR, HOUR = 15 * 60, 60 * 60


@dataclass(frozen=True)
class Limit:
    scope: str
    seconds: int
    most: int  # attempts a window admits


@dataclass(frozen=True)
class Counted:
    """One window an attempt counts in: a limit and whom it counts (an email, an address…)."""

    limit: Limit
    subject: str


@dataclass(frozen=True)
class Check:
    """The windows of one attempt, their counts, and how long to wait (None: it may proceed)."""

    windows: tuple[Counted, ...]
    keys: tuple[WindowKey, ...]
    counts: tuple[int, ...]
    retry_after: int | None


def login_windows(settings: Settings, email: str, address: str, device_id: str | None) -> tuple[Counted, ...]:
    """Where a login's failures count: per device for a known device, else the three limits."""
    if device_id is not None:
        return (Counted(Limit(DEVICE, QUARTER_HOUR, settings.login_failures_per_15min), device_id),)
    return (Counted(Limit(EMAIL_AT_ADDRESS, QUARTER_HOUR, settings.login_failures_per_15min), f"{email} {address}"),
            Counted(Limit(ADDRESS, HOUR, settings.login_failures_per_address_per_hour), address),
            Counted(Limit(EMAIL, HOUR, settings.login_failures_per_hour), email))


def erase_windows(settings: Settings, user_id: str) -> tuple[Counted, ...]:
    """Wrong passwords given to erase an account, per user: a stolen token guesses no faster
    than a login from a known device."""
    return (Counted(Limit(ERASE, QUARTER_HOUR, settings.login_failures_per_15min), user_id),)


def signup_windows(settings: Settings, address: str) -> tuple[Counted, ...]:
    return (Counted(Limit(SIGNUP, HOUR, settings.signups_per_hour), address),)


def window_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def seconds_left(now: datetime, seconds: int) -> int:
    """Whole seconds until the window holding `now` ends (at least 1: a Retry-After of 0
    would invite an immediate retry into the same window)."""
    end = window_start(now, seconds).timestamp() + seconds
    return max(1, math.ceil(end - now.timestamp()))


class FixedWindows:
    def __init__(self, attempts: AttemptRepository) -> None:
        self.attempts = attempts

    def check(self, windows: Sequence[Counted], now: datetime) -> Check:
        """Reads the count of every window the attempt falls in (concurrently)."""
        keys = tuple(WindowKey(w.limit.scope, w.subject, window_start(now, w.limit.seconds)) for w in windows)
        counts = tuple(self.attempts.counts(keys, [w.limit.most for w in windows]))
        waits = [seconds_left(now, w.limit.seconds) for w, count in zip(windows, counts, strict=True)
                 if count >= w.limit.most]
        return Check(tuple(windows), keys, counts, max(waits) if waits else None)

    def record(self, check: Check) -> None:
        """Adds the attempt to each window not yet at its limit; rows live for one window."""
        open_windows = [(key, w.limit) for key, w, count in zip(check.keys, check.windows, check.counts, strict=True)
                        if count < w.limit.most]
        if open_windows:
            self.attempts.add([key for key, _ in open_windows], [limit.seconds for _, limit in open_windows])

    def forget(self, check: Check) -> None:
        """Deletes the attempts of the check's windows (they count someone who no longer exists)."""
        self.attempts.forget(check.keys)

    def take(self, windows: Sequence[Counted], now: datetime) -> int | None:
        """Counts an attempt that costs whether or not it succeeds (a sign-up): the seconds to
        wait when a window is full (nothing recorded), else None."""
        check = self.check(windows, now)
        if check.retry_after is None:
            self.record(check)
        return check.retry_after
