"""Extra Cassandra and RabbitMQ nodes on this host, started and stopped by the project's own
scripts (scripts/cassandra, scripts/rabbitmq with a node folder, address and ports in the
environment), and signalled by the pid those scripts report once the node is ready.

`tally chaos` starts one of each; devtools.cluster starts three of each as a cluster
(CassandraNodes with one seed, evenly spaced tokens and a rack each; RabbitNodes joined with
`scripts/rabbitmq join`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from devtools.procfs import children, stat_fields

ROOT = Path(__file__).resolve().parents[1]
# Settings naming an existing cluster or broker make the scripts leave the local nodes alone.
EXTERNAL = ("CASSANDRA_HOSTS", "AMQP_URL")


def _script_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in EXTERNAL}
    env.update(extra)
    return env


def _run(script: str, args: tuple[str, ...], env: dict[str, str], timeout: float) -> str:
    done = subprocess.run([str(ROOT / "scripts" / script), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        raise NodeError(f"scripts/{script} {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    return done.stdout.strip()


class NodeError(RuntimeError):
    pass


def process_gone(pid: int) -> bool:
    """The process has exited (a zombie its parent has not reaped yet counts as exited)."""
    return stat_fields(pid)[:1] in ([], ["Z"])


def wait_gone(pid: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not process_gone(pid):
        if time.monotonic() > deadline:
            raise NodeError(f"process {pid} still there {timeout:.0f} s after it was signalled")
        time.sleep(0.1)


def stopped(pid: int) -> bool:
    """The process is stopped by a signal (state T)."""
    return stat_fields(pid)[:1] == ["T"]


def start_ticks(pid: int) -> int | None:
    """When the process started (clock ticks since boot): with the pid, its identity."""
    fields = stat_fields(pid)
    return int(fields[19]) if len(fields) > 19 else None


class ScriptedNode:
    """What both kinds of node do through their script: install, start (which returns once the
    node serves clients) and remember the pid the script reports, with its start time: pids are
    reused (pid_max may be 32768), so a signal goes only to the very process this object started."""

    script: ClassVar[str]
    pid: int | None
    _ticks: int | None = None

    def env(self) -> dict[str, str]:
        raise NotImplementedError

    def run_script(self, *args: str, timeout: float) -> str:
        return _run(self.script, args, self.env(), timeout)

    def install(self) -> None:
        self.run_script("install", timeout=1800)

    def start(self) -> None:
        self.run_script("start", timeout=300)
        self.pid = int(self.run_script("pid", timeout=60))
        self._ticks = start_ticks(self.pid)

    def owned_pid(self) -> int:
        """The pid of the process this object started, while that process runs."""
        if self.pid is None or process_gone(self.pid) or start_ticks(self.pid) != self._ticks:
            raise NodeError(f"the {self.script} node this campaign started (pid {self.pid}) no longer runs")
        return self.pid

    def signal(self, sig: int) -> None:
        os.kill(self.owned_pid(), sig)

    def kill(self) -> int:
        """SIGKILL to the node's process (and to the helpers that would keep its ports); returns
        its pid once it is gone."""
        pid = self.owned_pid()
        helpers = self.helpers(pid)
        os.kill(pid, signal.SIGKILL)
        for helper in helpers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(helper, signal.SIGKILL)
        wait_gone(pid)
        return pid

    def helpers(self, pid: int) -> list[int]:
        return []


@dataclass
class CassandraNode(ScriptedNode):
    """A Cassandra node at `address` (CQL 9042, storage 7000 there) with its data in `folder`.
    `start` returns once CQL answers."""

    script = "cassandra"

    address: str
    folder: Path
    jmx_port: int
    heap: str = "512M"
    cluster_name: str = "tally-local"
    seeds: str = ""           # default: the node itself
    initial_token: str = "0"  # noqa: S105 - a ring position, not a credential
    rack: str = ""            # a cluster's node: its rack (GossipingPropertyFileSnitch); alone: SimpleSnitch
    hinted_handoff: bool = False  # a cluster's node keeps hints for a replica that is down
    ring_delay_ms: int | None = None  # a joining node's wait for the ring (None: Cassandra's 30 s)
    pid: int | None = None    # the JVM this object started, once ready

    def env(self) -> dict[str, str]:
        extra = {"CASSANDRA_NODE_DIR": str(self.folder), "CASSANDRA_ADDRESS": self.address,
                 "CASSANDRA_JMX_PORT": str(self.jmx_port), "CASSANDRA_HEAP": self.heap,
                 "CASSANDRA_CLUSTER_NAME": self.cluster_name, "CASSANDRA_SEEDS": self.seeds or self.address,
                 "CASSANDRA_INITIAL_TOKEN": self.initial_token,
                 "CASSANDRA_HINTED_HANDOFF": "true" if self.hinted_handoff else "false"}
        if self.rack:
            extra["CASSANDRA_RACK"] = self.rack
        if self.ring_delay_ms is not None:
            extra["CASSANDRA_RING_DELAY_MS"] = str(self.ring_delay_ms)
        return _script_env(extra)

    def nodetool(self, *args: str, timeout: float = 600) -> str:
        """Cassandra's nodetool against this node (its JMX port), e.g. `nodetool("status")`."""
        return self.run_script("nodetool", *args, timeout=timeout)

    def stop(self) -> None:
        with contextlib.suppress(NodeError):
            self.signal(signal.SIGCONT)  # a paused node cannot stop
        self.run_script("stop", timeout=120)

    def remove_data(self) -> None:
        """Deletes the node's data, commit log, hints and caches; its logs stay for reading."""
        for name in ("data", "commitlog", "hints", "saved_caches", "cdc_raw", "tmp", "triggers"):
            shutil.rmtree(self.folder / name, ignore_errors=True)


