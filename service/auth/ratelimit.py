"""Fixed-window limits on failed logins (DESIGN.md §7), shared by every api instance
through Cassandra: 10 failures per 15 minutes per (email, client address) and 50 per hour per
email (settings). Windows are aligned to the Unix epoch, so every instance computes the same
window for the same moment; a blocked client is told how long until its window ends.

A failure is recorded only in windows still under their limit, so a partition holds at most
`limit` rows (plus the few failures racing the same check); rows expire after one window.
A successful login does not reset the count: the limit bounds guesses, not sessions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from service.repositories.ratelimits import LoginAttemptRepository, WindowKey
from service.settings import Settings

PER_ADDRESS = "login:email+address"
PER_EMAIL = "login:email"


@dataclass(frozen=True)
class Limit:
    scope: str
    seconds: int
    max_failures: int


@dataclass(frozen=True)
class Check:
    """The windows of one login attempt, their failure counts, and how long to wait (None:
    the attempt may proceed)."""

    limits: tuple[Limit, ...]
    keys: tuple[WindowKey, ...]
    counts: tuple[int, ...]
    retry_after: int | None


def login_limits(settings: Settings) -> tuple[Limit, ...]:
    return (Limit(PER_ADDRESS, 15 * 60, settings.login_failures_per_15min),
            Limit(PER_EMAIL, 60 * 60, settings.login_failures_per_hour))


def window_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def seconds_left(now: datetime, seconds: int) -> int:
    """Whole seconds until the window holding `now` ends (at least 1: a Retry-After of 0
    would invite an immediate retry into the same window)."""
    end = window_start(now, seconds).timestamp() + seconds
    return max(1, math.ceil(end - now.timestamp()))


def subjects(email: str, address: str) -> dict[str, str]:
    return {PER_ADDRESS: f"{email} {address}", PER_EMAIL: email}


class LoginLimiter:
    def __init__(self, attempts: LoginAttemptRepository, limits: tuple[Limit, ...]) -> None:
        self.attempts = attempts
        self.limits = limits

    def check(self, email: str, address: str, now: datetime) -> Check:
        """Reads the failure counts of every window this attempt falls in (concurrently)."""
        named = subjects(email, address)
        keys = tuple(WindowKey(limit.scope, named[limit.scope], window_start(now, limit.seconds))
                     for limit in self.limits)
        counts = tuple(self.attempts.counts(keys, [limit.max_failures for limit in self.limits]))
        waits = [seconds_left(now, limit.seconds) for limit, count in zip(self.limits, counts, strict=True)
                 if count >= limit.max_failures]
        return Check(self.limits, keys, counts, max(waits) if waits else None)

    def record_failure(self, check: Check, now: datetime) -> None:
        """Adds the failure to each window not yet at its limit; rows live for one window."""
        open_windows = [(key, limit) for key, limit, count in zip(check.keys, check.limits, check.counts, strict=True)
                        if count < limit.max_failures]
        if open_windows:
            self.attempts.add([key for key, _ in open_windows], [limit.seconds for _, limit in open_windows])
