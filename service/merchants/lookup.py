"""Tally's client of the third-party merchant-lookup API (docs/design.md, "Categories", the `merchant_api` layer).

    client = MerchantLookupClient(settings, MerchantRepository(session))
    result = client.lookup_many([MerchantQuery(key, name, mcc, city, country), ...])
    result.answered[key]  # MerchantInfo, or None: the API knows no such merchant
    result.unanswered     # keys without an answer in time: classify with the lower layers,
                          # publish to tally.enrich, and let re-enrichment upgrade them later

Order per key: in-process LRU → Cassandra cache (one concurrent read for the batch) → API.
API answers are written to both caches (30 days when found, 1 day for "not found"), also when
they arrive after the batch deadline. The API's own vocabulary is mapped to Tally's slugs at
READ time (API_CATEGORIES), so a better mapping applies to cached answers at once; an API
category with no Tally equivalent gives a found merchant with `category=None`, which the
classifier treats like "not found" (the lower layers decide), and is cached like any answer.
MERCHANT_API_URL empty switches the API off: cache hits still answer, the rest is unanswered.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import pybreaker
import requests
from cachetools import TTLCache
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from service.repositories.merchants import MerchantInfo
from service.settings import Settings

__all__ = ["API_CATEGORIES", "LookupResult", "MerchantInfo", "MerchantLookupClient", "MerchantQuery",
           "MerchantLookupStats", "tally_category"]

log = logging.getLogger("tally.merchant_api")

FOUND_TTL = 30 * 24 * 3600
NOT_FOUND_TTL = 24 * 3600  # short: a merchant the API does not know yet may be added soon
# The LRU is a hot front for the Cassandra cache, not a second source of truth: an hour keeps
# it coherent with rows an operator deletes or rewrites.
LRU_TTL = 3600
SEARCH_PATH = "/v1/merchants/search"

_TALLY_TO_API: dict[str, tuple[str, ...]] = {
    "groceries": ("supermarket", "grocery_store", "convenience_store", "bakery", "butcher"),
    "dining_out": ("restaurant", "fast_food", "coffee_shop", "bar", "food_delivery"),
    "entertainment": ("cinema", "streaming_service", "music_streaming", "video_games", "event_tickets",
                      "amusement_park", "museum"),
    "transport": ("rideshare", "taxi", "public_transit", "railway", "bus_line", "micromobility",
                  "car_sharing", "parking", "auto_service", "toll_road"),
    "fuel": ("gas_station", "ev_charging"),
    "shopping": ("online_marketplace", "clothing_store", "department_store", "electronics_store",
                 "furniture_store", "sporting_goods", "bookstore", "pet_store", "florist", "gift_shop",
                 "toy_store", "shoe_store", "jewelry_store"),
    "travel": ("airline", "travel_agency", "vacation_rental", "hotel", "car_rental"),
    "utilities": ("telecom", "internet_provider", "electric_utility", "gas_utility", "water_utility"),
    "housing": ("rent", "property_management", "home_improvement", "home_repair"),
    "health": ("pharmacy", "medical", "dentist", "optician", "hospital", "fitness"),
    "personal_care": ("drugstore", "cosmetics_store", "hair_salon", "beauty_salon", "spa"),
    "education": ("education", "online_course", "language_school", "school", "university"),
    "services": ("professional_services", "postal_service", "courier", "insurance", "software_subscription",
                 "laundry", "veterinary", "legal_services", "tax_preparation"),
    "fees": ("bank_fee", "government"),
    "cash": ("atm",),
    "transfers": ("money_transfer", "p2p_payment", "crypto_exchange", "investment"),
    "income": ("payroll", "government_benefit", "pension"),
    "other": ("charity", "religious_organization"),
}
API_CATEGORIES: dict[str, str] = {api: slug for slug, apis in _TALLY_TO_API.items() for api in apis}


def tally_category(api_category: str | None) -> str | None:
    """Tally's slug for an API category; None when Tally has no equivalent (e.g. 'gambling')."""
    return API_CATEGORIES.get(api_category or "")


