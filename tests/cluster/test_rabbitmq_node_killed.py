"""RabbitMQ nodes lost while the bank sends.

1. The node leading `tally.ingest` killed with kill -9 in the middle of a burst: the quorum
   queue elects a leader among the two others; publishers on the dead node fail over to a
   live one (service/broker/connection.py). Webhooks see at most a short window of 503s (its
   length is recorded; the aim is ≤ 10 s), which the bank retries; consumers reconnect to a
   live node; every accepted transaction is stored exactly once, nothing is dead-lettered.
   The node is started again and rejoins its queues.
2. A rolling restart of all three nodes, one at a time (as an upgrade does), while the bank
   sends: nothing lost.
"""

from __future__ import annotations

import time

import requests

from devtools.cluster import LocalCluster
from service.broker.management import Management
from service.broker.topology import ALL_QUEUES, INGEST
from service.settings import Settings
from tests.cluster.conftest import Stack
from tests.cluster.figures import record, say
from tests.support.stack import wait_until
from tests.support.traffic import Bank, failures, window

BURST = 10_000       # transactions of the burst the leader dies in
RATE = 5.0           # webhooks (of 100 transactions) per second
KILL_AFTER = 2_000   # transactions accepted before the kill
ROLLING = 6_000      # transactions sent during the rolling restart
ROLLING_RATE = 1.5


def _members_online(management: Management) -> bool:
    """Every queue has its three members, all of them online."""
    queues = {q["name"]: q for q in management.queues()}
    return all(len(queues[name].get("members", [])) == 3
               and sorted(queues[name].get("online", [])) == sorted(queues[name]["members"]) for name in ALL_QUEUES)


def _consumers_ready(stack: Stack) -> bool:
    return all(requests.get(f"{c.url}/readyz", timeout=5).status_code == 200 for c in stack.consumers)


def test_the_ingest_leader_killed_during_a_burst_costs_a_short_window_of_503s_and_nothing_else(
        cluster: LocalCluster, test_settings: Settings, stack: Stack) -> None:
    management = Management(test_settings)
    leader = cluster.rabbit(wait_until(lambda: management.leader(INGEST), message="the leader of tally.ingest"))
    bank = Bank(stack.ingest.url or "", stack.partner, stack.burst(BURST), RATE).start()
    wait_until(lambda: bank.accepted * 100 >= KILL_AFTER, timeout=120, message="the burst under way")
    killed_at = time.monotonic()
    say(f"rabbitmq {leader.name}, leader of {INGEST}, (pid {leader.kill()}) killed with SIGKILL")
    new_leader = wait_until(lambda: (name := management.leader(INGEST)) != leader.name and name, timeout=60,
                            interval=0.1, message="a new leader of tally.ingest")
    elected_after = time.monotonic() - killed_at
    bank.join(timeout=600)
    leader.start()
    cluster.wait_rabbit_member(leader)
    wait_until(lambda: _members_online(management), timeout=120, message="every queue's three members online")
    back_after = time.monotonic() - killed_at
    drained_in = stack.settle(bank, BURST).seconds
    wait_until(lambda: _consumers_ready(stack), timeout=60, message="both consumers consuming")

    failed = [a for a in failures(bank.answers) if a.at >= killed_at]
    assert {a.status for a in failed} <= {503}, failed  # ingest answered every time: 503 while unconfirmed
    record("rabbitmq_leader_killed", {
        "node": leader.name, "new_leader": new_leader, "new_leader_after_seconds": round(elected_after, 1),
        "webhook_503": len(failed), "window_503_seconds": round(window(bank.answers, since=killed_at), 1),
        "first_503_after_kill_seconds": round(min(a.at for a in failed) - killed_at, 1) if failed else None,
        "node_back_and_queues_whole_after_seconds": round(back_after, 1), "transactions": BURST,
        "drained_after_seconds": round(drained_in, 1), "dead_letters": 0, "stored_exactly_once": BURST})


def test_a_rolling_restart_of_every_rabbitmq_node_loses_nothing(
        cluster: LocalCluster, test_settings: Settings, stack: Stack) -> None:
    bank = Bank(stack.ingest.url or "", stack.partner, stack.burst(ROLLING), ROLLING_RATE).start()
    wait_until(lambda: bank.accepted >= 5, timeout=60, message="the bank sending")
    began = time.monotonic()
    restarts = cluster.rolling_restart(say)
    ended = time.monotonic()
    bank.join(timeout=600)
    drained_in = stack.settle(bank, ROLLING).seconds
    wait_until(lambda: _members_online(Management(test_settings)), timeout=120, message="every queue's members online")
    wait_until(lambda: _consumers_ready(stack), timeout=60, message="both consumers consuming")

    failed = [a for a in failures(bank.answers) if began <= a.at]
    assert {a.status for a in failed} <= {503}, failed
    record("rabbitmq_rolling_restart", {
        "restart_seconds": [round(s, 1) for s in restarts], "rolling_restart_seconds": round(ended - began, 1),
        "webhook_503": len(failed), "transactions": ROLLING, "drained_after_seconds": round(drained_in, 1),
        "dead_letters": 0, "stored_exactly_once": ROLLING})
