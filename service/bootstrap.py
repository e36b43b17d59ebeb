"""The one composition root: every process type (ingest and api instances, consumers,
operator commands) builds its dependencies through a Runtime.

Nothing connects when a Runtime is made: the Cassandra session and the broker publishers are
opened on first use, in the process that uses them, so gunicorn can fork safely; gunicorn's
post_worker_init hook calls `warm()` to pay the connection cost before the first request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from cassandra.cluster import Session
from flask import Flask

from service.broker.publisher import PublisherPool
from service.settings import Settings
from service.storage.session import connect, shutdown

R = TypeVar("R")


class UnsafeConfiguration(RuntimeError):
    """Production would run with a development secret."""


class Runtime:
    def __init__(self, settings: Settings, process: str, publisher_pool_size: int = 8,
                 repositories: tuple[type, ...] = ()) -> None:
        self.settings = settings
        self.process = process
        self.publisher_pool_size = publisher_pool_size
        self.warm_repositories = repositories  # prepared by warm(), before the first request
        self._lock = threading.RLock()
        self._session: Session | None = None
        self._publishers: PublisherPool | None = None
        self._singletons: dict[object, Any] = {}

    @property
    def session(self) -> Session:
        with self._lock:
            if self._session is None:
                self._session = connect(self.settings, keyspace=self.settings.keyspace)
            return self._session

    @property
    def publishers(self) -> PublisherPool:
        with self._lock:
            if self._publishers is None:
                self._publishers = PublisherPool(self.settings, self.publisher_pool_size)
            return self._publishers

    def repository(self, cls: type[R]) -> R:
        """The process's one instance of a repository class (built with the session)."""
        return self.singleton(cls, lambda: cls(self.session))  # type: ignore[call-arg]  # repositories take the session

    def singleton(self, key: object, factory: Callable[[], R]) -> R:
        """The process's one instance of anything (a repository, a cache, a client). The
        factory runs outside the lock: a slow prepare() must not stall every other thread."""
        with self._lock:
            if key in self._singletons:
                return self._singletons[key]
        made = factory()
        with self._lock:
            return self._singletons.setdefault(key, made)

    def check_cassandra(self) -> tuple[bool, str]:
        try:
            self.session.execute("SELECT release_version FROM system.local", timeout=2)
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", with the reason
            return False, f"cassandra: {type(exc).__name__}: {exc}"[:300]
        return True, "ok"

    def refuse_unsafe_production(self) -> None:
        """In production, no partner may still sign with the demo partner's published secret."""
        if not self.settings.production:
            return
        from service.repositories.partners import PartnerRepository
        from service.settings import DEMO_PARTNER_SECRET

        for partner in self.repository(PartnerRepository).list():
            if any(s.secret == DEMO_PARTNER_SECRET for s in partner.secrets):
                raise UnsafeConfiguration(f"partner {partner.partner_id} has the demo signing secret; "
                                          f"rotate it and retire the demo one")

    def warm(self) -> None:
        """Connects and prepares this process's repositories now (gunicorn: right after fork)."""
        _ = self.session
        for cls in self.warm_repositories:
            self.repository(cls)

    def close(self) -> None:
        with self._lock:
            if self._publishers is not None:
                self._publishers.close()
            shutdown(self._session)
            self._session, self._publishers = None, None
            self._singletons.clear()


def runtime(app: Flask) -> Runtime:
    rt: Runtime = app.extensions["tally"]
    return rt
