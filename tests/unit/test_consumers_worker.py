"""The consumer base's judgement of failures (consumers/worker.py), with fake deliveries: the
database being down never dead-letters, a refused value dead-letters only its message, and an
unknown failure hands its message back to the broker while the others go through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from cassandra.cluster import NoHostAvailable

from cassandra import InvalidRequest, OperationTimedOut
from consumers.worker import BatchWorker, DeadLetter, Held
from service.broker.publisher import PublishError
from service.repositories.transactions import WriteFailed
from service.settings import Settings


@dataclass
class FakeMessage:
    """A delivery as kombu hands it over; records what the worker did with it."""

    body: bytes
    settled: str | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    delivery_info: dict[str, Any] = field(default_factory=dict)

    def ack(self) -> None:
        assert self.settled is None
        self.settled = "acked"

    def requeue(self) -> None:
        assert self.settled is None
        self.settled = "requeued"


class RecordingWorker(BatchWorker):
    """Fails `handle` for the bodies in `fail_on` with the given exception; records dead letters
    instead of publishing them."""

    name = "test"

    def __init__(self, fail_on: dict[bytes, BaseException], storage_up: bool = True) -> None:
        super().__init__(Settings.from_env(consumer_batch_size=10, consumer_prefetch=10))
        self.fail_on = fail_on
        self.storage_up = storage_up
        self.handled: list[bytes] = []
        self.dead: list[tuple[bytes, str]] = []

    def handle(self, batch: list[Held]) -> dict[int, DeadLetter]:
        for held in batch:
            if held.message.body in self.fail_on:
                raise self.fail_on[held.message.body]
        self.handled.extend(h.message.body for h in batch)
        return {}

    def storage_ready(self) -> bool:
        return self.storage_up

    def dead_letter(self, body: bytes, headers: dict[str, Any], letter: DeadLetter, *, queue_name: str,
                    message_id: str) -> None:
        self.dead.append((body, letter.reason))


def flush(worker: RecordingWorker, *bodies: bytes) -> list[FakeMessage]:
    messages = [FakeMessage(body) for body in bodies]
    worker._held = [Held("tally.ingest", m, decoded=m.body) for m in messages]
    worker._flush(None)  # type: ignore[arg-type]  # no rows/s cap: the connection is unused
    return messages


@pytest.mark.parametrize("outage", [
    NoHostAvailable("Unable to complete the operation against any hosts", {}),
    OperationTimedOut("timed out"),
    WriteFailed("2 statement(s) failed", [NoHostAvailable("down", {}), OperationTimedOut("t")]),
    WriteFailed("1 statement(s) failed", [InvalidRequest("unconfigured table transactions_by_id")]),
    PublishError("not confirmed"),
    ConnectionResetError("reset by peer"),
])
def test_the_database_or_broker_unavailable_holds_the_batch_and_dead_letters_nothing(outage: BaseException) -> None:
    worker = RecordingWorker({b"b": outage})
    messages = flush(worker, b"a", b"b", b"c")
    assert [m.settled for m in messages] == [None, None, None]  # held, to be retried in place
    assert worker.dead == [] and worker._hold_started is not None
    assert len(worker._held) == 3


def test_a_value_the_database_refuses_dead_letters_that_message_alone() -> None:
    worker = RecordingWorker({b"b": WriteFailed("1 statement(s) failed", [InvalidRequest("Key may not be empty")])})
    messages = flush(worker, b"a", b"b", b"c")
    assert [m.settled for m in messages] == ["acked", "acked", "acked"]
    assert worker.dead == [(b"b", "refused_by_database")]
    assert sorted(worker.handled) == [b"a", b"c"]


def test_an_unknown_failure_hands_the_message_back_and_lets_the_others_through() -> None:
    worker = RecordingWorker({b"b": KeyError("merchant")})
    messages = flush(worker, b"a", b"b", b"c")
    assert [m.settled for m in messages] == ["acked", "requeued", "acked"]
    assert worker.dead == []  # the quorum queue's delivery limit dead-letters it if it never succeeds
    assert worker._held == [] and worker._hold_started is None


def test_an_unknown_failure_while_storage_is_down_is_taken_for_the_outage() -> None:
    worker = RecordingWorker({b"b": RuntimeError("no idea")}, storage_up=False)
    messages = flush(worker, b"a", b"b")
    assert [m.settled for m in messages] == [None, None]
    assert worker.dead == [] and worker._hold_started is not None


def test_an_undecodable_message_is_dead_lettered_and_the_rest_written() -> None:
    worker = RecordingWorker({})
    good, bad = FakeMessage(b"a"), FakeMessage(b"garbage")
    worker._held = [Held("tally.ingest", good, decoded=b"a"),
                    Held("tally.ingest", bad, undecodable="not JSON")]
    worker._flush(None)  # type: ignore[arg-type]
    assert (good.settled, bad.settled) == ("acked", "acked")
    assert worker.dead == [(b"garbage", "decode_error")] and worker.handled == [b"a"]
