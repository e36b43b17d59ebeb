"""One Cassandra node of three killed with kill -9 in the middle of a 20,000-transaction burst,
while users log in and list: with RF 3 and LOCAL_QUORUM nobody sees it. No webhook, login or
list call fails, nothing is dead-lettered, every transaction is stored exactly once. The node
starts again; after `nodetool repair` its own copy of 1,000 rows written while it was down,
and a read at consistency ALL, equal what LOCAL_QUORUM returns.

The node killed is node 1: the seed, the first contact point of every process, and so the
host of most drivers' control connection — the one whose loss asks most of the clients.

Repair, not hints, brings the node's copy back here: the two others keep no hints while it
is down (`nodetool disablehandoff` for the test; devtools/cluster.py turns hints on, and with
them the node had every sampled row again before any repair in every run), so the node
really comes back without what it missed; the test sees that in its own copy before the
repair (a check that could not fail would prove nothing) and not after.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

from cassandra.cluster import Session

from cassandra import ConsistencyLevel
from devtools.cluster import LocalCluster
from devtools.nodes import CassandraNode
from service.settings import Settings
from tests.cluster.conftest import Stack
from tests.cluster.figures import record, say
from tests.support.replicas import node_session, rows_at
from tests.support.stack import wait_until
from tests.support.traffic import AppUsers, Bank, failures

TRANSACTIONS = 20_000
RATE = 8.0           # webhooks (of 100 transactions) per second: the burst lasts 25 s
KILL_AFTER = 3_000   # transactions accepted before the kill: the rest is still to come
DOWN_SECONDS = 15.0  # before the node is started again (its start takes about as long)
SAMPLE = 1_000


@contextmanager
def _no_hints(nodes: list[CassandraNode]) -> Iterator[None]:
    """The nodes keep no hints for a node that is down (each nodetool is a JVM start of seconds:
    done before the burst)."""
    for node in nodes:
        node.nodetool("disablehandoff")
    try:
        yield
    finally:
        for node in nodes:
            node.nodetool("enablehandoff")


def test_a_cassandra_node_killed_during_a_burst_loses_nothing_and_fails_no_call(
        cluster: LocalCluster, test_settings: Settings, stack: Stack, session: Session) -> None:
    victim = cluster.cassandra[0]
    with _no_hints(cluster.cassandra[1:]):
        sample, written_while_down = _burst_with_a_node_killed(cluster, victim, stack)
        _node_holds_what_a_quorum_returns(cluster, test_settings, session, stack, sample, written_while_down)


def _burst_with_a_node_killed(cluster: LocalCluster, victim: CassandraNode, stack: Stack) -> tuple[list[str], int]:
    """The burst, the kill and the restart; returns SAMPLE ids written while the node was down."""
    batches = stack.burst(TRANSACTIONS)
    users = AppUsers(stack.api.url or "", stack.credentials).start()
    bank = Bank(stack.ingest.url or "", stack.partner, batches, RATE).start()
    wait_until(lambda: bank.accepted * 100 >= KILL_AFTER, timeout=120, interval=0.1, message="the burst under way")
    killed_at, accepted_before = time.monotonic(), bank.accepted * 100
    pid = victim.kill()
    say(f"cassandra {victim.address} (pid {pid}) killed with SIGKILL after {accepted_before} transactions")
    assert accepted_before < TRANSACTIONS / 2, "the kill came too late to be in the middle of the burst"
    time.sleep(DOWN_SECONDS)
    victim.start()
    cluster.wait_joined(victim)
    back_at = time.monotonic()
    say(f"cassandra {victim.address} UN again {back_at - killed_at:.0f} s after the kill")

    bank.join(timeout=600)
    drain = stack.settle(bank, TRANSACTIONS)
    users.finish()

    assert failures(bank.answers) == [], failures(bank.answers)[:10]
    assert failures(users.calls("login")) == [], failures(users.calls("login"))[:10]
    assert failures(users.calls("list")) == [], failures(users.calls("list"))[:10]
    record("cassandra_node_killed", {
        "transactions": TRANSACTIONS, "webhooks": len(batches), "node": victim.address,
        "accepted_when_killed": accepted_before, "seconds_down_until_UN": round(back_at - killed_at, 1),
        "webhook_attempts": len(bank.answers), "webhook_failures": 0,
        "logins": len(users.calls("login")), "lists": len(users.calls("list")), "failed_calls": 0,
        "drained_after_seconds": round(drain.seconds, 1), "dead_letters": 0, "stored_exactly_once": TRANSACTIONS})
    written_while_down = bank.transaction_ids(killed_at, back_at)
    pool = written_while_down if len(written_while_down) >= SAMPLE else bank.transaction_ids()
    return random.Random(len(pool)).sample(pool, SAMPLE), len(written_while_down)


def _node_holds_what_a_quorum_returns(cluster: LocalCluster, settings: Settings, session: Session, stack: Stack,
                                      sample: list[str], written_while_down: int) -> None:
    """The node's own copy of the sample lacks rows before `nodetool repair`, and equals what
    LOCAL_QUORUM returns after it, as does a read at ALL."""
    victim, partner_id = cluster.cassandra[0], stack.partner.partner_id
    with node_session(settings, victim.address) as own:
        before = rows_at(own, partner_id, sample, ConsistencyLevel.ONE)
    quorum = rows_at(session, partner_id, sample, ConsistencyLevel.LOCAL_QUORUM)
    assert all(quorum.values()), "a sampled row is missing at LOCAL_QUORUM"
    lacking = sum(1 for i in sample if before[i] != quorum[i])
    assert lacking > 0, "the node's own copy already had every row written while it was down: nothing to repair"
    began = time.monotonic()
    victim.nodetool("repair", "-full", settings.keyspace, timeout=900)
    repaired_in = time.monotonic() - began
    with node_session(settings, victim.address) as own:
        after = rows_at(own, partner_id, sample, ConsistencyLevel.ONE)
    at_all = rows_at(session, partner_id, sample, ConsistencyLevel.ALL)

    assert [i for i in sample if after[i] != quorum[i]] == []
    assert [i for i in sample if at_all[i] != quorum[i]] == []
    record("consistency_check", {
        "sampled_rows": len(sample), "written_while_the_node_was_down": written_while_down,
        "node_copy_differing_before_repair": lacking, "repair": "nodetool repair -full (hints off meanwhile)",
        "repair_seconds": round(repaired_in, 1), "node_copy_differing_after_repair": 0,
        "ALL_differing_from_LOCAL_QUORUM": 0})
