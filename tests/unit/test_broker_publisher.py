"""The publisher pool's retry on a fresh connection (service/broker/publisher.py), with
publishers that fail the way a stale AMQP connection does: no broker needed."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import pytest

from service.broker.publisher import ConfirmingPublisher, PublisherPool, PublishError, Unroutable
from service.settings import Settings


class FakePublisher(ConfirmingPublisher):
    """Its connection is stale (every publish fails) or healthy; nothing is sent anywhere."""

    made: list[FakePublisher]
    broker_up = True

    def __init__(self, settings: Settings) -> None:  # no kombu connection
        self.settings = settings
        self.published = 0
        self.stale = False
        self.closed = False
        self.sent: list[str] = []
        FakePublisher.made.append(self)

    def publish(self, body: bytes, routing_key: str, message_id: str, headers: Mapping[str, Any],
                timeout: float | None = None) -> None:
        if self.stale or not FakePublisher.broker_up:
            raise ConnectionResetError(104, "Connection reset by peer")
        if routing_key == "nowhere":
            raise Unroutable("no queue")
        self.sent.append(message_id)
        self.published += 1

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def pool() -> PublisherPool:
    FakePublisher.made, FakePublisher.broker_up = [], True
    return PublisherPool(Settings.from_env(confirm_timeout=3.0), size=4, connect=FakePublisher)


def _warm(pool: PublisherPool, count: int) -> None:
    """`count` idle publishers in the pool, each used once (as after a burst of requests)."""
    with contextlib.ExitStack() as stack:
        for _ in range(count):
            stack.enter_context(pool.publisher(1)).publish(b"{}", "tally.ingest", "warm", {})


def test_a_publish_on_a_stale_connection_is_retried_on_a_fresh_one(pool: PublisherPool) -> None:
    _warm(pool, 3)
    for publisher in FakePublisher.made:
        publisher.stale = True  # the broker restarted: every idle connection is dead
    pool.publish(b"{}", "tally.ingest", "m-1", {})

    fresh = FakePublisher.made[-1]
    assert fresh.sent == ["m-1"] and len(FakePublisher.made) == 4
    assert all(p.closed for p in FakePublisher.made[:3])  # the other stale ones were dropped too
    pool.publish(b"{}", "tally.ingest", "m-2", {})
    assert fresh.sent == ["m-1", "m-2"] and len(FakePublisher.made) == 4  # and the fresh one is reused


def test_a_fresh_connection_that_fails_is_not_retried(pool: PublisherPool) -> None:
    FakePublisher.broker_up = False
    with pytest.raises(PublishError, match="ConnectionResetError"):
        pool.publish(b"{}", "tally.ingest", "m-1", {})
    assert len(FakePublisher.made) == 1  # the broker is down: answer at once, no second connection


def test_a_broker_down_after_a_stale_connection_fails_after_one_fresh_attempt(pool: PublisherPool) -> None:
    _warm(pool, 1)
    FakePublisher.broker_up = False
    with pytest.raises(PublishError):
        pool.publish(b"{}", "tally.ingest", "m-1", {})
    assert len(FakePublisher.made) == 2


def test_an_unroutable_message_is_not_retried_and_keeps_its_connection(pool: PublisherPool) -> None:
    _warm(pool, 1)
    with pytest.raises(Unroutable):
        pool.publish(b"{}", "nowhere", "m-1", {})
    assert len(FakePublisher.made) == 1 and not FakePublisher.made[0].closed