@dataclass(frozen=True)
class MerchantQuery:
    merchant_key: str
    name: str
    mcc: str | None = None
    city: str | None = None
    country: str | None = None


@dataclass
class LookupResult:
    answered: dict[str, MerchantInfo | None] = field(default_factory=dict)
    unanswered: set[str] = field(default_factory=set)


@dataclass
class MerchantLookupStats:
    """Cumulative counters of one client (for metrics). `api_calls` counts lookups that reached
    the API (retries included in one call); `unanswered` counts keys given back unanswered."""

    lookups: int = 0
    lru_hits: int = 0
    cassandra_hits: int = 0
    cassandra_errors: int = 0
    api_calls: int = 0
    api_found: int = 0
    api_not_found: int = 0
    api_errors: int = 0
    breaker_rejections: int = 0
    unanswered: int = 0
    unmapped_categories: int = 0


class MerchantCache(Protocol):
    """The Cassandra cache (service.repositories.merchants.MerchantRepository)."""

    def get_many(self, keys: Iterable[str]) -> dict[str, MerchantInfo]: ...

    def put(self, info: MerchantInfo, ttl_seconds: int) -> None: ...


class MerchantApiError(Exception):
    """The API gave no usable answer (5xx, 401, garbage); counts as a breaker failure."""


class _Breaker(pybreaker.CircuitBreakerListener):
    """pybreaker's CircuitBreaker, used without serialising the calls.

    CircuitBreaker.call() holds the breaker's lock for the whole guarded call, so wrapping the
    HTTP request in it would allow one lookup at a time. Instead `admit()` decides from the
    breaker's state before a request (at most one probe while half-open) and `record()` replays
    the request's outcome through call(), which updates pybreaker's counters and state.
    """

    def __init__(self, failures: int, reset_seconds: float) -> None:
        self._reset = reset_seconds
        self._lock = threading.Lock()
        self._opened_at = 0.0
        self._probing = False
        self._cb = pybreaker.CircuitBreaker(fail_max=max(1, failures), reset_timeout=reset_seconds,
                                            listeners=[self], name="merchant-api")

    @property
    def state(self) -> str:
        return str(self._cb.current_state)

    def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
        if new_state.name == pybreaker.STATE_OPEN:
            self._opened_at = time.monotonic()
        if old_state is not None and old_state.name != new_state.name:
            log.warning("merchant API circuit breaker %s → %s", old_state.name, new_state.name)

    def admit(self) -> str | None:
        """'call' (closed), 'probe' (the one trial call once the reset time passed) or None."""
        with self._lock:
            state = self._cb.current_state
            if state == pybreaker.STATE_CLOSED:
                return "call"
            if self._probing or (state == pybreaker.STATE_OPEN
                                 and time.monotonic() - self._opened_at < self._reset):
                return None
            self._probing = True
            return "probe"

    def record(self, error: BaseException | None, admitted: str) -> None:
        try:
            self._cb.call(_replay, error)
        except Exception:  # noqa: BLE001, S110 - the outcome is recorded; the caller already has it
            pass
        finally:
            if admitted == "probe":
                with self._lock:
                    self._probing = False


def _replay(error: BaseException | None) -> None:
    if error is not None:
        raise error


