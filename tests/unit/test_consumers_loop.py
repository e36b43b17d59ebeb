"""The consumer loop itself (consumers/worker.py) on kombu's in-memory transport, in seconds:
batches by size and by time, acks only after `handle`, the outage hold that requeues and
pauses until storage answers, the rows/s budget, and dead letters for undecodable messages."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cassandra.cluster import NoHostAvailable
from kombu import Connection, Message
from kombu.transport import memory

from consumers.worker import BatchWorker, DeadLetter, Held, QueueSpec, Undecodable
from service.broker.topology import EXCHANGE, declaration, queue
from service.settings import Settings

QUEUE = "tally.ingest"


class MemoryWorker(BatchWorker):
    """The base over memory://: `decode` takes an int (a body "bad" is undecodable), `handle`
    records its batches and fails while `down` is set; dead letters are recorded."""

    name = "memory"

    def __init__(self, **settings: Any) -> None:
        super().__init__(Settings.from_env(**{"consumer_batch_wait_ms": 100, **settings}))
        self.broker_url = f"memory://{uuid.uuid4().hex}"  # a broker of its own
        self.queues = (QueueSpec(QUEUE, self.settings.consumer_prefetch),)
        self.batches: list[list[int]] = []
        self.dead: list[tuple[str, str]] = []
        self.down = threading.Event()
        self.attempts = 0

    def decode(self, queue_name: str, message: Message) -> int:
        if message.body in (b"bad", "bad"):
            raise Undecodable("not a number")
        return int(message.body)

    def handle(self, batch: list[Held]) -> dict[int, DeadLetter]:
        self.attempts += 1
        if self.down.is_set():
            raise NoHostAvailable("Unable to complete the operation against any hosts", {})
        self.batches.append([h.decoded for h in batch])
        return {}

    def storage_ready(self) -> bool:
        return not self.down.is_set()

    def dead_letter(self, body: bytes, headers: dict[str, Any], letter: DeadLetter, *, queue_name: str,
                    message_id: str) -> None:
        self.dead.append((body.decode() if isinstance(body, bytes) else str(body), letter.reason))

    def publish(self, *bodies: str) -> None:
        with Connection(self.broker_url) as conn:
            producer = conn.Producer(exchange=EXCHANGE)
            for body in bodies:
                producer.publish(body, routing_key=QUEUE, declare=[declaration(QUEUE)], serializer=None,
                                 content_type="text/plain")

    def waiting(self) -> int:
        with Connection(self.broker_url) as conn:
            _, count, _ = queue(QUEUE)(conn.default_channel).queue_declare(passive=True)
        return int(count)


@pytest.fixture
def running(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # RabbitMQ requeues what a closed channel held unacked; the memory transport drops it unless told.
    monkeypatch.setattr(memory.Channel, "do_restore", True)
    monkeypatch.setattr(memory.Transport, "polling_interval", 0.01)  # a broker pushes; this one is polled
    workers: list[tuple[MemoryWorker, threading.Thread]] = []

    def start(worker: MemoryWorker) -> MemoryWorker:
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        workers.append((worker, thread))
        deadline = time.monotonic() + 5
        while not worker.connected:
            assert time.monotonic() < deadline, "the worker did not connect"
            time.sleep(0.01)
        return worker

    yield start
    for worker, thread in workers:
        worker.stop()
        thread.join(10)


def until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_batches_fill_to_their_size_and_a_partial_one_leaves_after_the_wait(running: Any) -> None:
    worker = running(MemoryWorker(consumer_batch_size=10, consumer_prefetch=40))
    worker.publish(*[str(i) for i in range(25)])
    until(lambda: sum(len(b) for b in worker.batches) == 25)
    assert sorted(len(b) for b in worker.batches)[-2:] == [10, 10]  # full batches first
    assert sorted(n for b in worker.batches for n in b) == list(range(25))
    until(lambda: worker.waiting() == 0)


def test_an_undecodable_message_is_dead_lettered_and_the_rest_written(running: Any) -> None:
    worker = running(MemoryWorker(consumer_batch_size=5, consumer_prefetch=5))
    worker.publish("1", "bad", "2")
    until(lambda: sum(len(b) for b in worker.batches) == 2 and worker.dead)
    assert worker.dead == [("bad", "decode_error")]


def test_an_outage_holds_the_batch_requeues_it_pauses_and_resumes_with_nothing_lost(running: Any) -> None:
    worker = MemoryWorker(consumer_batch_size=5, consumer_prefetch=5, consumer_hold_seconds=1)
    worker.down.set()
    running(worker)
    worker.publish(*[str(i) for i in range(5)])
    until(lambda: worker.paused, timeout=10)  # held past the hold time: channels closed, consuming stopped
    assert worker.batches == [] and worker.dead == [] and worker.attempts >= 2  # retried in place first
    until(lambda: worker.waiting() == 5)  # every held message back in the queue
    worker.down.clear()
    until(lambda: sum(len(b) for b in worker.batches) == 5, timeout=10)
    assert sorted(n for b in worker.batches for n in b) == list(range(5)) and not worker.paused
    assert worker.dead == []


def test_the_rows_per_second_cap_sizes_batches_in_rows() -> None:
    worker = MemoryWorker(consumer_batch_size=10, consumer_prefetch=40, consumer_max_rows_per_second=400)
    assert worker._row_budget == 100  # a quarter second of rows per batch
    worker._held = [Held(QUEUE, None, decoded=i, rows=60) for i in range(3)]  # type: ignore[arg-type]
    assert [h.decoded for h in worker._take_batch()] == [0]  # a second message would pass the budget
    worker._held = [Held(QUEUE, None, decoded=0, rows=250)]  # type: ignore[arg-type]
    assert [h.decoded for h in worker._take_batch()] == [0]  # one message always goes, however large


def test_a_broker_refusing_every_connection_is_waited_for_never_a_reason_to_exit() -> None:
    # While RabbitMQ restarts, kombu's failover gives up on every node with OperationalError:
    # the worker must back off and try again (it once exited with "cannot reach RabbitMQ").
    worker = MemoryWorker()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        worker.broker_url = f"amqp://guest:guest@127.0.0.1:{port}//"
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            if len(waits) == 2:
                worker.stop()

        worker._sleep = sleep  # type: ignore[method-assign]
        worker.run()  # returns once stopped; raised OperationalError before
    assert waits == [1.0, 2.0]
    assert not worker.connected
