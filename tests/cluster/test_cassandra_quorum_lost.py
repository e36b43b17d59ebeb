"""Two Cassandra nodes of three killed: no write can reach a quorum. Webhooks are still queued;
the consumers hold their batches, requeue them past their hold and pause (their /readyz says
why), and dead-letter nothing; the api answers 503 with Retry-After, never 500. When the two
nodes are back, everything the bank sent lands, exactly once.

Nodes 2 and 3 are killed, so the seed stays; with it alone every coordinator answers
Unavailable (or times out before the failure detector has marked the others down), which
service/storage/failures.py counts as transient.
"""

from __future__ import annotations

import time

import requests

from devtools.cluster import LocalCluster
from service.broker.management import Management
from service.broker.topology import DEAD, INGEST
from service.settings import Settings
from tests.cluster.conftest import HOLD_SECONDS, Stack
from tests.cluster.figures import record, say
from tests.support.metrics import scrape, total
from tests.support.queues import ready_count
from tests.support.stack import wait_until
from tests.support.traffic import AppUsers, Bank, failures

TRANSACTIONS = 3_000
RATE = 1.0           # webhooks per second: the bank sends through the outage
BEFORE = 5           # webhooks accepted before the outage: each ingest worker has read the partner
                     # (a partner seen before is served from memory while Cassandra fails)
PAUSED = "storage unavailable: consuming paused"


def _paused(consumer_url: str) -> bool:
    answer = requests.get(f"{consumer_url}/readyz", timeout=5)
    return answer.status_code == 503 and answer.json().get("reason") == PAUSED


def test_two_cassandra_nodes_down_hold_everything_and_lose_nothing(
        cluster: LocalCluster, test_settings: Settings, stack: Stack) -> None:
    users = AppUsers(stack.api.url or "", stack.credentials).start()
    bank = Bank(stack.ingest.url or "", stack.partner, stack.burst(TRANSACTIONS), RATE).start()
    wait_until(lambda: bank.accepted >= BEFORE, timeout=60, message="the bank sending")
    victims = cluster.cassandra[1:]
    down_at = time.monotonic()
    for victim in victims:
        say(f"cassandra {victim.address} (pid {victim.kill()}) killed with SIGKILL")

    wait_until(lambda: all(_paused(c.url or "") for c in stack.consumers), timeout=HOLD_SECONDS * 4 + 60,
               interval=1, message="both consumers to requeue their held batches and pause")
    paused_after = time.monotonic() - down_at
    queued = int(Management(test_settings).queue(INGEST).get("messages", 0))
    requeued = sum(total(scrape(c.port), "tally_messages_total", queue=INGEST, outcome="requeued")
                   for c in stack.consumers)
    assert queued > 0 and requeued > 0, (queued, requeued)
    assert ready_count(test_settings, DEAD) == 0
    say(f"both consumers paused {paused_after:.0f} s after the kill; {queued} messages wait in {INGEST}, "
        f"{requeued:.0f} requeued")

    cluster.start_again(victims)
    up_at = time.monotonic()
    say(f"cassandra nodes 2 and 3 UN again {up_at - down_at:.0f} s after the kill")
    bank.join(timeout=600)
    drain = stack.settle(bank, TRANSACTIONS)
    users.finish()

    api_errors = [(a.status, retry_after) for a, retry_after in users.unavailable]
    assert api_errors, "the api never answered 503 while two nodes were down"
    assert {status for status, _ in api_errors} == {503}, api_errors
    assert all(retry_after and int(retry_after) > 0 for _, retry_after in api_errors), api_errors
    assert [a for a in users.answers if a.status is None] == []
    assert all(a.status == 503 for a in failures(bank.answers)), failures(bank.answers)
    after = [a for a in users.answers if a.at > up_at + 10]
    assert after and failures(after) == [], failures(after)[:10]
    record("cassandra_quorum_lost", {
        "nodes_down": [v.address for v in victims], "seconds_down_until_UN": round(up_at - down_at, 1),
        "consumers_paused_after_seconds": round(paused_after, 1), "messages_waiting_when_paused": queued,
        "requeued": int(requeued), "api_503_with_retry_after": len(api_errors), "api_500": 0,
        "webhook_503": len(failures(bank.answers)), "transactions": TRANSACTIONS,
        "drained_after_seconds": round(drain.seconds, 1), "dead_letters": 0, "stored_exactly_once": TRANSACTIONS})
