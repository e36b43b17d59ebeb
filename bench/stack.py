"""The benchmark's own stacks on the local Cassandra and RabbitMQ, with production-like
settings (bcrypt cost 12, no test hooks): the simulators, and two data sets, each a keyspace
and a vhost of its own (dropped and recreated at start):

- `tally_bench` (1× stored rows): the ingest and api instances, two consumers;
- `tally_bench_10x` (10× stored rows): its own api instance and, while write-scaling runs, two
  consumers of its own.

Both are loaded up front, so read-scaling and write-scaling alternate between them in rounds
(bench/rounds.py) instead of measuring one, growing it and measuring again minutes later.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cassandra.cluster import Session

from devtools.processes import ROOT, AppProcess, free_port, start_consumer, start_gunicorn, start_simulator
from devtools.procfs import children, descendants
from service.bootstrap import Runtime
from service.broker.management import Management
from service.broker.setup import setup_broker
from service.repositories.partners import new_secret
from service.settings import Settings
from service.storage.migrations import migrate
from service.storage.session import connect, shutdown

BENCH_KEYSPACE = "tally_bench"
TENFOLD_KEYSPACE = "tally_bench_10x"
PARTNER_ID = "bench-bank"
# gunicorn settings of both instances (and of the ingest baseline): see README, Benchmarks.
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "8"))


@dataclass
class Stack:
    """One data set: its settings (keyspace, vhost), the harness's own connections to it, the
    bench partner, and the processes started for it."""

    settings: Settings
    log_dir: Path
    runtime: Runtime
    partner_id: str
    secret: str
    processes: dict[str, AppProcess] = field(default_factory=dict)

    @property
    def session(self) -> Session:
        return self.runtime.session

    def url(self, name: str) -> str:
        url = self.processes[name].url
        assert url is not None
        return url

    def start_consumers(self, count: int = 2, **env: str) -> list[AppProcess]:
        started = [start_consumer(self.settings, self.log_dir, f"{self.settings.keyspace}-{i}-{uuid.uuid4().hex[:4]}",
                                  **env)
                   for i in range(count)]
        for i, app in enumerate(started):
            self.processes[f"consumer-{i}"] = app
        return started

    def stop_consumers(self) -> None:
        for name in [n for n in self.processes if n.startswith("consumer-")]:
            self.processes.pop(name).stop()

    def consumers(self) -> list[AppProcess]:
        return [app for name, app in self.processes.items() if name.startswith("consumer-")]

    def pids(self, name: str) -> list[int]:
        """The process and, for gunicorn, its workers."""
        pid = self.processes[name].process.pid
        return children(pid) or [pid]

    def tree(self, name: str) -> list[int]:
        """The process and all below it (a gunicorn master and its workers)."""
        return descendants(self.processes[name].process.pid)

    def start_api(self) -> None:
        self.processes["api"] = start_instance("api", self.settings, self.log_dir)


def bench_settings(log_dir: Path, keyspace: str = BENCH_KEYSPACE) -> Settings:
    base = Settings.from_env()
    host = base.amqp_url.split("@")[-1].split("/")[0]
    user, password = base.amqp_credentials
    return base.replace(env="test", keyspace=keyspace, amqp_url=f"amqp://{user}:{password}@{host}/{keyspace}",
                        log_dir=str(log_dir), consumer_max_rows_per_second=0, consumer_nice=19)


def start_instance(instance: str, settings: Settings, log_dir: Path, *, workers: int = WORKERS,
                   threads: int = THREADS, app_path: str | None = None) -> AppProcess:
    """A gunicorn instance as scripts/dev starts it, with multiprocess metrics of its own."""
    name = f"{instance}-{settings.keyspace}-{workers}x{threads}{'-baseline' if app_path else ''}"
    return start_gunicorn(instance, settings, log_dir, workers=workers, threads=threads, app_path=app_path,
                          PROMETHEUS_MULTIPROC_DIR=str(log_dir / f"prom-{name}-{uuid.uuid4().hex[:4]}"),
                          TALLY_METRICS_PORT=str(free_port()))


def _fresh(settings: Settings, say: Callable[[str], None]) -> None:
    say(f"preparing keyspace {settings.keyspace} and vhost {settings.vhost} (dropped and recreated)")
    admin = connect(settings, slow_query_log=False)
    try:
        admin.execute(f"DROP KEYSPACE IF EXISTS {settings.keyspace}", timeout=120)
        Management(settings).delete_vhost()
        migrate(settings, admin, say=lambda _: None)
    finally:
        shutdown(admin)
    setup_broker(settings, say=lambda _: None)


@contextlib.contextmanager
def data_set(settings: Settings, log_dir: Path, secret: str, say: Callable[[str], None]) -> Iterator[Stack]:
    """A fresh keyspace and vhost with the bench partner; its processes stop when the block ends."""
    _fresh(settings, say)
    runtime = Runtime(settings, publisher_pool_size=8)
    stack = Stack(settings, log_dir, runtime, PARTNER_ID, secret)
    try:
        runtime.partners().add(PARTNER_ID, "Bench Bank", None, "bench-token", secret)
        yield stack
    finally:
        for app in stack.processes.values():
            app.stop()
        runtime.close()


@contextlib.contextmanager
def bench_stack(log_dir: Path, say: Callable[[str], None]) -> Iterator[Stack]:
    """The 1× data set with the simulators, the ingest and the api instance."""
    with data_set(bench_settings(log_dir), log_dir, new_secret(), say) as stack:
        merchant = start_simulator("merchant", log_dir, "--latency-ms", "20", "--api-key",
                                   stack.settings.merchant_api_key)
        stack.processes["merchant-sim"] = merchant
        stack.settings = stack.settings.replace(merchant_api_url=merchant.url or "")
        bank = start_simulator("bank", log_dir, "--partner-id", PARTNER_ID, "--signing-secret", stack.secret,
                               "--api-token", "bench-token")
        stack.processes["bank-sim"] = bank
        stack.runtime.partners().set_api(PARTNER_ID, bank.url, "bench-token")
        stack.processes["ingest"] = start_instance("ingest", stack.settings, log_dir)
        stack.start_api()
        yield stack


@contextlib.contextmanager
def tenfold(stack: Stack, say: Callable[[str], None]) -> Iterator[Stack]:
    """The 10× data set beside `stack`: the same simulators and partner secret, its own api."""
    settings = bench_settings(stack.log_dir, TENFOLD_KEYSPACE).replace(merchant_api_url=stack.settings.merchant_api_url)
    with data_set(settings, stack.log_dir, stack.secret, say) as ten:
        ten.runtime.partners().set_api(PARTNER_ID, stack.processes["bank-sim"].url, "bench-token")
        ten.start_api()
        yield ten


def pause(process: AppProcess) -> None:
    process.signal(signal.SIGSTOP)


def resume(process: AppProcess) -> None:
    process.signal(signal.SIGCONT)


def settle(settings: Settings, keyspaces: list[str], say: Callable[[str], None], timeout: float = 300) -> float:
    """After a bulk load: flush the keyspaces' memtables, write the dirty pages back to disk
    (the load's commit log is hundreds of MB; its writeback stalled reads for a minute in one
    run) and wait until no compaction is pending, so a measurement does not share the disk and
    CPU with the load's aftermath. Uses the local node's nodetool (scripts/cassandra); an
    external cluster just gets 10 s."""
    started = time.monotonic()
    tool = [str(ROOT / "scripts" / "cassandra"), "nodetool"]
    if settings.cassandra_hosts not in ("127.0.0.1", "localhost") or os.environ.get("CASSANDRA_HOSTS"):
        time.sleep(10)
        return time.monotonic() - started
    for keyspace in keyspaces:
        subprocess.run([*tool, "flush", keyspace], check=True, capture_output=True, timeout=timeout)
    os.sync()
    while time.monotonic() - started < timeout:
        stats = subprocess.run([*tool, "compactionstats"], check=True, capture_output=True, text=True, timeout=60)
        pending = re.search(r"pending tasks:?\s+(\d+)", stats.stdout)
        if pending and pending[1] == "0":
            break
        time.sleep(2)
    seconds = time.monotonic() - started
    say(f"flushed and compacted in {seconds:.0f} s")
    return seconds
