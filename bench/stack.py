"""The benchmark's own stack on the local Cassandra and RabbitMQ: keyspace `tally_bench`
(dropped at start) and vhost `tally_bench`, its own ingest and api instances, two consumers
and the simulators, with production-like settings (bcrypt cost 12, no test hooks)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cassandra.cluster import Session

from devtools.processes import ROOT, AppProcess, free_port, start_consumer, start_gunicorn, start_simulator
from service.bootstrap import Runtime
from service.broker.management import Management
from service.broker.setup import setup_broker
from service.repositories.partners import new_secret
from service.settings import Settings
from service.storage.migrations import migrate
from service.storage.session import connect, shutdown

BENCH_KEYSPACE = "tally_bench"
# gunicorn settings of both instances (and of the ingest baseline): see README, Benchmarks.
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "8"))


@dataclass
class Stack:
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
        started = [start_consumer(self.settings, self.log_dir, f"bench-{i}-{uuid.uuid4().hex[:4]}", **env)
                   for i in range(count)]
        for i, app in enumerate(started):
            self.processes[f"consumer-{i}"] = app
        return started

    def stop_consumers(self) -> None:
        for name in [n for n in self.processes if n.startswith("consumer-")]:
            self.processes.pop(name).stop()

    def pids(self, name: str) -> list[int]:
        """The process and, for gunicorn, its workers."""
        pid = self.processes[name].process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        workers = [int(p) for p in children.read_text().split()] if children.exists() else []
        return workers or [pid]


def bench_settings(log_dir: Path, quick: bool) -> Settings:
    base = Settings.from_env()
    host = base.amqp_url.split("@")[-1].split("/")[0]
    user, password = base.amqp_credentials
    return base.replace(env="test", keyspace=BENCH_KEYSPACE, amqp_url=f"amqp://{user}:{password}@{host}/tally_bench",
                        log_dir=str(log_dir), consumer_max_rows_per_second=0, consumer_nice=19)


@contextlib.contextmanager
def bench_stack(log_dir: Path, quick: bool, say: Callable[[str], None]) -> Iterator[Stack]:
    settings = bench_settings(log_dir, quick)
    say(f"preparing keyspace {settings.keyspace} and vhost {settings.vhost} (dropped and recreated)")
    admin = connect(settings, slow_query_log=False)
    try:
        admin.execute(f"DROP KEYSPACE IF EXISTS {settings.keyspace}", timeout=120)
        Management(settings).delete_vhost()
        migrate(settings, admin, say=lambda _: None)
    finally:
        shutdown(admin)
    setup_broker(settings, say=lambda _: None)
    runtime = Runtime(settings, publisher_pool_size=8)
    secret = new_secret()
    partner_id = "bench-bank"
    runtime.partners().add(partner_id, "Bench Bank", None, "bench-token", secret)
    stack = Stack(settings, log_dir, runtime, partner_id, secret)
    try:
        merchant = start_simulator("merchant", log_dir, "--latency-ms", "20", "--api-key", settings.merchant_api_key)
        stack.processes["merchant-sim"] = merchant
        stack.settings = settings = settings.replace(merchant_api_url=merchant.url or "")
        bank = start_simulator("bank", log_dir, "--partner-id", partner_id, "--signing-secret", secret,
                               "--api-token", "bench-token")
        stack.processes["bank-sim"] = bank
        runtime.partners().set_api(partner_id, bank.url, "bench-token")
        for instance in ("ingest", "api"):
            stack.processes[instance] = start_gunicorn(instance, settings, log_dir, workers=WORKERS, threads=THREADS,
                                                       PROMETHEUS_MULTIPROC_DIR=str(log_dir / f"prom-{instance}"),
                                                       TALLY_METRICS_PORT=str(free_port()))
        yield stack
    finally:
        for app in stack.processes.values():
            app.stop()
        runtime.close()


def pause(process: AppProcess) -> None:
    process.signal(signal.SIGSTOP)


def resume(process: AppProcess) -> None:
    process.signal(signal.SIGCONT)


def settle(settings: Settings, say: Callable[[str], None], timeout: float = 300) -> float:
    """After a bulk load: flush the keyspace's memtables, write the dirty pages back to disk
    (the load's commit log is hundreds of MB; its writeback stalled reads for a minute in one
    run) and wait until no compaction is pending, so a measurement does not share the disk and
    CPU with the load's aftermath. Uses the local node's nodetool (scripts/cassandra); an
    external cluster just gets 10 s."""
    started = time.monotonic()
    tool = [str(ROOT / "scripts" / "cassandra"), "nodetool"]
    if settings.cassandra_hosts not in ("127.0.0.1", "localhost") or os.environ.get("CASSANDRA_HOSTS"):
        time.sleep(10)
        return time.monotonic() - started
    subprocess.run([*tool, "flush", settings.keyspace], check=True, capture_output=True, timeout=timeout)
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


def peak_rss_mib(pid: int) -> float | None:
    """VmHWM: the peak resident set size of a live process since it started."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_times() -> list[int]:
    """The machine's CPU time so far, in clock ticks: user nice system idle iowait irq softirq steal."""
    return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def steal_percent(before: list[int], after: list[int]) -> float:
    """Share of the machine's CPU time the hypervisor gave to others between two readings: on
    these shared machines a phase with much steal measured a slower machine."""
    total = sum(after) - sum(before)
    return round(100 * (after[7] - before[7]) / total, 1) if total > 0 else 0.0


CPU_PROBE = """
import time
best = float("inf")
for _ in range(REPEATS):
    started = time.perf_counter()
    sum(i * i for i in range(1_000_000))
    best = min(best, time.perf_counter() - started)
print(best)
"""


def cpu_probe_ms(repeats: int = 5) -> float:
    """The best of `repeats` timings of one fixed pure-Python workload (about 60 ms on a quiet
    machine), in a fresh interpreter so that no thread of the harness holds its GIL: how fast
    this shared machine is right now. Two phases of one run compare fairly only if it is close."""
    out = subprocess.run([sys.executable, "-c", CPU_PROBE.replace("REPEATS", str(repeats))],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return round(float(out) * 1000, 1)


def machine() -> dict[str, object]:
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {"cores": os.cpu_count(), "memory_gib": round(int(mem) / 1024 / 1024, 1),
            "load_average_at_start": os.getloadavg()}
