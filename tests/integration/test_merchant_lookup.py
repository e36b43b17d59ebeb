"""The merchant-lookup client against a real merchant-lookup simulator process and a real
Cassandra (its own keyspace, created here and dropped at the end): caches, negative caching,
the per-batch deadline, the circuit breaker, retries, and the API switched off."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from cassandra.cluster import Session

from service.merchants.lookup import (
    FOUND_TTL,
    NOT_FOUND_TTL,
    MerchantInfo,
    MerchantLookupClient,
    MerchantQuery,
)
from service.repositories.merchants import MerchantRepository
from service.settings import REPO_ROOT, Settings
from service.storage.session import connect, shutdown
from tests.support.simulators import TEST_MERCHANT_KEY, SimulatorProcess, merchant_sim

pytestmark = pytest.mark.timeout(60)
LIDL = MerchantQuery("lidl", "LIDL 1234 BERLIN", "5411", "Berlin", "DE")
BLUE_BOTTLE = MerchantQuery("blue bottle coffee", "SQ *BLUE BOTTLE COFFEE", "5814", "Oakland", "US")
UNKNOWN = MerchantQuery("sushi zen", "PAYPAL *SUSHI ZEN", None, None, "DE")
GAMBLING = MerchantQuery("lottoland", "LOTTOLAND.COM 8KQ2X1", "7995", None, "GB")


@pytest.fixture(scope="module")
def cassandra() -> Iterator[Session]:
    """A session on a fresh keyspace holding only the `merchants` table (dropped afterwards)."""
    settings = Settings.from_env()
    keyspace = f"merchant_test_{uuid.uuid4().hex[:10]}"
    try:
        session = connect(settings, slow_query_log=False)
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Cassandra is required at {settings.cassandra_hosts}: {exc}", pytrace=False)
    ddl = (REPO_ROOT / "cassandra" / "005_categories.cql").read_text()
    table = re.search(r"CREATE TABLE IF NOT EXISTS merchants \(.*?\);", ddl, re.DOTALL)
    assert table, "005_categories.cql no longer defines the merchants table"
    session.execute(f"CREATE KEYSPACE {keyspace} WITH replication = "
                    "{'class': 'SimpleStrategy', 'replication_factor': 1}", timeout=60)
    try:
        session.set_keyspace(keyspace)
        session.execute(table.group(0), timeout=60)
        yield session
    finally:
        session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=60)
        shutdown(session)


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorProcess]:
    with merchant_sim(latency_ms=0, args=["--seed", "1"]) as sim:
        yield sim


@pytest.fixture
def sim(simulator: SimulatorProcess) -> SimulatorProcess:
    """The shared simulator with healthy settings and zeroed counters."""
    requests.post(f"{simulator.url}/admin/faults", json={"error_rate": 0, "slow_rate": 0, "outage": False,
                                                         "latency_ms": 0}, timeout=5).raise_for_status()
    requests.post(f"{simulator.url}/admin/stats/reset", timeout=5).raise_for_status()
    return simulator


@pytest.fixture
def make_client(sim: SimulatorProcess) -> Iterator[Callable[..., MerchantLookupClient]]:
    """Builds clients on the simulator (keyword arguments override settings); closes them."""
    made: list[MerchantLookupClient] = []

    def make(cache: Any = None, **overrides: Any) -> MerchantLookupClient:
        settings = Settings.from_env().replace(**{
            "merchant_api_url": sim.url, "merchant_api_key": TEST_MERCHANT_KEY, "merchant_retries": 0,
            "merchant_batch_deadline": 3.0, "merchant_breaker_failures": 50, **overrides})
        made.append(MerchantLookupClient(settings, cache))
        return made[-1]

    yield make
    for client in made:
        client.close()


def requests_seen(sim: SimulatorProcess) -> int:
    return int(requests.get(f"{sim.url}/admin/stats", timeout=5).json()["requests"])


def faults(sim: SimulatorProcess, **changes: Any) -> None:
    requests.post(f"{sim.url}/admin/faults", json=changes, timeout=5).raise_for_status()


def fresh(query: MerchantQuery) -> MerchantQuery:
    """The same merchant under a key no earlier test cached."""
    return MerchantQuery(f"{query.merchant_key} {uuid.uuid4().hex[:8]}", query.name, query.mcc, query.city,
                         query.country)


def ttl_of(session: Session, key: str) -> int:
    return int(session.execute("SELECT TTL(found) AS ttl FROM merchants WHERE merchant_key = %s", (key,)).one().ttl)


def test_answers_map_the_api_vocabulary_and_deduplicate_keys(
        sim: SimulatorProcess, make_client: Callable[..., MerchantLookupClient]) -> None:
    client = make_client()
    result = client.lookup_many([LIDL, BLUE_BOTTLE, UNKNOWN, GAMBLING, LIDL, BLUE_BOTTLE])

    assert result.unanswered == set()
    assert result.answered["lidl"] == MerchantInfo("lidl", True, "Lidl", "groceries", "supermarket")
    assert result.answered["blue bottle coffee"].category == "dining_out"  # type: ignore[union-attr]
    assert result.answered["sushi zen"] is None  # known not found
    assert result.answered["lottoland"] == MerchantInfo("lottoland", True, "Lottoland", None, "gambling")
    assert requests_seen(sim) == 4
    assert client.stats.api_calls == 4 and client.stats.unmapped_categories == 1


def test_an_lru_hit_avoids_a_second_http_call(
        sim: SimulatorProcess, make_client: Callable[..., MerchantLookupClient]) -> None:
    client = make_client()
    first = client.lookup_many([LIDL, UNKNOWN])
    second = client.lookup_many([LIDL, UNKNOWN])

    assert first.answered == second.answered and second.unanswered == set()
    assert requests_seen(sim) == 2
    assert client.stats.lru_hits == 2


def test_answers_are_cached_in_cassandra_with_their_ttls(
        sim: SimulatorProcess, cassandra: Session, make_client: Callable[..., MerchantLookupClient]) -> None:
    known, unknown = fresh(LIDL), fresh(UNKNOWN)
    make_client(MerchantRepository(cassandra)).lookup_many([known, unknown])
    later = make_client(MerchantRepository(cassandra))  # another process: empty LRU
    result = later.lookup_many([known, unknown])

    assert result.answered == {known.merchant_key: MerchantInfo(known.merchant_key, True, "Lidl", "groceries",
                                                                "supermarket"),
                               unknown.merchant_key: None}
    assert requests_seen(sim) == 2  # the second client asked Cassandra, not the API
    assert later.stats.cassandra_hits == 2 and later.stats.api_calls == 0
    assert FOUND_TTL - 60 < ttl_of(cassandra, known.merchant_key) <= FOUND_TTL
    assert NOT_FOUND_TTL - 60 < ttl_of(cassandra, unknown.merchant_key) <= NOT_FOUND_TTL


def test_the_batch_deadline_gives_back_slow_lookups_and_late_answers_fill_the_caches(
        sim: SimulatorProcess, cassandra: Session, make_client: Callable[..., MerchantLookupClient]) -> None:
    client = make_client(MerchantRepository(cassandra), merchant_batch_deadline=0.3, merchant_read_timeout=3.0)
    slow_keys = [fresh(LIDL), fresh(BLUE_BOTTLE)]
    faults(sim, slow_rate=1, slow_ms=900)
    started = time.monotonic()
    result = client.lookup_many(slow_keys)
    elapsed = time.monotonic() - started
    time.sleep(1.2)  # the answers arrive after the deadline
    faults(sim, slow_rate=0)
    again = client.lookup_many(slow_keys)

    assert result.unanswered == {q.merchant_key for q in slow_keys} and result.answered == {}
    assert elapsed < 0.6
    assert again.unanswered == set() and client.stats.lru_hits == 2
    assert requests_seen(sim) == 2  # no second API call: the late answers were cached
    assert MerchantRepository(cassandra).get_many([q.merchant_key for q in slow_keys]).keys() == {
        q.merchant_key for q in slow_keys}


def test_the_breaker_opens_during_an_outage_and_recovers(
        sim: SimulatorProcess, make_client: Callable[..., MerchantLookupClient]) -> None:
    client = make_client(merchant_breaker_failures=3, merchant_breaker_reset=1.0, merchant_concurrency=1)
    faults(sim, outage=True)
    failing = client.lookup_many([fresh(LIDL) for _ in range(3)])
    state_after_failures = client.breaker_state
    calls_during_outage = requests_seen(sim)
    started = time.monotonic()
    rejected = client.lookup_many([fresh(LIDL) for _ in range(5)])
    rejected_in = time.monotonic() - started
    calls_while_open = requests_seen(sim) - calls_during_outage
    faults(sim, outage=False)
    time.sleep(1.1)  # past the reset time: the next lookup is the half-open probe
    recovered = client.lookup_many([fresh(LIDL)])

    assert len(failing.unanswered) == 3 and state_after_failures == "open"
    assert len(rejected.unanswered) == 5 and rejected_in < 0.2 and calls_while_open == 0
    assert client.stats.breaker_rejections == 5 and client.stats.api_errors == 3
    assert recovered.unanswered == set() and client.breaker_state == "closed"


def test_transient_503s_are_retried_and_timeouts_and_connection_errors_end_unanswered(
        sim: SimulatorProcess, make_client: Callable[..., MerchantLookupClient]) -> None:
    faults(sim, outage=True)
    retrying = make_client(merchant_retries=2)
    assert retrying.lookup_many([fresh(LIDL)]).unanswered
    assert requests_seen(sim) == 3  # 1 + 2 retries of the 503

    faults(sim, outage=False, slow_rate=1, slow_ms=600)
    impatient = make_client(merchant_read_timeout=0.2)
    assert impatient.lookup_many([fresh(LIDL)]).unanswered and impatient.stats.api_errors == 1
    time.sleep(0.5)  # the simulator finishes the abandoned request before the next test resets its counters

    faults(sim, slow_rate=0)
    unreachable = make_client(merchant_api_url="http://127.0.0.1:9", merchant_retries=1)
    result = unreachable.lookup_many([fresh(LIDL), fresh(UNKNOWN)])
    assert len(result.unanswered) == 2 and result.answered == {}
    assert unreachable.stats.api_errors == 2


def test_with_the_api_off_only_the_caches_answer(
        sim: SimulatorProcess, cassandra: Session, make_client: Callable[..., MerchantLookupClient]) -> None:
    repository = MerchantRepository(cassandra)
    cached = MerchantInfo(f"cached {uuid.uuid4().hex[:8]}", True, "Rewe", "groceries", "supermarket")
    repository.put(cached, ttl_seconds=600)
    client = make_client(repository, merchant_api_url="")
    result = client.lookup_many([MerchantQuery(cached.merchant_key, "REWE"), fresh(LIDL)])

    assert not client.enabled
    assert result.answered == {cached.merchant_key: cached}
    assert len(result.unanswered) == 1
    assert requests_seen(sim) == 0


def test_the_repository_round_trips_without_nulls_and_reads_many_keys(cassandra: Session) -> None:
    repository = MerchantRepository(cassandra)
    prefix = uuid.uuid4().hex[:8]
    infos = [MerchantInfo(f"{prefix} shop {i}", True, f"Shop {i}", "shopping", "clothing_store") for i in range(300)]
    missing = MerchantInfo(f"{prefix} nobody", False, None, None, None)
    for info in [*infos, missing]:
        repository.put(info, ttl_seconds=600)

    got = repository.get_many([i.merchant_key for i in infos] + [missing.merchant_key, f"{prefix} never"])
    assert got == {i.merchant_key: i for i in [*infos, missing]}
    row = cassandra.execute("SELECT merchant_name, category, fetched_at FROM merchants WHERE merchant_key = %s",
                            (missing.merchant_key,)).one()
    assert row.merchant_name is None and row.category is None and row.fetched_at is not None
