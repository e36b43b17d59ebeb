"""The cluster layer (`scripts/test cluster`): the local cluster of devtools/cluster.py —
three Cassandra nodes, three clustered RabbitMQ nodes — started once for the layer from empty
folders, and on it Tally's own processes: an ingest and an api gunicorn instance and two
consumers (devtools/processes.py), with a keyspace (RF 3) and vhost of the run's own.

The nodes go where devtools/cluster.py's TALLY_CLUSTER_* settings say (by default Cassandra
on 127.0.0.1-3, which stops the single node of `scripts/dev up` for the layer; it is started
again at the end). At the end every node is stopped and its data deleted; the logs (nodes'
and processes') stay under the cluster folder. TALLY_CLUSTER_REUSE=1 (development) keeps a
running cluster and leaves it running.

Figures of the run (boot times, outage windows, the consistency check) are collected in
FIGURES, printed after the tests and written to <cluster folder>/figures.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cassandra.cluster import Session

from chaos.readback import Drain, wait_drained
from devtools.cluster import Layout, LocalCluster
from devtools.nodes import ROOT
from service.bootstrap import Runtime
from service.broker.management import Management
from service.broker.topology import DEAD
from service.settings import Settings
from tests.cluster.figures import FIGURES, say
from tests.support.queues import ready_count
from tests.support.stack import AppProcess, start_consumer, start_gunicorn
from tests.support.stored import stored_once
from tests.support.traffic import Bank
from tests.support.users import LinkedUser, linked_user
from tests.support.webhooks import BankPartner, new_partner, transaction

USERS = 4           # each owns one account; their transactions are spread over the four
HOLD_SECONDS = 10   # the consumers' TALLY_CONSUMER_HOLD_SECONDS: an outage outlasts it soon


@pytest.fixture(scope="session")
def layout() -> Layout:
    return Layout.from_env()


@pytest.fixture(scope="session")
def cluster(layout: Layout) -> Iterator[LocalCluster]:
    cluster = LocalCluster.of(layout)
    reuse = os.environ.get("TALLY_CLUSTER_REUSE") == "1"
    stopped_single = False
    try:
        if not reuse:
            cluster.stop(say)  # what an interrupted run left, if anything
            cluster.remove_data()
        began = time.monotonic()
        stopped_single = cluster.start(say)
        FIGURES["boot_seconds"] = {"total": round(time.monotonic() - began, 1),
                                   **{node: round(s, 1) for node, s in cluster.boot_seconds.items()}}
        yield cluster
    finally:
        if not reuse:
            cluster.stop(say)
            cluster.remove_data()
        if stopped_single:
            say("starting the single Cassandra node again")
            subprocess.run([str(ROOT / "scripts" / "cassandra"), "start"], check=False, timeout=600,
                           env={k: v for k, v in os.environ.items() if k != "CASSANDRA_HOSTS"})


@pytest.fixture(scope="session")
def test_settings(cluster: LocalCluster, layout: Layout) -> Iterator[Settings]:
    """The run's settings on the cluster, after `tally migrate`'s keyspace and topology (in place
    of tests/conftest.py's, so its `runtime` and `session` fixtures work on the cluster)."""
    from service.broker.setup import setup_broker
    from service.storage.migrations import migrate
    from service.storage.session import connect, shutdown

    name = f"tally_cluster_{uuid.uuid4().hex[:8]}"
    log_dir = layout.folder / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    settings = cluster.settings(Settings.from_env(), keyspace=name, vhost=name).replace(
        env="test", log_dir=str(log_dir), bcrypt_cost=4, merchant_api_url="", consumer_hold_seconds=HOLD_SECONDS,
        signups_per_hour=100_000, login_failures_per_address_per_hour=100_000)
    admin = connect(settings, slow_query_log=False)
    try:
        migrate(settings, admin, say=lambda _: None)
        setup_broker(settings, say=say)
        yield settings
    finally:
        admin.execute(f"DROP KEYSPACE IF EXISTS {name}", timeout=120)
        shutdown(admin)
        Management(settings).delete_vhost()


@dataclass
class Stack:
    settings: Settings
    session: Session
    ingest: AppProcess
    api: AppProcess
    consumers: list[AppProcess]
    partner: BankPartner
    users: list[LinkedUser]

    @property
    def credentials(self) -> list[tuple[str, str]]:
        return [(u.email, u.password) for u in self.users]

    def burst(self, transactions: int) -> list[list[dict[str, Any]]]:
        """`transactions` new transactions in webhooks of 100, spread over the users' accounts,
        authorized over the last hour."""
        now = datetime.now(UTC)
        made = [transaction(account_number=self.users[i % len(self.users)].account_number,
                            authorized_at=(now - timedelta(seconds=i % 3600)).isoformat())
                for i in range(transactions)]
        return [made[i:i + 100] for i in range(0, transactions, 100)]

    def assert_running(self) -> None:
        for app in (self.ingest, self.api, *self.consumers):
            assert app.alive(), f"{app.name} exited:\n{app.log_tail()}"

    def settle(self, bank: Bank, expected: int) -> Drain:
        """After the bank is done: the work queues drained, nothing dead-lettered, every one of
        the `expected` transactions the bank sent stored exactly once in both tables."""
        drain = wait_drained(self.settings, 600, say)
        assert drain.drained, drain.left
        assert ready_count(self.settings, DEAD) == 0
        ids = bank.transaction_ids()
        assert len(ids) == expected
        today = datetime.now(UTC).date()
        wrong = stored_once(self.session, self.partner.partner_id, ids, [u.user_id for u in self.users],
                            {today, today - timedelta(days=1)})
        assert wrong == {"missing_by_id": [], "missing_by_day": [], "duplicated": []}, \
            {k: (len(v), v[:5]) for k, v in wrong.items()}
        self.assert_running()
        return drain


@pytest.fixture(scope="session")
def stack(test_settings: Settings, runtime: Runtime, session: Session, layout: Layout) -> Iterator[Stack]:
    log_dir = layout.folder / "logs"
    apps = [start_gunicorn("ingest", test_settings, log_dir), start_gunicorn("api", test_settings, log_dir)]
    try:
        apps += [start_consumer(test_settings, log_dir, f"cluster-{i}") for i in (1, 2)]
        partner = new_partner(runtime)
        users = [linked_user(runtime, partner.partner_id) for _ in range(USERS)]
        yield Stack(test_settings, session, apps[0], apps[1], apps[2:], partner, users)
    finally:
        for app in apps:
            app.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.section("cluster figures")
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name}: {json.dumps(value)}")
    folder = Layout.from_env().folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "figures.json").write_text(json.dumps(FIGURES, indent=2))
    terminalreporter.write_line(f"written to {folder / 'figures.json'}")