@dataclass
class RabbitNode(ScriptedNode):
    """A RabbitMQ node `name` (e.g. chaos@localhost) with AMQP and management on 127.0.0.1.
    `start` returns once `rabbitmqctl await_startup` and the management API answer."""

    script = "rabbitmq"

    name: str
    folder: Path
    amqp_port: int
    management_port: int
    dist_port: int
    pid: int | None = None  # the Erlang VM (beam) this object started, once ready

    def env(self) -> dict[str, str]:
        return _script_env({"RABBITMQ_NODE_DIR": str(self.folder), "RABBITMQ_NODENAME": self.name,
                            "RABBITMQ_NODE_PORT": str(self.amqp_port),
                            "RABBITMQ_MANAGEMENT_PORT": str(self.management_port),
                            "RABBITMQ_DIST_PORT": str(self.dist_port)})

    def stop(self) -> None:
        """A graceful stop (rabbitmqctl stop); returns once the VM has exited."""
        self.run_script("stop", timeout=180)
        if self.pid is not None:
            wait_gone(self.pid, timeout=60)

    def join(self, seed: str) -> None:
        """This running node joins the cluster of node `seed` (a no-op once it is a member);
        returns once `rabbitmqctl cluster_status` lists both running."""
        self.run_script("join", seed, timeout=300)

    def ctl(self, *args: str, timeout: float = 120) -> str:
        """rabbitmqctl against this node."""
        return self._tool("rabbitmqctl", args, timeout)

    def upgrade(self, *args: str, timeout: float = 120) -> str:
        """rabbitmq-upgrade against this node (e.g. await_online_quorum_plus_one)."""
        return self._tool("rabbitmq-upgrade", args, timeout)

    def _tool(self, tool: str, args: tuple[str, ...], timeout: float) -> str:
        done = subprocess.run([tool, "-q", "-n", self.name, *args], capture_output=True, text=True,
                              timeout=timeout, check=False)
        if done.returncode != 0:
            raise NodeError(f"{tool} -n {self.name} {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
        return done.stdout

    def helpers(self, pid: int) -> list[int]:
        """The VM's own children (erl_child_setup and its port programs), so none keeps a port;
        epmd is not its child (it serves every node on the host) and stays."""
        return children(pid)

    def remove_data(self) -> None:
        """Deletes the node's message store and schema (mnesia); its logs stay for reading."""
        shutil.rmtree(self.folder / "mnesia", ignore_errors=True)
