"""The one composition root: every process type — the ingest and api instances, consumers,
operator commands, tests and benchmarks — builds what it uses here, through the named
factories of a Runtime (`rt.partners()`, `rt.pipeline()`, …), and asks for it by name.

Nothing connects when a Runtime is made: the Cassandra session and the broker publishers are
opened on first use, in the process that uses them, so gunicorn can fork safely; gunicorn's
post_worker_init hook calls `warm()` to pay the connection cost before the first request.
Each factory builds its object once per process (thread-safe, the building done outside the
lock so a slow prepare() never stalls other threads). Imports happen inside the factories:
an operator command pays only for what it uses.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from cassandra.cluster import Session
from flask import Flask

from service.broker.publisher import PublisherPool
from service.settings import Settings
from service.storage.session import connect, shutdown

if TYPE_CHECKING:
    from cachetools import TTLCache

    from service.auth.ratelimit import FixedWindows
    from service.banks.client import PartnerApiClient
    from service.merchants.lookup import MerchantLookupClient
    from service.pipeline.processor import TransactionPipeline
    from service.repositories.accounts import AccountRepository
    from service.repositories.backfill import CheckpointRepository
    from service.repositories.budgets import BudgetRepository
    from service.repositories.changes import ChangeLogRepository
    from service.repositories.first_seen import FirstSeenRepository
    from service.repositories.held import HeldRepository
    from service.repositories.history import HistoryRepository
    from service.repositories.link_outbox import LinkOutboxRepository
    from service.repositories.merchants import MerchantRepository
    from service.repositories.overrides import CategoryOverrideRepository
    from service.repositories.partners import CachedPartners, PartnerRepository
    from service.repositories.ratelimits import AttemptRepository
    from service.repositories.reconcile import TallyView
    from service.repositories.rules import UserRuleRepository
    from service.repositories.sessions import SessionRepository
    from service.repositories.transactions import TransactionRepository
    from service.repositories.users import User, UserRepository
    from service.users.erasure import UserErasure

R = TypeVar("R")
USER_CACHE_SECONDS = 60.0  # a user's zone and profile, for list reads: one Cassandra round trip less each


class UnsafeConfiguration(RuntimeError):
    """Production would run with a development secret."""


class Runtime:
    def __init__(self, settings: Settings, publisher_pool_size: int = 8,
                 warm: Sequence[Callable[[Runtime], object]] = ()) -> None:
        self.settings = settings
        self.publisher_pool_size = publisher_pool_size
        self._warm = warm  # factories to run in warm(), before the first request
        self._lock = threading.RLock()
        self._session: Session | None = None
        self._publishers: PublisherPool | None = None
        self._built: dict[str, Any] = {}

    # -- connections ------------------------------------------------------------------------
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

    def _once(self, name: str, build: Callable[[], R]) -> R:
        with self._lock:
            if name in self._built:
                return self._built[name]
        made = build()
        with self._lock:
            return self._built.setdefault(name, made)

    # -- repositories (service/repositories: all CQL lives there) -----------------------------
    def accounts(self) -> AccountRepository:
        from service.repositories.accounts import AccountRepository
        return self._once("accounts", lambda: AccountRepository(self.session))

    def attempts(self) -> AttemptRepository:
        from service.repositories.ratelimits import AttemptRepository
        return self._once("attempts", lambda: AttemptRepository(self.session))

    def budgets(self) -> BudgetRepository:
        from service.repositories.budgets import BudgetRepository
        return self._once("budgets", lambda: BudgetRepository(self.session))

    def changes(self) -> ChangeLogRepository:
        """The sync feed's change log, written by consumers and the api alike."""
        from service.repositories.changes import ChangeLogRepository
        return self._once("changes", lambda: ChangeLogRepository(self.session))

    def checkpoints(self) -> CheckpointRepository:
        from service.repositories.backfill import CheckpointRepository
        return self._once("checkpoints", lambda: CheckpointRepository(self.session))

    def first_seen(self) -> FirstSeenRepository:
        from service.repositories.first_seen import FirstSeenRepository
        return self._once("first_seen", lambda: FirstSeenRepository(self.session, self.settings.webhook_id_ttl_days))

    def held(self) -> HeldRepository:
        from service.repositories.held import HeldRepository
        return self._once("held", lambda: HeldRepository(self.session, self.settings.held_ttl_days))

    def history(self) -> HistoryRepository:
        from service.repositories.history import HistoryRepository
        return self._once("history", lambda: HistoryRepository(self.session))

    def link_outbox(self) -> LinkOutboxRepository:
        from service.repositories.link_outbox import LinkOutboxRepository
        return self._once("link_outbox", lambda: LinkOutboxRepository(self.session))

    def merchants(self) -> MerchantRepository:
        from service.repositories.merchants import MerchantRepository
        return self._once("merchants", lambda: MerchantRepository(self.session))

    def overrides(self) -> CategoryOverrideRepository:
        from service.repositories.overrides import CategoryOverrideRepository
        return self._once("overrides", lambda: CategoryOverrideRepository(self.session))

    def partners(self) -> PartnerRepository:
        from service.repositories.partners import PartnerRepository
        return self._once("partners", lambda: PartnerRepository(self.session))

    def rules(self) -> UserRuleRepository:
        from service.repositories.rules import UserRuleRepository
        return self._once("rules", lambda: UserRuleRepository(self.session))

    def sessions(self) -> SessionRepository:
        from service.repositories.sessions import SessionRepository
        return self._once("sessions", lambda: SessionRepository(self.session))

    def tally_view(self) -> TallyView:
        from service.repositories.reconcile import TallyView
        return self._once("tally_view", lambda: TallyView(self.session))

    def transactions(self) -> TransactionRepository:
        from service.repositories.transactions import TransactionRepository
        return self._once("transactions", lambda: TransactionRepository(self.session))

    def users(self) -> UserRepository:
        from service.repositories.users import UserRepository
        return self._once("users", lambda: UserRepository(self.session))

    # -- what the processes build on them -------------------------------------------------------
    def cached_partners(self) -> CachedPartners:
        """Partners through a short in-process cache (ingest and consumers)."""
        from service.repositories.partners import CachedPartners
        return self._once("cached_partners", lambda: CachedPartners(self.partners(),
                                                                    self.settings.partner_cache_seconds))

    def user_cache(self) -> TTLCache[uuid.UUID, User]:
        from cachetools import TTLCache
        return self._once("user_cache", lambda: TTLCache(10_000, USER_CACHE_SECONDS))

    def limit_windows(self) -> FixedWindows:
        """The fixed-window counters of logins and sign-ups, shared by every api instance."""
        from service.auth.ratelimit import FixedWindows
        return self._once("limit_windows", lambda: FixedWindows(self.attempts()))

    def dummy_password_hash(self) -> str:
        """One bcrypt hash at the real cost, checked for an unknown email so that its login
        costs what a known one does (made when the api app is made: docs/api.md)."""
        from service.auth.passwords import dummy_hash
        return self._once("dummy_password_hash", lambda: dummy_hash(self.settings.bcrypt_cost))

    def erasure(self) -> UserErasure:
        """What `DELETE /me` erases a user with (service/users/erasure.py)."""
        from service.users.erasure import UserErasure
        return self._once("erasure", lambda: UserErasure(
            users=self.users(), sessions=self.sessions(), accounts=self.accounts(), history=self.history(),
            overrides=self.overrides(), rules=self.rules(), budgets=self.budgets(), changes=self.changes(),
            outbox=self.link_outbox(), windows=self.limit_windows(), settings=self.settings))

    def bank_client(self) -> PartnerApiClient:
        from service.banks.client import PartnerApiClient
        return self._once("bank_client", lambda: PartnerApiClient(self.settings.bank_api_timeout))

    def merchant_client(self) -> MerchantLookupClient:
        from service.merchants.lookup import MerchantLookupClient
        return self._once("merchant_client", lambda: MerchantLookupClient(self.settings, self.merchants()))

    def pipeline(self) -> TransactionPipeline:
        """A consumer's pipeline: with the merchant-lookup layer unless MERCHANT_API_URL is
        empty; rows the API did not answer in time are published to tally.enrich."""
        return self._once("pipeline", self.build_pipeline)

    def build_pipeline(self, changes: ChangeLogRepository | None = None) -> TransactionPipeline:
        """A new pipeline on this runtime's parts (tests race two, as two consumers would, and
        may give it a change log of their own)."""
        from service.pipeline.classify import ClassificationStep, LocalLayers
        from service.pipeline.enrichment import EnrichmentSink, WithMerchantLookup
        from service.pipeline.processor import TransactionPipeline

        classifier: ClassificationStep = LocalLayers()
        enrich_later = None
        if self.settings.merchant_api_url:
            classifier = WithMerchantLookup(self.merchant_client())
            enrich_later = EnrichmentSink(self.publishers)
        return TransactionPipeline(accounts=self.accounts(), held=self.held(), rules=self.rules(),
                                   transactions=self.transactions(), sightings=self.first_seen(),
                                   changes=changes or self.changes(), classifier=classifier, enrich_later=enrich_later)

    # -- lifecycle ----------------------------------------------------------------------------------
    def check_cassandra(self) -> tuple[bool, str]:
        """Whether Tally's keyspace answers at its consistency level: a point read of a
        replicated table at LOCAL_QUORUM, so a cluster that lost its quorum is not ready (a
        read of `system.local` is answered by any one live node while every write fails, and
        consumers paused on it resumed at once, cycling their held batches toward the
        delivery limit)."""
        try:
            self.session.execute("SELECT version FROM schema_migrations WHERE version = 0", timeout=2)
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", with the reason
            return False, f"cassandra: {type(exc).__name__}: {exc}"[:300]
        return True, "ok"

    def refuse_unsafe_production(self) -> None:
        """In production, no partner may still sign with the demo partner's published secret."""
        if not self.settings.production:
            return
        from service.settings import DEMO_PARTNER_SECRET

        for partner in self.partners().list():
            if any(s.secret == DEMO_PARTNER_SECRET for s in partner.secrets):
                raise UnsafeConfiguration(f"partner {partner.partner_id} has the demo signing secret; "
                                          f"rotate it and retire the demo one")

    def warm(self) -> None:
        """Connects and builds this process's `warm` factories now (gunicorn: right after fork)."""
        _ = self.session
        for factory in self._warm:
            factory(self)

    def close(self) -> None:
        with self._lock:
            if self._publishers is not None:
                self._publishers.close()
            shutdown(self._session)
            self._session, self._publishers = None, None
            self._built.clear()


def runtime(app: Flask) -> Runtime:
    rt: Runtime = app.extensions["tally"]
    return rt
