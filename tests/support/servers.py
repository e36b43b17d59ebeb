"""Disrupting the shared Cassandra and RabbitMQ servers in `disruptive` tests (they run last,
alone): the local node's pid, kill -9 and a start through the project's own scripts, a pause,
and RabbitMQ's application stopped and started. Each helper leaves the server running again."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import ROOT


def cassandra_pid() -> int:
    pidfile = Path(os.environ.get("TALLY_VAR", ROOT / "var")) / "run" / "cassandra.pid"
    if pidfile.exists():
        return int(pidfile.read_text())
    found = subprocess.run(["pgrep", "-f", "CassandraDaemon"], capture_output=True, text=True).stdout.split()
    if not found:
        pytest.fail("this test disrupts the local Cassandra node (scripts/cassandra start); none is running",
                    pytrace=False)
    return int(found[0])


def kill_cassandra() -> None:
    """kill -9 of the node, as a crash or the OOM killer would; returns once it is gone."""
    pid = cassandra_pid()
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"Cassandra (pid {pid}) still alive 30 s after SIGKILL")


def start_cassandra() -> None:
    """The project's own start (commit log replay included); returns when CQL answers."""
    subprocess.run([str(ROOT / "scripts" / "cassandra"), "start"], check=True, capture_output=True, timeout=300)


@contextlib.contextmanager
def cassandra_crashed() -> Iterator[None]:
    """The node killed with kill -9 for the block, then started again (also if the block fails)."""
    kill_cassandra()
    try:
        yield
    finally:
        start_cassandra()


@contextlib.contextmanager
def cassandra_paused() -> Iterator[None]:
    pid = cassandra_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def rabbitmqctl(*args: str) -> None:
    if not shutil.which("rabbitmqctl"):
        pytest.fail("this test disrupts the local RabbitMQ node (scripts/rabbitmq start); rabbitmqctl is missing",
                    pytrace=False)
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=120)


@contextlib.contextmanager
def broker_stopped() -> Iterator[None]:
    """RabbitMQ's application stopped (every client connection closed), then started again and
    awaited: what a maintenance restart looks like to the clients."""
    rabbitmqctl("stop_app")
    try:
        yield
    finally:
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")