class MerchantLookupClient:
    """Looks merchants up through the caches and the API; one per process (thread-safe)."""

    def __init__(self, settings: Settings, cache: MerchantCache | None = None) -> None:
        self._settings = settings
        self._cache = cache
        self._url = settings.merchant_api_url.rstrip("/") + SEARCH_PATH if settings.merchant_api_url else ""
        self._timeout = (settings.merchant_connect_timeout, settings.merchant_read_timeout)
        self._http = _session(settings)
        self._pool = ThreadPoolExecutor(max_workers=settings.merchant_concurrency,
                                        thread_name_prefix="merchant-lookup")
        self._breaker = _Breaker(settings.merchant_breaker_failures, settings.merchant_breaker_reset)
        self._lock = threading.Lock()
        size = settings.merchant_cache_size
        self._lru: TTLCache[str, MerchantInfo] | None = TTLCache(size, LRU_TTL) if size > 0 else None
        self._stats = MerchantLookupStats()
        self._unmapped_seen: set[str] = set()

    @property
    def enabled(self) -> bool:
        return bool(self._url)

    @property
    def breaker_state(self) -> str:
        """'closed', 'open' or 'half-open'."""
        return self._breaker.state

    @property
    def stats(self) -> MerchantLookupStats:
        """A snapshot of the counters."""
        with self._lock:
            return replace(self._stats)

    def probe(self) -> bool:
        """True when the API answers a lookup at all (found or not found), outside the breaker
        and the caches: re-enrichment resumes consuming only then."""
        if not self.enabled:
            return False
        try:
            self._fetch(MerchantQuery("tally-probe", "tally availability probe"))
        except (MerchantApiError, requests.RequestException):
            return False
        return True

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    def lookup_many(self, queries: Sequence[MerchantQuery]) -> LookupResult:
        """Answers for every distinct merchant_key within MERCHANT_BATCH_DEADLINE seconds
        (the whole call); a key with no answer by then is in `unanswered`. Never raises for
        an API or cache failure: those keys are unanswered."""
        deadline = time.monotonic() + self._settings.merchant_batch_deadline
        pending = {q.merchant_key: q for q in reversed(queries)}  # the first query of a key wins
        result = LookupResult()
        self._count(lookups=len(pending))
        for info in self._from_lru(list(pending)):
            result.answered[info.merchant_key] = _public(info)
            del pending[info.merchant_key]
        for info in self._from_cassandra(list(pending)):
            result.answered[info.merchant_key] = _public(info)
            del pending[info.merchant_key]
        if pending and self.enabled:
            self._from_api(pending, deadline, result)
        else:
            result.unanswered.update(pending)
        self._count(unanswered=len(result.unanswered))
        return result

    def _from_lru(self, keys: list[str]) -> list[MerchantInfo]:
        if self._lru is None or not keys:
            return []
        with self._lock:
            hits = [info for info in (self._lru.get(key) for key in keys) if info is not None]
            self._stats.lru_hits += len(hits)
        return hits

    def _from_cassandra(self, keys: list[str]) -> list[MerchantInfo]:
        if self._cache is None or not keys:
            return []
        try:
            rows = self._cache.get_many(keys)
        except Exception as exc:  # noqa: BLE001 - a cache outage only costs API calls
            log.warning("merchant cache read failed: %s", exc)
            self._count(cassandra_errors=1)
            return []
        hits = [self._current(info) for info in rows.values()]
        self._remember_in_lru(hits)
        self._count(cassandra_hits=len(hits))
        return hits

    def _from_api(self, pending: dict[str, MerchantQuery], deadline: float, result: LookupResult) -> None:
        futures: dict[str, Future[MerchantInfo | None]] = {
            key: self._pool.submit(self._lookup_one, query) for key, query in pending.items()}
        wait(futures.values(), timeout=max(0.0, deadline - time.monotonic()))
        for key, future in futures.items():
            info = future.result() if future.done() and not future.cancelled() and not future.exception() else None
            if info is None:
                future.cancel()  # not started yet: free the worker; a running one still fills the caches
                result.unanswered.add(key)
            else:
                result.answered[key] = _public(info)

    def _lookup_one(self, query: MerchantQuery) -> MerchantInfo | None:
        """The API's answer (also written to both caches), or None when there is none."""
        admitted = self._breaker.admit()
        if admitted is None:
            self._count(breaker_rejections=1)
            return None
        self._count(api_calls=1)
        try:
            info = self._fetch(query)
        except (MerchantApiError, requests.RequestException) as exc:
            self._breaker.record(exc, admitted)
            self._count(api_errors=1)
            log.debug("merchant lookup failed for %r: %s", query.merchant_key, exc)
            return None
        self._breaker.record(None, admitted)
        self._count(api_found=int(info.found), api_not_found=int(not info.found))
        self._remember(info)
        return info

    def _fetch(self, query: MerchantQuery) -> MerchantInfo:
        params = {k: v for k, v in (("name", query.name), ("mcc", query.mcc), ("city", query.city),
                                    ("country", query.country)) if v}
        response = self._http.get(self._url, params=params, timeout=self._timeout,
                                  headers={"X-Api-Key": self._settings.merchant_api_key})
        try:
            body = response.json()
        except ValueError:
            raise MerchantApiError(f"HTTP {response.status_code}: not JSON") from None
        # A 404 counts as "not found" only with the API's own error code: a wrong URL must not
        # fill the cache with negative answers.
        if response.status_code == 404 and isinstance(body, dict) and body.get("error") == "not_found":
            return MerchantInfo(query.merchant_key, found=False, name=None, category=None, api_category=None)
        if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("merchant"), dict):
            raise MerchantApiError(f"HTTP {response.status_code}: {str(body)[:200]}")
        merchant = body["merchant"]
        api_category = merchant.get("category") if isinstance(merchant.get("category"), str) else None
        return self._current(MerchantInfo(query.merchant_key, found=True, name=merchant.get("name"),
                                          category=None, api_category=api_category))

    def _current(self, info: MerchantInfo) -> MerchantInfo:
        """`info` with the category of today's mapping (cached rows may predate it)."""
        if not info.found:
            return info
        category = tally_category(info.api_category)
        if category is None and info.api_category:
            self._note_unmapped(info.api_category)
        return replace(info, category=category)

    def _note_unmapped(self, api_category: str) -> None:
        with self._lock:
            self._stats.unmapped_categories += 1
            first = api_category not in self._unmapped_seen
            self._unmapped_seen.add(api_category)
        if first:
            log.warning("merchant API category %r has no Tally category; lower layers decide", api_category)

    def _remember(self, info: MerchantInfo) -> None:
        self._remember_in_lru([info])
        if self._cache is None:
            return
        try:
            self._cache.put(info, FOUND_TTL if info.found else NOT_FOUND_TTL)
        except Exception as exc:  # noqa: BLE001 - the answer is still used; it is only not cached
            log.warning("merchant cache write failed: %s", exc)
            self._count(cassandra_errors=1)

    def _remember_in_lru(self, infos: list[MerchantInfo]) -> None:
        if self._lru is None or not infos:
            return
        with self._lock:
            for info in infos:
                self._lru[info.merchant_key] = info

    def _count(self, **increments: int) -> None:
        with self._lock:
            for name, n in increments.items():
                setattr(self._stats, name, getattr(self._stats, name) + n)


def _public(info: MerchantInfo) -> MerchantInfo | None:
    return info if info.found else None


def _session(settings: Settings) -> requests.Session:
    """A pooled session. Retries live in urllib3's Retry, inside the adapter, rather than in
    tenacity around the call: it retries exactly the transient cases (connection errors, read
    timeouts of this idempotent GET, 502/503/504) at the connection-pool level, so one lookup
    stays one outcome for the breaker and one future for the batch deadline. 500 is not
    retried (a bug, not a blip) and Retry-After is ignored: the per-batch deadline is seconds,
    and a sustained outage is the breaker's job."""
    retry = Retry(total=settings.merchant_retries, connect=settings.merchant_retries,
                  read=settings.merchant_retries, status=settings.merchant_retries, other=0,
                  backoff_factor=0.1, backoff_max=0.5, backoff_jitter=0.05,
                  status_forcelist=(502, 503, 504), allowed_methods=frozenset({"GET"}),
                  raise_on_status=False, respect_retry_after_header=False)
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=settings.merchant_concurrency, max_retries=retry)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
