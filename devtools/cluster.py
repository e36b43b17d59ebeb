"""A local cluster: three Cassandra 5.0 nodes (one data centre, a rack each, evenly spaced
tokens, one seed) and three clustered RabbitMQ nodes on this host, started through the
project's own scripts (devtools.nodes), one after another, each waited for until it has
joined: `nodetool status` shows it UN, `rabbitmqctl cluster_status` lists it running.

Used by `scripts/cluster` (and so `scripts/dev up --cluster`), the `cluster` test layer
(tests/cluster/) and `tally chaos --cluster`. Where the nodes go (scripts' settings, read from
the environment; the defaults are the product's, what CI and `scripts/dev up --cluster` use):

  TALLY_CLUSTER_ADDRESSES     127.0.0.1,127.0.0.2,127.0.0.3  Cassandra nodes, CQL 9042 on each
  TALLY_CLUSTER_JMX_PORT      7199       node i's JMX port: this + i - 1
  TALLY_CLUSTER_RABBITMQ      tally-1@localhost,tally-2@localhost,tally-3@localhost
  TALLY_CLUSTER_AMQP_PORT     5673       node i's AMQP port: this + i - 1; its management port
                                         +10000, its Erlang distribution port +20000
  TALLY_CLUSTER_HEAP          512M       each Cassandra node's heap (three fit beside the rest)
  TALLY_CLUSTER_DIR           <repo>/var/cluster   the nodes' folders

Cassandra node 1 takes 127.0.0.1, the address of the single node of `scripts/dev up`: a
cluster on it stops that node first (cleanly), and says so (`start` returns whether it did,
so the test layer starts it again at the end). The single RabbitMQ node (5672) is left alone.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from devtools.nodes import ROOT, CassandraNode, NodeError, RabbitNode
from service.settings import Settings, with_vhost

DC = "datacenter1"             # one data centre (GossipingPropertyFileSnitch), = CASSANDRA_LOCAL_DC's default
REPLICATION_FACTOR = 3
SINGLE_NODE_ADDRESS = "127.0.0.1"  # the default node of scripts/cassandra (cassandra/cassandra.yaml)
JOIN_TIMEOUT = 120.0           # after CQL answers, until the seed sees the new node UN
# A joining node waits this long for the ring to settle before it bootstraps; Cassandra's 30 s
# default was 30 of the 48 s each of nodes 2 and 3 took here (var/cluster/cassandra-2/logs:
# "sleeping 30000 ms for pending range setup"); gossip over one host's loopback settles in
# about a second.
RING_DELAY_MS = 5_000
MANAGEMENT_OFFSET, DIST_OFFSET = 10_000, 20_000
_STATUS_LINE = re.compile(r"^([UD][NLJM])\s+(\S+)\s")


def even_tokens(nodes: int) -> list[int]:
    """One Murmur3 token per node, evenly spaced over the ring (the lowest token, -2**63, is
    the ring's minimum and cannot be a node's: every token is shifted by 2)."""
    return [-(2 ** 63) + i * 2 ** 64 // nodes + 2 for i in range(nodes)]


def ring_states(nodetool_status: str) -> dict[str, str]:
    """`nodetool status` → {address: state}, e.g. {"127.0.0.1": "UN", "127.0.0.2": "DN"}."""
    return {m[2]: m[1] for line in nodetool_status.splitlines() if (m := _STATUS_LINE.match(line.strip()))}


@dataclass(frozen=True)
class Layout:
    """Where a cluster's nodes go: addresses, names, first ports, folder."""

    addresses: tuple[str, ...]
    jmx_port: int
    rabbit_names: tuple[str, ...]
    amqp_port: int
    folder: Path
    heap: str = "512M"
    cluster_name: str = "tally-cluster"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Layout:
        env = os.environ if environ is None else environ

        def names(variable: str, default: str) -> tuple[str, ...]:
            return tuple(n.strip() for n in env.get(variable, default).split(",") if n.strip())

        layout = cls(
            addresses=names("TALLY_CLUSTER_ADDRESSES", "127.0.0.1,127.0.0.2,127.0.0.3"),
            jmx_port=int(env.get("TALLY_CLUSTER_JMX_PORT", "7199")),
            rabbit_names=names("TALLY_CLUSTER_RABBITMQ", "tally-1@localhost,tally-2@localhost,tally-3@localhost"),
            amqp_port=int(env.get("TALLY_CLUSTER_AMQP_PORT", "5673")),
            folder=Path(env.get("TALLY_CLUSTER_DIR") or ROOT / "var" / "cluster"),
            heap=env.get("TALLY_CLUSTER_HEAP", "512M"))
        if len(layout.addresses) < REPLICATION_FACTOR or len(layout.rabbit_names) < 3:
            raise ValueError("a cluster needs at least three Cassandra addresses and three RabbitMQ node names")
        return layout

    def cassandra_nodes(self) -> list[CassandraNode]:
        return cassandra_nodes(self.folder, self.addresses, [self.jmx_port + i for i in range(len(self.addresses))],
                               self.cluster_name, self.heap)

    def rabbit_nodes(self) -> list[RabbitNode]:
        ports = [self.amqp_port + i for i in range(len(self.rabbit_names))]
        return rabbit_nodes(self.folder, self.rabbit_names,
                            [(port, port + MANAGEMENT_OFFSET, port + DIST_OFFSET) for port in ports])


