"""The faults, applied to the campaign's own processes only (the pids it started or that its
gunicorn masters forked), each verified: a killed process is gone, a respawned or restarted one
answers again, a paused node is in state T, a relink's calls answered 2xx. A fault that could
not be applied or verified is recorded as failed, and the campaign fails with it."""

from __future__ import annotations

import os
import random
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chaos import schedule
from chaos.ownership import Ownership, Relink
from chaos.stack import PARTNER, WORKERS, Stack
from chaos.users import App, User
from devtools.nodes import NodeError, children, stopped, wait_gone
from service.broker.management import Management
from service.broker.publisher import ConfirmingPublisher
from service.broker.topology import INGEST


@dataclass(frozen=True)
class Applied:
    kind: str
    occurrence: int
    planned_at: float  # seconds since the campaign started
    started: float
    ended: float
    ok: bool
    detail: str


@dataclass
class Faults:
    stack: Stack
    app: App
    users: list[User]
    ownership: Ownership
    plan: schedule.Plan
    consumer_timeout: float
    rng: random.Random
    clock: Callable[[], float]
    poisoned: set[str] = field(default_factory=set)  # message ids published to tally.ingest on purpose
    applied: list[Applied] = field(default_factory=list)

    def apply(self, planned: schedule.Planned, planned_at: float) -> Applied:
        started = self.clock()
        try:
            detail, ok = self._do(planned), True
        except Exception as exc:  # noqa: BLE001 - a fault that failed is a result, reported
            detail, ok = f"{type(exc).__name__}: {exc}", False
        done = Applied(planned.kind, planned.occurrence, planned_at, started, self.clock(), ok, detail)
        self.applied.append(done)
        return done

    def _do(self, planned: schedule.Planned) -> str:
        kind = planned.kind
        if kind in (schedule.KILL_INGEST_WORKER, schedule.KILL_API_WORKER):
            return self._kill_worker("ingest" if kind == schedule.KILL_INGEST_WORKER else "api")
        actions: dict[str, Callable[[], str]] = {
            schedule.KILL_CONSUMER: self._kill_consumer,
            schedule.RABBITMQ_RESTART: self._restart_rabbitmq,
            schedule.RABBITMQ_KILL: self._kill_rabbitmq,
            schedule.CASSANDRA_KILL: self._kill_cassandra,
            schedule.CASSANDRA_PAUSE: lambda: self._pause_cassandra(
                self.plan.pause_seconds(planned.occurrence, self.consumer_timeout)),
            schedule.RELINK: self._relink,
            schedule.POISON: self._poison,
        }
        return actions[kind]()

    def _kill_worker(self, instance: str) -> str:
        """SIGKILL to one worker; its gunicorn master forks a new one."""
        master = self.stack.processes[instance].process.pid
        workers = children(master)
        if len(workers) < 2:
            raise NodeError(f"{instance} has {len(workers)} worker(s); killing one would leave none")
        victim = self.rng.choice(workers)
        os.kill(victim, signal.SIGKILL)
        wait_gone(victim)
        deadline = time.monotonic() + 60
        while len(fresh := [w for w in children(master) if w != victim]) < WORKERS:
            if time.monotonic() > deadline:
                raise NodeError(f"the {instance} master {master} did not respawn a worker within 60 s")
            time.sleep(0.2)
        return f"{instance} worker {victim} SIGKILLed; master {master} respawned {sorted(set(fresh) - set(workers))}"

    def _kill_consumer(self) -> str:
        """SIGKILL to a consumer (unacked messages go back to the queue), then a new one, as a supervisor would."""
        victim = self.rng.choice(self.stack.consumers)
        victim.signal(signal.SIGKILL)
        victim.process.wait(30)
        self.stack.consumers.remove(victim)
        self.stack.retired.append(victim)
        replacement = self.stack.start_consumer()
        return f"consumer pid {victim.process.pid} SIGKILLed; pid {replacement.process.pid} started and ready"

    def _restart_rabbitmq(self) -> str:
        """A graceful restart of a RabbitMQ node (on a cluster, a random one, once every quorum
        queue keeps a majority without it, as an operator's rolling restart waits)."""
        nodes = self.stack.nodes
        node = self.rng.choice(nodes.rabbitmq)
        old, began = node.pid, time.monotonic()
        if self.stack.cluster:
            node.upgrade("await_online_quorum_plus_one", "--timeout", "120", timeout=180)
        node.stop()
        node.start()
        nodes.wait_rabbit_member(node)
        return (f"graceful stop of {node.name} (beam pid {old}); started again as pid {node.pid}, "
                f"ready in {time.monotonic() - began:.0f} s")

    def _kill_rabbitmq(self) -> str:
        """kill -9 of a RabbitMQ node: on a cluster, the one leading tally.ingest."""
        nodes = self.stack.nodes
        leader = Management(self.stack.settings).leader(INGEST) if self.stack.cluster else None
        node = nodes.rabbit(leader) if leader else nodes.rabbitmq[0]
        began = time.monotonic()
        old = node.kill()
        node.start()
        nodes.wait_rabbit_member(node)
        return (f"{node.name}{' (leader of ' + INGEST + ')' if leader else ''} beam pid {old} SIGKILLed; started "
                f"again as pid {node.pid}, ready in {time.monotonic() - began:.0f} s")

    def _kill_cassandra(self) -> str:
        nodes = self.stack.nodes
        node = self.rng.choice(nodes.cassandra)
        began = time.monotonic()
        old = node.kill()
        node.start()
        nodes.wait_joined(node)
        return (f"{node.address} JVM pid {old} SIGKILLed; started again as pid {node.pid}, "
                f"UN in the ring {time.monotonic() - began:.0f} s after")

    def _pause_cassandra(self, seconds: float) -> str:
        node = self.rng.choice(self.stack.nodes.cassandra)
        node.signal(signal.SIGSTOP)
        try:
            deadline = time.monotonic() + 5
            while node.pid is None or not stopped(node.pid):
                if time.monotonic() > deadline:
                    raise NodeError(f"Cassandra pid {node.pid} is not in state T after SIGSTOP")
                time.sleep(0.05)
            time.sleep(seconds)
        finally:
            node.signal(signal.SIGCONT)
        began = time.monotonic()
        node.start()  # the node runs: this waits until CQL answers again
        return (f"{node.address} JVM pid {node.pid} SIGSTOPped for {seconds:.0f} s (consumers hold "
                f"{self.plan.hold_seconds} s, broker consumer_timeout {self.consumer_timeout:.0f} s); CQL answering "
                f"{time.monotonic() - began:.0f} s after SIGCONT")

    def _relink(self) -> str:
        """Moves an account no earlier relink moved from its owner to another user, through the API."""
        moved = {r.account_number for r in self.ownership.relinks}
        account = self.rng.choice(sorted(set(self.ownership.initial) - moved))
        owner = self.ownership.initial[account]
        by_id = {u.user_id: u for u in self.users}
        newcomer = self.rng.choice([u for u in self.users if u.user_id != owner])
        relink = Relink(account, owner, newcomer.user_id, started=self.clock(), answered=float("inf"))
        self.ownership.relinks.append(relink)  # the changing window is open from now on
        self.app.unlink(by_id[owner], account)
        unlinked = self.clock()
        self.app.link(newcomer, account)
        answered = self.clock()
        self.ownership.relinks[self.ownership.relinks.index(relink)] = Relink(
            account, owner, newcomer.user_id, relink.started, answered)
        return (f"account {account}: unlinked from user {owner} (sent t={relink.started:.1f}, answered "
                f"t={unlinked:.1f}), linked to user {newcomer.user_id} (answered t={answered:.1f})")

    def _poison(self) -> str:
        """Undecodable bodies straight to tally.ingest: they must end in tally.dead, each once."""
        publisher = ConfirmingPublisher(self.stack.settings)
        try:
            ids = []
            for _ in range(schedule.POISON_MESSAGES):
                message_id = f"chaos-poison-{uuid.uuid4().hex[:12]}"
                headers = {"partner_id": PARTNER, "webhook-id": message_id, "request_id": message_id,
                           "received_at": datetime.now(UTC).isoformat(timespec="microseconds")}
                publisher.publish(b"\xff\xfe this is not JSON", INGEST, message_id=message_id, headers=headers)
                self.poisoned.add(message_id)
                ids.append(message_id)
        finally:
            publisher.close()
        return f"published {len(ids)} undecodable messages to {INGEST} (confirmed): {', '.join(ids)}"
