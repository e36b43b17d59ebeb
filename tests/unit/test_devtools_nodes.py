"""`tally chaos` signals only the node process it started: a pid is trusted only with the
start time it had when recorded (pids are reused)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from devtools.nodes import CassandraNode, NodeError, process_gone, start_ticks, stopped, wait_gone


def test_a_node_object_signals_its_own_process_and_refuses_once_it_is_gone(tmp_path: Path) -> None:
    child = subprocess.Popen(["sleep", "30"])
    node = CassandraNode("127.0.0.99", tmp_path, jmx_port=1)
    node.pid, node._ticks = child.pid, start_ticks(child.pid)
    try:
        node.signal(signal.SIGSTOP)
        deadline = time.monotonic() + 2  # the kernel stops it asynchronously
        while not stopped(child.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stopped(child.pid)
        node.signal(signal.SIGCONT)
        assert node.kill() == child.pid and process_gone(child.pid)  # a zombie until reaped counts as gone
        with pytest.raises(NodeError):
            node.signal(signal.SIGCONT)
    finally:
        child.kill()
        child.wait()


def test_a_pid_with_another_start_time_is_not_the_nodes(tmp_path: Path) -> None:
    child = subprocess.Popen(["sleep", "30"])
    node = CassandraNode("127.0.0.99", tmp_path, jmx_port=1)
    node.pid, node._ticks = child.pid, (start_ticks(child.pid) or 0) - 1  # as if the pid were reused
    try:
        with pytest.raises(NodeError):
            node.kill()
        assert not process_gone(child.pid)
    finally:
        child.kill()
        child.wait()
    wait_gone(child.pid)