def cassandra_nodes(folder: Path, addresses: Sequence[str], jmx_ports: Sequence[int], cluster_name: str,
                    heap: str = "512M") -> list[CassandraNode]:
    """The Cassandra nodes of one cluster: the first address is the seed, tokens evenly
    spaced, a rack each, hints kept for a node that is down."""
    tokens = even_tokens(len(addresses))
    return [CassandraNode(address, folder / f"cassandra-{i + 1}", jmx_port=jmx_ports[i], heap=heap,
                          cluster_name=cluster_name, seeds=addresses[0], initial_token=str(tokens[i]),
                          rack=f"rack{i + 1}", hinted_handoff=True, ring_delay_ms=RING_DELAY_MS)
            for i, address in enumerate(addresses)]


def rabbit_nodes(folder: Path, names: Sequence[str], ports: Sequence[tuple[int, int, int]]) -> list[RabbitNode]:
    """The RabbitMQ nodes of one cluster, with their (AMQP, management, distribution) ports."""
    return [RabbitNode(name, folder / f"rabbitmq-{i + 1}", amqp_port=amqp, management_port=management,
                       dist_port=dist)
            for i, (name, (amqp, management, dist)) in enumerate(zip(names, ports, strict=True))]


@dataclass
class LocalCluster:
    cassandra: list[CassandraNode]
    rabbitmq: list[RabbitNode]
    boot_seconds: dict[str, float] = field(default_factory=dict)  # node → start (and join) time

    @classmethod
    def of(cls, layout: Layout) -> LocalCluster:
        return cls(layout.cassandra_nodes(), layout.rabbit_nodes())

    # -- what clients use ---------------------------------------------------------------------
    @property
    def contact_points(self) -> str:
        return ",".join(node.address for node in self.cassandra)

    def amqp_url(self, vhost: str) -> str:
        """One URL per node, as RabbitMQ's local guest user (loopback only)."""
        return with_vhost(";".join(f"amqp://guest:guest@127.0.0.1:{node.amqp_port}/" for node in self.rabbitmq),
                          vhost)

    @property
    def management_url(self) -> str:
        return ";".join(f"http://127.0.0.1:{node.management_port}" for node in self.rabbitmq)

    def settings(self, base: Settings, keyspace: str = "tally", vhost: str = "tally") -> Settings:
        """`base` pointed at this cluster: every contact point and broker node, keyspace RF 3."""
        return base.replace(cassandra_hosts=self.contact_points, cassandra_local_dc=DC, keyspace=keyspace,
                            replication_strategy="NetworkTopologyStrategy", replication_factor=REPLICATION_FACTOR,
                            amqp_url=self.amqp_url(vhost), rabbitmq_management_url=self.management_url)

    def environment(self, keyspace: str = "tally", vhost: str = "tally") -> dict[str, str]:
        """The same as environment variables (what `scripts/cluster env` prints)."""
        return {"CASSANDRA_HOSTS": self.contact_points, "CASSANDRA_LOCAL_DC": DC, "TALLY_KEYSPACE": keyspace,
                "TALLY_REPLICATION_STRATEGY": "NetworkTopologyStrategy",
                "TALLY_REPLICATION_FACTOR": str(REPLICATION_FACTOR), "AMQP_URL": self.amqp_url(vhost),
                "RABBITMQ_MANAGEMENT_URL": self.management_url}

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, say: Callable[[str], None]) -> bool:
        """Starts every node not running yet, one after another, each waited for until it has
        joined; returns True when it stopped the single node of `scripts/dev up` to take its
        address. Idempotent."""
        stopped_single = self._free_the_single_node(say)
        self.cassandra[0].install()
        self.rabbitmq[0].install()
        for node in self.cassandra:
            began = time.monotonic()
            node.start()
            self.wait_joined(node)
            self.boot_seconds[node.address] = time.monotonic() - began
            say(f"cassandra {node.address} (pid {node.pid}, JMX {node.jmx_port}) UN in the ring after "
                f"{self.boot_seconds[node.address]:.0f} s")
        for rabbit in self.rabbitmq:
            began = time.monotonic()
            rabbit.start()
            rabbit.join(self.rabbitmq[0].name)
            self.boot_seconds[rabbit.name] = time.monotonic() - began
            say(f"rabbitmq {rabbit.name} (pid {rabbit.pid}, AMQP {rabbit.amqp_port}, management "
                f"{rabbit.management_port}) running in the cluster after {self.boot_seconds[rabbit.name]:.0f} s")
        return stopped_single

    def stop(self, say: Callable[[str], None]) -> None:
        """Stops every node cleanly; RabbitMQ's in reverse order, so node 1 stops last and can
        start first next time without waiting for the others (a RabbitMQ node that did not
        stop last waits for the one that did)."""
        for rabbit in reversed(self.rabbitmq):
            self._stop(rabbit, f"rabbitmq {rabbit.name}", say)
        for node in self.cassandra:
            self._stop(node, f"cassandra {node.address}", say)

    def remove_data(self) -> None:
        """Deletes every node's data (their logs stay for reading)."""
        for node in self.cassandra:
            node.remove_data()
        for rabbit in self.rabbitmq:
            rabbit.remove_data()

    def _stop(self, node: CassandraNode | RabbitNode, name: str, say: Callable[[str], None]) -> None:
        try:
            node.stop()
            say(f"{name}: stopped")
        except Exception as exc:  # noqa: BLE001 - a node that will not stop is killed by the pid it reported
            say(f"{name} did not stop cleanly ({exc}); SIGKILL")
            with contextlib.suppress(Exception):
                node.kill()

    def _free_the_single_node(self, say: Callable[[str], None]) -> bool:
        if SINGLE_NODE_ADDRESS not in self.contact_points.split(","):
            return False
        single = subprocess.run([str(ROOT / "scripts" / "cassandra"), "pid"], capture_output=True, text=True,
                                check=False, env=_without_external())
        if single.returncode != 0:
            return False
        say(f"stopping the single Cassandra node (pid {single.stdout.strip()}): cluster node 1 takes "
            f"{SINGLE_NODE_ADDRESS}")
        subprocess.run([str(ROOT / "scripts" / "cassandra"), "stop"], check=True, capture_output=True, timeout=120,
                       env=_without_external())
        return True

    def start_again(self, nodes: Sequence[CassandraNode]) -> None:
        """Starts Cassandra nodes that were stopped or killed, all at once (a node that has
        joined the ring once does not bootstrap again), until each is UN."""
        with ThreadPoolExecutor(len(nodes)) as pool:
            list(pool.map(lambda node: node.start(), nodes))
        for node in nodes:
            self.wait_joined(node)

    def rabbit(self, name: str) -> RabbitNode:
        """The RabbitMQ node called `name` (e.g. the leader the management API names)."""
        return next(node for node in self.rabbitmq if node.name == name)

    def rolling_restart(self, say: Callable[[str], None]) -> list[float]:
        """Restarts the RabbitMQ nodes one at a time, gracefully, as an upgrade does: before a
        node stops, every quorum queue must have a majority online without it (`rabbitmq-upgrade
        await_online_quorum_plus_one`: the node restarted before has caught up); the node is
        back when `cluster_status` lists it running. Returns each node's restart time."""
        seconds = []
        for node in self.rabbitmq:
            node.upgrade("await_online_quorum_plus_one", "--timeout", "120", timeout=180)
            began = time.monotonic()
            node.stop()
            node.start()
            self.wait_rabbit_member(node)
            seconds.append(time.monotonic() - began)
            say(f"rabbitmq {node.name} restarted (pid {node.pid}) in {seconds[-1]:.0f} s")
        return seconds

    def wait_rabbit_member(self, node: RabbitNode, timeout: float = 120) -> None:
        """Until the cluster lists `node` running (a restarted node rejoins by itself)."""
        deadline = time.monotonic() + timeout
        while node.name not in self.rabbit_running():
            if time.monotonic() > deadline:
                raise NodeError(f"rabbitmq {node.name} is not running in the cluster after {timeout:.0f} s")
            time.sleep(1)

    # -- what it looks like -----------------------------------------------------------------------
    def ring(self, via: CassandraNode | None = None) -> dict[str, str]:
        """{address: UN/DN/…} as a running node sees the ring (the first one that answers)."""
        for node in [via] if via else self.cassandra:
            with contextlib.suppress(NodeError):
                return ring_states(node.nodetool("status"))
        return {}

    def wait_joined(self, node: CassandraNode, timeout: float = JOIN_TIMEOUT) -> None:
        """Until the seed's `nodetool status` shows `node` UN (each nodetool is a JVM start:
        one view, every two seconds)."""
        deadline = time.monotonic() + timeout
        while (state := self.ring(via=self.cassandra[0]).get(node.address)) != "UN":
            if time.monotonic() > deadline:
                raise NodeError(f"cassandra {node.address} is {state or 'absent'} in the seed's ring after "
                                f"{timeout:.0f} s")
            time.sleep(2)

    def rabbit_running(self) -> list[str]:
        """Running members as the first answering node's `rabbitmqctl cluster_status` lists them."""
        for node in self.rabbitmq:
            with contextlib.suppress(NodeError, ValueError):
                return list(json.loads(node.ctl("cluster_status", "--formatter", "json"))["running_nodes"])
        return []

    def status_lines(self) -> Iterator[str]:
        """One line per node, in `scripts/dev status`'s columns."""
        ring, members = self.ring(), set(self.rabbit_running())
        for i, node in enumerate(self.cassandra, 1):
            pid = _script_pid(node)
            state = ring.get(node.address, "down") if pid else "stopped"
            yield _line(f"cassandra-{i}", state, pid, f"{node.address}:9042", node.folder / "logs" / "system.log")
        for i, rabbit in enumerate(self.rabbitmq, 1):
            pid = _script_pid(rabbit)
            state = ("running" if rabbit.name in members else "not joined") if pid else "stopped"
            yield _line(f"rabbitmq-{i}", state, pid, f"127.0.0.1:{rabbit.amqp_port}", rabbit.folder / "log")


