"""Fixed-window counters (`login_attempts`, named after its first use: failed logins; sign-ups
count there too, under their own scope): one partition per (scope, subject, window start),
one TTL'd row per attempt. Callers stop adding rows once a window is at its limit, so no
partition grows past the limit (plus the few requests racing the check)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cassandra.cluster import Session


@dataclass(frozen=True)
class WindowKey:
    scope: str
    subject: str
    window_start: datetime


class AttemptRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._count = session.prepare(
            "SELECT attempt_id FROM login_attempts WHERE scope = ? AND subject = ? AND window_start = ? LIMIT ?")
        self._count.is_idempotent = True
        # attempt_id is a client-made timeuuid, so a retried insert rewrites the same row.
        self._add = session.prepare(
            "INSERT INTO login_attempts (scope, subject, window_start, attempt_id) VALUES (?, ?, ?, ?) USING TTL ?")
        self._add.is_idempotent = True
        self._forget = session.prepare(
            "DELETE FROM login_attempts WHERE scope = ? AND subject = ? AND window_start = ?")
        self._forget.is_idempotent = True

    def counts(self, keys: Sequence[WindowKey], caps: Sequence[int]) -> list[int]:
        """Attempts recorded in each window, counted up to its cap (reads run concurrently)."""
        futures = [self.session.execute_async(self._count, (k.scope, k.subject, k.window_start, max(cap, 1)))
                   for k, cap in zip(keys, caps, strict=True)]
        return [len(list(future.result())) for future in futures]

    def forget(self, keys: Sequence[WindowKey]) -> None:
        """Deletes these windows' attempts (an erased user's own window)."""
        futures = [self.session.execute_async(self._forget, (k.scope, k.subject, k.window_start)) for k in keys]
        for future in futures:
            future.result()

    def add(self, keys: Sequence[WindowKey], ttl_seconds: Sequence[int]) -> None:
        futures = [self.session.execute_async(self._add, (k.scope, k.subject, k.window_start, uuid.uuid1(), ttl))
                   for k, ttl in zip(keys, ttl_seconds, strict=True)]
        for future in futures:
            future.result()
