"""The campaign's own stack: a Cassandra node on 127.0.0.20 and a RabbitMQ node
`tally-chaos@localhost` (never the shared ones) — with `--cluster`, three of each: Cassandra on
127.0.0.20-22 and RabbitMQ `tally-chaos-1..3@localhost`, clustered by devtools/cluster.py,
keyspace RF 3 — keyspace and vhost `tally_chaos` made by `tally migrate`, the partner bank
simulator (its link-code API), an ingest and an api gunicorn instance with several workers
each, and two consumers.

Everything it starts it stops, by pid, also on failure or Ctrl-C, and it deletes the nodes'
data (their logs stay in var/chaos for reading). The merchant-lookup API is off
(MERCHANT_API_URL empty): categories then come from Tally's own layers (MCC table,
keywords), which always answer, so a missing category is Tally's fault, not a third party's
timeout; and no re-enrichment worker is needed for the queues to drain.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from devtools.cluster import LocalCluster, cassandra_nodes, rabbit_nodes
from devtools.nodes import ROOT, CassandraNode, RabbitNode
from devtools.processes import BIN, AppProcess, free_port, settings_env, start_consumer, start_gunicorn, start_simulator
from service.repositories.partners import new_secret
from service.settings import Settings

FOLDER = ROOT / "var" / "chaos"
CASSANDRA_ADDRESS = "127.0.0.20"  # 127.0.0.2 and .3 stay free for a local three-node cluster
CLUSTER_ADDRESSES = ("127.0.0.20", "127.0.0.21", "127.0.0.22")
RABBITMQ_NODE = "tally-chaos@localhost"
CLUSTER_NODES = ("tally-chaos-1@localhost", "tally-chaos-2@localhost", "tally-chaos-3@localhost")
NAME = "tally_chaos"             # keyspace and vhost
PARTNER = "chaos-bank"
API_TOKEN = "chaos-bank-token"   # noqa: S105 - the simulated bank's API credential, local only
WORKERS = 3                      # per gunicorn instance: killing one leaves two serving


@dataclass
class Stack:
    settings: Settings
    folder: Path
    nodes: LocalCluster  # one Cassandra and one RabbitMQ node, or three of each (--cluster)
    secret: str
    processes: dict[str, AppProcess] = field(default_factory=dict)
    consumers: list[AppProcess] = field(default_factory=list)
    retired: list[AppProcess] = field(default_factory=list)  # killed consumers, reaped at the end

    @property
    def log_dir(self) -> Path:
        return self.folder / "logs"

    @property
    def cluster(self) -> bool:
        return len(self.nodes.cassandra) > 1

    def url(self, name: str) -> str:
        url = self.processes[name].url
        assert url is not None
        return url

    def start_consumer(self) -> AppProcess:
        """One more `tally consumer`, ready when its /readyz answers (broker and Cassandra up)."""
        consumer = start_consumer(self.settings, self.log_dir, f"chaos-{uuid.uuid4().hex[:6]}")
        self.consumers.append(consumer)
        return consumer


def chaos_nodes(folder: Path, cluster: bool) -> LocalCluster:
    """The campaign's nodes, on free ports: one of each, or a cluster of three of each."""
    if not cluster:
        return LocalCluster([CassandraNode(CASSANDRA_ADDRESS, folder / "cassandra", jmx_port=free_port(),
                                           cluster_name="tally-chaos")],
                            [RabbitNode(RABBITMQ_NODE, folder / "rabbitmq", amqp_port=free_port(),
                                        management_port=free_port(), dist_port=free_port())])
    return LocalCluster(
        cassandra_nodes(folder, CLUSTER_ADDRESSES, [free_port() for _ in CLUSTER_ADDRESSES], "tally-chaos"),
        rabbit_nodes(folder, CLUSTER_NODES, [(free_port(), free_port(), free_port()) for _ in CLUSTER_NODES]))


def chaos_settings(folder: Path, nodes: LocalCluster, hold_seconds: int) -> Settings:
    base = Settings.from_env().replace(
        env="test", cassandra_port=9042, log_dir=str(folder / "logs"), merchant_api_url="", bcrypt_cost=4,
        consumer_hold_seconds=hold_seconds, consumer_nice=10, metrics_port=0)
    settings = nodes.settings(base, keyspace=NAME, vhost=NAME)
    if len(nodes.cassandra) == 1:  # one node: the keyspace as the local single node has it
        settings = settings.replace(replication_strategy="SimpleStrategy", replication_factor=1)
    return settings


@contextlib.contextmanager
def chaos_stack(hold_seconds: int, say: Callable[[str], None], consumers: int = 2,
                cluster: bool = False) -> Iterator[Stack]:
    folder = FOLDER
    nodes = chaos_nodes(folder, cluster)
    settings = chaos_settings(folder, nodes, hold_seconds)
    stack = Stack(settings, folder, nodes, new_secret())
    try:
        _clear_leftovers(stack, say)
        say(f"installing what is missing, then starting Cassandra on {settings.cassandra_hosts} and RabbitMQ "
            f"{', '.join(n.name for n in nodes.rabbitmq)}")
        nodes.start(say)
        say(f"Cassandra pid(s) {[n.pid for n in nodes.cassandra]}, RabbitMQ pid(s) {[n.pid for n in nodes.rabbitmq]}; "
            f"migrating keyspace and vhost {NAME}")
        _tally(settings, "migrate")
        _start_apps(stack, consumers)
        yield stack
    finally:
        _tear_down(stack, say)


def _clear_leftovers(stack: Stack, say: Callable[[str], None]) -> None:
    """A run killed before its clean-up may have left its nodes running: stop them (their pid
    files and node name are this tool's), then start from empty folders."""
    with contextlib.suppress(Exception):  # noqa: BLE001 - nothing to stop is the usual case
        stack.nodes.stop(lambda _: None)
    for path in stack.folder.glob("*"):
        if path.is_dir() and path.name.startswith(("cassandra", "rabbitmq", "logs")):
            shutil.rmtree(path, ignore_errors=True)
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    say(f"working folder {stack.folder}")


def _start_apps(stack: Stack, consumers: int) -> None:
    settings, log_dir = stack.settings, stack.log_dir
    bank = start_simulator("bank", log_dir, "--partner-id", PARTNER, "--signing-secret", stack.secret,
                           "--api-token", API_TOKEN)
    stack.processes["bank-sim"] = bank
    _tally(settings, "partner", "add", PARTNER, "--name", "Chaos Bank", "--api-url", bank.url or "",
           "--api-token", API_TOKEN, "--secret", stack.secret)
    for instance in ("ingest", "api"):
        stack.processes[instance] = start_gunicorn(instance, settings, log_dir, workers=WORKERS, threads=4)
    for _ in range(consumers):
        stack.start_consumer()


def _tally(settings: Settings, *args: str) -> None:
    done = subprocess.run([str(BIN / "tally"), *args], env=settings_env(settings), capture_output=True, text=True,
                          timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"tally {' '.join(args[:2])} failed: {done.stderr.strip()[-800:]}")


def _tear_down(stack: Stack, say: Callable[[str], None]) -> None:
    for app in (*stack.consumers, *stack.retired, *stack.processes.values()):
        with contextlib.suppress(Exception):  # noqa: BLE001 - keep stopping the others
            app.stop()
    stack.nodes.stop(say)  # a node that will not stop is killed by its pid
    stack.nodes.remove_data()
    say(f"stopped every process of the campaign; node data deleted (logs kept in {stack.folder})")