def _script_pid(node: CassandraNode | RabbitNode) -> str:
    try:
        return node.run_script("pid", timeout=30)
    except NodeError:
        return ""


def _line(component: str, state: str, pid: str, address: str, log: Path) -> str:
    return f"{component:<10} {state:<12} {pid or '-':<8} {address:<22} {log}"


def _without_external() -> dict[str, str]:
    """The environment for the single node's script: with CASSANDRA_HOSTS set it would do nothing."""
    return {k: v for k, v in os.environ.items() if k != "CASSANDRA_HOSTS"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/cluster", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("start", help="start every node (one after another, each until it has joined)")
    sub.add_parser("stop", help="stop every node cleanly")
    sub.add_parser("status", help="one line per node")
    sub.add_parser("env", help="the settings of Tally on this cluster, as export lines")
    for tool in ("nodetool", "rabbitmqctl"):
        command = sub.add_parser(tool, help=f"{tool} against node N, e.g. `{tool} 2 status`")
        command.add_argument("node", type=int)
        command.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cluster = LocalCluster.of(Layout.from_env())

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if args.command == "start":
        began = time.monotonic()
        cluster.start(say)
        say(f"cluster up in {time.monotonic() - began:.0f} s")
    elif args.command == "stop":
        cluster.stop(say)
    elif args.command == "status":
        print("\n".join(cluster.status_lines()))
    elif args.command == "env":
        print("\n".join(f"export {k}='{v}'" for k, v in cluster.environment().items()))
    elif args.command == "nodetool":
        print(cluster.cassandra[args.node - 1].nodetool(*args.args), end="")
    else:
        print(cluster.rabbitmq[args.node - 1].ctl(*args.args), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
