"""The campaign's own stack: a Cassandra node on 127.0.0.20 and a RabbitMQ node
`tally-chaos@localhost` (never the shared ones), keyspace and vhost `tally_chaos` made by
`tally migrate`, the partner bank simulator (its link-code API), an ingest and an api
gunicorn instance with several workers each, and two consumers.

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

from devtools.nodes import ROOT, CassandraNode, RabbitNode
from devtools.processes import BIN, AppProcess, free_port, settings_env, start_consumer, start_gunicorn, start_simulator
from service.repositories.partners import new_secret
from service.settings import Settings

FOLDER = ROOT / "var" / "chaos"
CASSANDRA_ADDRESS = "127.0.0.20"  # 127.0.0.2 and .3 stay free for a local three-node cluster
RABBITMQ_NODE = "tally-chaos@localhost"
NAME = "tally_chaos"             # keyspace and vhost
PARTNER = "chaos-bank"
API_TOKEN = "chaos-bank-token"   # noqa: S105 - the simulated bank's API credential, local only
WORKERS = 3                      # per gunicorn instance: killing one leaves two serving


@dataclass
class Stack:
    settings: Settings
    folder: Path
    cassandra: CassandraNode
    rabbitmq: RabbitNode
    secret: str
    processes: dict[str, AppProcess] = field(default_factory=dict)
    consumers: list[AppProcess] = field(default_factory=list)
    retired: list[AppProcess] = field(default_factory=list)  # killed consumers, reaped at the end

    @property
    def log_dir(self) -> Path:
        return self.folder / "logs"

    def url(self, name: str) -> str:
        url = self.processes[name].url
        assert url is not None
        return url

    def start_consumer(self) -> AppProcess:
        """One more `tally consumer`, ready when its /readyz answers (broker and Cassandra up)."""
        consumer = start_consumer(self.settings, self.log_dir, f"chaos-{uuid.uuid4().hex[:6]}")
        self.consumers.append(consumer)
        return consumer


def chaos_settings(folder: Path, amqp_port: int, management_port: int, hold_seconds: int) -> Settings:
    return Settings.from_env().replace(
        env="test", cassandra_hosts=CASSANDRA_ADDRESS, cassandra_port=9042, keyspace=NAME,
        amqp_url=f"amqp://guest:guest@127.0.0.1:{amqp_port}/{NAME}",
        rabbitmq_management_url=f"http://127.0.0.1:{management_port}", log_dir=str(folder / "logs"),
        merchant_api_url="", bcrypt_cost=4, consumer_hold_seconds=hold_seconds, consumer_nice=10,
        metrics_port=0)


@contextlib.contextmanager
def chaos_stack(hold_seconds: int, say: Callable[[str], None], consumers: int = 2) -> Iterator[Stack]:
    folder = FOLDER
    cassandra = CassandraNode(CASSANDRA_ADDRESS, folder / "cassandra", jmx_port=free_port(), cluster_name="tally-chaos")
    rabbitmq = RabbitNode(RABBITMQ_NODE, folder / "rabbitmq", amqp_port=free_port(), management_port=free_port(),
                          dist_port=free_port())
    settings = chaos_settings(folder, rabbitmq.amqp_port, rabbitmq.management_port, hold_seconds)
    stack = Stack(settings, folder, cassandra, rabbitmq, new_secret())
    try:
        _clear_leftovers(stack, say)
        say(f"installing what is missing, then starting Cassandra on {CASSANDRA_ADDRESS} and RabbitMQ {RABBITMQ_NODE}")
        cassandra.install()
        rabbitmq.install()
        cassandra.start()
        rabbitmq.start()
        say(f"Cassandra pid {cassandra.pid}, RabbitMQ pid {rabbitmq.pid}; migrating keyspace and vhost {NAME}")
        _tally(settings, "migrate")
        _start_apps(stack, consumers)
        yield stack
    finally:
        _tear_down(stack, say)


def _clear_leftovers(stack: Stack, say: Callable[[str], None]) -> None:
    """A run killed before its clean-up may have left its nodes running: stop them (their pid
    files and node name are this tool's), then start from empty folders."""
    for node in (stack.cassandra, stack.rabbitmq):
        with contextlib.suppress(Exception):  # noqa: BLE001 - nothing to stop is the usual case
            node.stop()
    for name in ("cassandra", "rabbitmq", "logs"):
        shutil.rmtree(stack.folder / name, ignore_errors=True)
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
    for node in (stack.cassandra, stack.rabbitmq):
        try:
            node.stop()
        except Exception as exc:  # noqa: BLE001 - a node that will not stop is killed by its pid
            say(f"{type(node).__name__} did not stop cleanly ({exc}); SIGKILL")
            with contextlib.suppress(Exception):
                node.kill()
        node.remove_data()
    say(f"stopped every process of the campaign; node data deleted (logs kept in {stack.folder})")
