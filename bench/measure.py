"""Measurements shared by the scenarios: consumer write rate, the raw-driver baseline,
the ingest queue and the broker's processes, peak memory."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

from bench.data import BenchUser, Transactions, reaped, users_file
from bench.host import peak_rss_mib
from bench.stack import Stack, pause, resume
from devtools.nodes import ROOT, NodeError
from devtools.processes import settings_env
from devtools.procfs import stat_fields
from service.broker.connection import broker_connection, ensure_connected
from service.broker.management import Management
from service.broker.topology import INGEST, queue


def rows_written(stack: Stack) -> float:
    """Sum of tally_rows_written_total{queue="transactions"} over the running consumers."""
    total = 0.0
    for name, app in stack.processes.items():
        if name.startswith("consumer-"):
            text = requests.get(f"{app.url}/metrics", timeout=5).text
            total += sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
                         if s.name == "tally_rows_written_total" and s.labels.get("queue") == "transactions")
    return total


def wait_rows(stack: Stack, target: float, timeout: float) -> float:
    """Waits until the consumers have written `target` rows in all; returns the time it happened."""
    deadline = time.monotonic() + timeout
    while rows_written(stack) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"consumers wrote {rows_written(stack)} of {target} rows in {timeout} s")
        time.sleep(0.1)
    return time.monotonic()


def publish_direct(stack: Stack, users: Sequence[BenchUser], rows: int) -> None:
    """Queues `rows` transactions on tally.ingest as ingest would (100 per message), without HTTP.
    New transaction ids at every call: a round never rewrites the rows of the one before, as the
    raw-driver baseline never does."""
    source = Transactions(users, seed=random.getrandbits(48))
    pool = stack.runtime.publishers
    for start in range(0, rows, 100):
        batch = source.batch(min(100, rows - start))
        request_id = uuid.uuid4().hex
        pool.publish(json.dumps({"transactions": batch}).encode(), INGEST, message_id=request_id,
                     headers={"partner_id": stack.partner_id, "received_at": datetime.now(UTC).isoformat(),
                              "request_id": request_id})


def consumer_rate(stack: Stack, users: Sequence[BenchUser], rows: int) -> dict[str, float]:
    """Rows/s of the running consumers over a backlog of `rows`: consumers are paused while the
    backlog is queued, then resumed together; the clock runs until the last row is written."""
    consumers = stack.consumers()
    before = rows_written(stack)
    for app in consumers:
        pause(app)
    try:
        publish_direct(stack, users, rows)
    finally:
        started = time.monotonic()
        for app in consumers:
            resume(app)
    finished = wait_rows(stack, before + rows, timeout=max(120.0, rows / 200))
    seconds = finished - started
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds, 1)}


def raw_rate(stack: Stack, users: Sequence[BenchUser], rows: int, processes: int = 2) -> dict[str, float]:
    """The same statements by plain driver code in `processes` processes started together."""
    results = []
    with users_file(users) as path:
        argv = [sys.executable, "-m", "bench.raw_writer", "--rows", str(rows // processes), "--users", path,
                "--partner", stack.partner_id]
        env = settings_env(stack.settings)
        with reaped([subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for _ in range(processes)]) as runs:
            for run in runs:
                out, err = run.communicate(timeout=600)
                if run.returncode != 0:
                    raise RuntimeError(f"the raw-driver baseline failed: {err.strip()[-2000:]}")
                results.append(json.loads(out.strip().splitlines()[-1]))
    seconds = max(r["seconds"] for r in results)
    total = sum(r["rows"] for r in results)
    return {"rows": total, "seconds": round(seconds, 2), "rows_per_second": round(total / seconds, 1)}


def purge_ingest(stack: Stack) -> None:
    with broker_connection(stack.settings.amqp_url) as connection:
        queue(INGEST)(ensure_connected(connection).default_channel).purge()


def ingest_depth(stack: Stack) -> int:
    return int(Management(stack.settings).queue(INGEST).get("messages", 0))


def broker_pids(stack: Stack) -> list[int]:
    """The RabbitMQ nodes of the stack's broker that run on this host (none for a remote broker)."""
    pids = [int(node["os_pid"]) for node in Management(stack.settings).nodes() if node.get("os_pid")]
    return [pid for pid in pids if stat_fields(pid) and _command(pid).startswith("beam")]


def local_cassandra_pid() -> int:
    """The JVM of the local single node (scripts/cassandra pid, $TALLY_VAR)."""
    env = {k: v for k, v in os.environ.items() if k not in ("CASSANDRA_HOSTS", "CASSANDRA_NODE_DIR")}
    done = subprocess.run([str(ROOT / "scripts" / "cassandra"), "pid"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    if done.returncode != 0 or not stat_fields(int(done.stdout.strip() or 0)):
        raise NodeError("the local Cassandra node is not running: start it with scripts/cassandra start")
    return int(done.stdout.strip())


def _command(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as comm:
            return comm.read().strip()
    except OSError:
        return ""


class MemorySampler:
    """Peak RSS (VmHWM) of every gunicorn worker and consumer, sampled once a second."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self._sample()

    def _sample(self) -> None:
        for name in list(self.stack.processes):
            if not (name in ("ingest", "api") or name.startswith("consumer-")):
                continue
            for pid in self.stack.pids(name):
                peak = peak_rss_mib(pid)
                key = f"{name}[{pid}]"
                if peak is not None:
                    self.peaks[key] = max(self.peaks.get(key, 0.0), round(peak, 1))
