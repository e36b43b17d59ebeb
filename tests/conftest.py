"""Fixtures shared by the integration and e2e layers. Unit tests use none of them.

A pytest run gets its own keyspace and vhost (random suffix), migrated once and dropped at
the end; tests inside it use random keys, never TRUNCATE. A missing Cassandra or RabbitMQ
FAILS the tests that need them (never a skip): start them with `scripts/test`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cassandra.cluster import NoHostAvailable, Session
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed

from service.bootstrap import Runtime
from service.broker.management import Management
from service.settings import Settings
from tests.support.webhooks import BankPartner, new_partner


def _test_settings(log_dir: Path) -> Settings:
    suffix = uuid.uuid4().hex[:10]
    base = Settings.from_env()
    host = base.amqp_url.split("@")[-1].split("/")[0]
    user, password = base.amqp_credentials
    # Every test client is 127.0.0.1, so the per-address limits would count the whole run's
    # sign-ups and failed logins; the tests of those limits set their own and vary the address.
    return base.replace(
        env="test", keyspace=f"tally_test_{suffix}",
        amqp_url=f"amqp://{user}:{password}@{host}/tally_test_{suffix}",
        log_dir=str(log_dir), bcrypt_cost=4, partner_cache_seconds=0.2, readiness_cache_seconds=0.5,
        merchant_api_url="", consumer_batch_wait_ms=50, confirm_timeout=3.0,
        signups_per_hour=100_000, login_failures_per_address_per_hour=100_000)


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings of this run, after the keyspace and vhost were created and migrated."""
    from service.broker.setup import setup_broker
    from service.storage.migrations import migrate
    from service.storage.session import connect, shutdown

    settings = _test_settings(tmp_path_factory.mktemp("logs"))
    try:
        admin = connect(settings, slow_query_log=False)
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Cassandra is required at {settings.cassandra_hosts} (run scripts/test, which starts "
                    f"it): {exc}", pytrace=False)
    try:
        migrate(settings, admin, say=lambda _: None)
        try:
            setup_broker(settings, say=lambda _: None)
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"RabbitMQ (AMQP and management API) is required (run scripts/test): {exc}",
                        pytrace=False)
        yield settings
    finally:
        _drop_keyspace(admin, settings.keyspace)
        shutdown(admin)
        Management(settings).delete_vhost()


@retry(retry=retry_if_exception_type(NoHostAvailable), stop=stop_after_delay(90), wait=wait_fixed(1), reraise=True)
def _drop_keyspace(admin: Session, keyspace: str) -> None:
    """Retried while the admin session reconnects: after a disruptive test paused Cassandra,
    its pool comes back on the driver's own reconnection schedule (seconds after the server)."""
    admin.execute(f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=60)


@pytest.fixture(scope="session")
def runtime(test_settings: Settings) -> Iterator[Runtime]:
    rt = Runtime(test_settings, publisher_pool_size=4)
    yield rt
    rt.close()


@pytest.fixture(scope="session")
def session(runtime: Runtime) -> Session:
    return runtime.session


@pytest.fixture(scope="session")
def management(test_settings: Settings) -> Management:
    return Management(test_settings)


@pytest.fixture
def partner(runtime: Runtime) -> BankPartner:
    """A fresh enabled partner with one secret."""
    return new_partner(runtime)


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("processes")
