"""The two deployments `tally bench scale` measures side by side, both up for the whole run so
that their rounds alternate (bench/rounds.py):

- `single`: the local single node of `scripts/dev up` (Cassandra 127.0.0.1, RF 1; RabbitMQ
  5672), keyspace and vhost `tally_scale`, dropped and recreated at start;
- `cluster`: three Cassandra nodes on 127.0.0.30-32 and three RabbitMQ nodes
  `tally-scale-1..3@localhost` on free ports, started here by devtools/cluster.py from empty
  folders and removed at the end (their logs stay in $TALLY_VAR/scale): never the addresses of
  the single node, of `scripts/cluster` (127.0.0.1-3) or of `tally chaos` (127.0.0.20-22), so
  the single node keeps running. Keyspace RF 3 (NetworkTopologyStrategy), quorum queues of
  three members.

Each has two ingest instances (gunicorn, 2 workers × 8 threads, as `tally bench`), an nginx in
front of the first and another in front of both (deploy/nginx/tally.conf rendered by
`scripts/nginx render`, with one `server` line per instance), an api instance, and starts as
many consumers as a round asks for. The merchant-lookup API is off: every row then costs what
it costs with a warm merchant cache (no lookup), and no third party's latency enters the
figures.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.data import BenchUser, create_users
from bench.measure import broker_pids, local_cassandra_pid
from bench.stack import Stack, bench_settings, data_set, start_instance
from bench.traffic import WebhookSpec
from devtools.cluster import LocalCluster, cassandra_nodes, rabbit_nodes
from devtools.nodes import ROOT
from devtools.processes import AppProcess, free_port, start_consumer, start_process
from devtools.procfs import descendants
from service.broker.management import Management
from service.broker.topology import INGEST
from service.settings import Settings

KEYSPACE = "tally_scale"  # keyspace and vhost of both deployments
CLUSTER_ADDRESSES = ("127.0.0.30", "127.0.0.31", "127.0.0.32")
CLUSTER_RABBITMQ = ("tally-scale-1@localhost", "tally-scale-2@localhost", "tally-scale-3@localhost")
INGEST_INSTANCES = 2
USERS = 100  # data users with a linked account each: the rows of the backlogs go to them
TITLES = {"single": "one node (RF 1)", "cluster": "cluster (RF 3)"}


@dataclass
class Deployment:
    key: str                # "single" or "cluster"
    stack: Stack
    cassandra: list[int]    # the JVMs of its Cassandra nodes
    users: list[BenchUser]
    ingest: list[AppProcess] = field(default_factory=list)
    proxies: dict[int, AppProcess] = field(default_factory=dict)  # n → nginx in front of the first n instances
    tokens: list[str] = field(default_factory=list)               # logged-in readers (GET /me/transactions)

    @property
    def title(self) -> str:
        return TITLES[self.key]

    @property
    def spec(self) -> WebhookSpec:
        return WebhookSpec.of(self.stack.partner_id, self.stack.secret, self.users)

    def rabbitmq(self) -> list[int]:
        return broker_pids(self.stack)

    def leader(self) -> list[int]:
        """The beam of the node leading tally.ingest (the queue's Raft leader)."""
        management = Management(self.stack.settings)
        name = management.leader(INGEST)
        return [int(n["os_pid"]) for n in management.nodes() if n.get("name") == name and n.get("os_pid")]

    def workers(self, instances: int) -> list[int]:
        """The gunicorn processes (masters and workers) of the first `instances` ingest instances."""
        return [pid for app in self.ingest[:instances] for pid in descendants(app.process.pid)]

    def use_consumers(self, count: int) -> list[AppProcess]:
        """Exactly `count` running consumers: the last ones stopped, or new ones started at once
        (a consumer paused rather than stopped would keep its prefetched messages from the others)."""
        names = [name for name in self.stack.processes if name.startswith("consumer-")]
        for name in names[count:]:
            self.stack.processes.pop(name).stop()
        settings, log_dir = self.stack.settings, self.stack.log_dir
        new = range(len(names[:count]), count)
        if new:
            with ThreadPoolExecutor(len(new)) as pool:
                started = list(pool.map(lambda i: start_consumer(settings, log_dir, f"scale-{self.key}-{i}-"
                                                                 f"{uuid.uuid4().hex[:4]}"), new))
            for i, app in zip(new, started, strict=True):
                self.stack.processes[f"consumer-{i}"] = app
        return self.stack.consumers()


def with_upstreams(conf: str, upstream: str, ports: list[int]) -> str:
    """tally.conf with the `server` line of `upstream` repeated once per port (same options):
    what deploy/nginx/tally.conf says to do for more instances."""
    block = re.search(rf"upstream {re.escape(upstream)} \{{\n(.*?)\n\}}", conf, re.S)
    if block is None:
        raise ValueError(f"no upstream {upstream} in the configuration")
    line = re.search(r"^([ \t]*)server \S+( [^;]*)?;$", block[1], re.M)
    if line is None:
        raise ValueError(f"no server line in upstream {upstream}")
    indent, options = line[1], line[2] or ""
    servers = "\n".join(f"{indent}server 127.0.0.1:{port}{options};" for port in ports)
    return conf[: block.start(1) + line.start()] + servers + conf[block.start(1) + line.end():]


def start_proxy(folder: Path, ports: list[int]) -> AppProcess:
    """An nginx of its own (configuration, logs and pid under `folder`) in front of the ingest
    instances on `ports`, in the foreground, so it is stopped like any process started here."""
    port = free_port()
    env = dict(os.environ, TALLY_VAR=str(folder), TALLY_NGINX_PORT=str(port), TALLY_INGEST_PORT=str(ports[0]),
               TALLY_API_PORT=str(ports[0]))
    conf = Path(subprocess.run([str(ROOT / "scripts" / "nginx"), "render"], env=env, capture_output=True, text=True,
                               timeout=60, check=True).stdout.strip().splitlines()[-1])
    site = conf.parent / "tally.conf"
    site.write_text(with_upstreams(site.read_text(), "tally_ingest", ports))
    nginx = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin") or "/usr/sbin/nginx"
    app = start_process(f"nginx-{port}", [nginx, "-p", str(folder / "nginx"), "-c", str(conf), "-e",
                                          str(folder / "log" / "nginx-error.log"), "-g", "daemon off;"],
                        env, folder, ready_url=f"http://127.0.0.1:{port}/readyz")
    app.url = f"http://127.0.0.1:{port}"
    return app


def _settings(log_dir: Path) -> Settings:
    return bench_settings(log_dir, KEYSPACE).replace(merchant_api_url="", trusted_proxy_hops=1)


def _deploy(key: str, stack: Stack, cassandra: list[int], say: Callable[[str], None]) -> Deployment:
    say(f"{TITLES[key]}: {USERS} users, {INGEST_INSTANCES} ingest instances, nginx in front of 1 and of "
        f"{INGEST_INSTANCES}, an api instance")
    deployment = Deployment(key, stack, cassandra, create_users(stack.runtime, stack.partner_id, USERS, "data"))
    for i in range(INGEST_INSTANCES):
        app = start_instance("ingest", stack.settings, stack.log_dir)
        stack.processes[f"ingest-{i}"] = app
        deployment.ingest.append(app)
    for n in range(1, INGEST_INSTANCES + 1):
        proxy = start_proxy(stack.log_dir / f"nginx-{key}-{n}", [app.port for app in deployment.ingest[:n]])
        stack.processes[f"nginx-{n}"] = proxy
        deployment.proxies[n] = proxy
    stack.start_api()
    return deployment


@contextlib.contextmanager
def single(log_dir: Path, secret: str, say: Callable[[str], None]) -> Iterator[Deployment]:
    """The local single node (which must run: scripts/cassandra start, scripts/rabbitmq start)."""
    pid = local_cassandra_pid()
    with data_set(_settings(log_dir), log_dir, secret, say) as stack:
        yield _deploy("single", stack, [pid], say)


def scale_folder() -> Path:
    return Path(os.environ.get("TALLY_VAR") or ROOT / "var") / "scale"


@contextlib.contextmanager
def cluster(log_dir: Path, secret: str, say: Callable[[str], None]) -> Iterator[Deployment]:
    """The bench's own cluster, started from empty folders, stopped and its data deleted at the end."""
    folder = scale_folder()
    nodes = LocalCluster(
        cassandra_nodes(folder, CLUSTER_ADDRESSES, [free_port() for _ in CLUSTER_ADDRESSES], "tally-scale"),
        rabbit_nodes(folder, CLUSTER_RABBITMQ, [(free_port(), free_port(), free_port()) for _ in CLUSTER_RABBITMQ]))
    try:
        with contextlib.suppress(Exception):  # noqa: BLE001 - a run killed before its clean-up; usually nothing
            nodes.stop(lambda _: None)
        nodes.remove_data()
        say(f"starting the cluster: Cassandra on {', '.join(CLUSTER_ADDRESSES)}, RabbitMQ "
            f"{', '.join(CLUSTER_RABBITMQ)} (folder {folder})")
        nodes.start(say)
        settings = nodes.settings(_settings(log_dir), keyspace=KEYSPACE, vhost=KEYSPACE)
        with data_set(settings, log_dir, secret, say) as stack:
            yield _deploy("cluster", stack, [node.pid for node in nodes.cassandra if node.pid], say)
    finally:
        nodes.stop(say)
        nodes.remove_data()
        say(f"cluster stopped, its data deleted (logs kept in {folder})")
