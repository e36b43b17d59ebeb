"""Publishing with publisher confirms: `publish()` returns only once RabbitMQ has the
message in every queue it routes to; anything else raises PublishError.

Why a pool of our own rather than kombu's ProducerPool: after any channel error py-amqp
revives the channel without re-sending `confirm.select` (celery/py-amqp#285), so the next
publish would wait for a confirm that never comes. A publisher that failed once is closed
and replaced whole, connection included; that rule is simplest to keep in one small class.
Connections are opened lazily, in the process that uses them (after gunicorn forks).

An idle pooled connection goes stale when the broker restarts (or a cluster node it was on
goes away): its next publish fails although the broker answers again. So a publish that
fails on a reused connection is tried again on a fresh one within the same confirm deadline,
after dropping the other idle connections (stale too, most likely). A fresh connection fails
over to a live node of a cluster (service/broker/connection.py). Resending is safe: the
first attempt was refused or never confirmed, and consumers deduplicate by transaction id.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kombu import Producer

from service.broker.connection import broker_connection, ensure_connected
from service.broker.topology import EXCHANGE
from service.settings import Settings

log = logging.getLogger("tally.broker")
RETRY_MIN_SECONDS = 0.5  # a fresh connection and a confirm need about this much of the deadline
MAX_ATTEMPTS = 3


class PublishError(RuntimeError):
    """The broker did not confirm the message in time (or refused it): it may or may not be queued."""


class Unroutable(PublishError):
    """The broker returned a mandatory message: no queue is bound for its routing key."""


class ConfirmingPublisher:
    """One AMQP connection and channel in confirm mode. Not thread-safe: one user at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._returned: set[str] = set()
        # heartbeat=0: nothing services heartbeats between requests on a web publisher;
        # py-amqp's TCP keepalive settings detect dead peers instead.
        self.connection = broker_connection(
            settings.amqp_url, heartbeat=0, connect_timeout=min(3.0, settings.confirm_timeout),
            transport_options={"confirm_publish": True, "max_retries": 0})
        self.producer: Producer | None = None
        self.published = 0  # confirmed publishes: > 0 means the connection has been reused since

    def _on_return(self, exc: Exception, exchange: str, routing_key: str, message: Any) -> None:
        self._returned.add(message.properties.get("message_id", ""))

    def publish(self, body: bytes, routing_key: str, message_id: str,
                headers: Mapping[str, Any], timeout: float | None = None) -> None:
        timeout = timeout or self.settings.confirm_timeout
        if self.producer is None:
            ensure_connected(self.connection, timeout=timeout)
            self.producer = Producer(self.connection.channel(), exchange=EXCHANGE,
                                     auto_declare=False, on_return=self._on_return)
        self._returned.discard(message_id)
        self.producer.publish(
            body, routing_key=routing_key, mandatory=True, delivery_mode=2,
            content_type="application/json", content_encoding="utf-8",
            message_id=message_id, headers=dict(headers),
            retry=False, timeout=timeout, confirm_timeout=timeout)
        # basic.return arrives before the ack of the same message (RabbitMQ confirms doc).
        if message_id in self._returned:
            self._returned.discard(message_id)
            raise Unroutable(f"no queue is bound to routing key {routing_key!r} on exchange tally")
        self.published += 1

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.release()


class PublisherPool:
    """Up to `size` publishers, one per concurrent caller (gunicorn threads)."""

    def __init__(self, settings: Settings, size: int,
                 connect: Callable[[Settings], ConfirmingPublisher] = ConfirmingPublisher) -> None:
        self.settings = settings
        self.connect = connect  # a new publisher (its connection opens on first use)
        self._idle: queue.LifoQueue[ConfirmingPublisher] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)

    @contextlib.contextmanager
    def publisher(self, timeout: float) -> Iterator[ConfirmingPublisher]:
        if not self._slots.acquire(timeout=timeout):
            raise PublishError("no publisher became free in time")
        try:
            try:
                publisher = self._idle.get_nowait()
            except queue.Empty:
                publisher = self.connect(self.settings)
            try:
                yield publisher
            except Unroutable:
                self._idle.put(publisher)  # the channel is fine: the message had no route
                raise
            except BaseException:
                publisher.close()  # never reuse a channel that failed (py-amqp#285)
                raise
            else:
                self._idle.put(publisher)
        finally:
            self._slots.release()

    def publish(self, body: bytes, routing_key: str, message_id: str, headers: Mapping[str, Any],
                timeout: float | None = None) -> None:
        """Publishes and waits for the confirm; raises PublishError on any failure or timeout.
        A failure on a reused (possibly stale) connection is retried on a fresh one while the
        deadline allows."""
        deadline = time.monotonic() + (timeout or self.settings.confirm_timeout)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            reused = False
            try:
                with self.publisher(max(0.1, deadline - time.monotonic())) as publisher:
                    reused = publisher.published > 0
                    publisher.publish(body, routing_key, message_id, headers, max(0.1, deadline - time.monotonic()))
                return
            except PublishError:
                raise  # no publisher free in time, or no route: a fresh connection changes neither
            except Exception as exc:  # noqa: BLE001 - socket, AMQP and timeout errors all mean "not confirmed"
                left = deadline - time.monotonic()
                if not reused or attempt == MAX_ATTEMPTS or left < RETRY_MIN_SECONDS:
                    raise PublishError(f"{type(exc).__name__}: {exc}") from exc
                log.info("publish failed on a reused broker connection; retrying on a fresh one",
                         extra={"error": f"{type(exc).__name__}: {exc}"[:300], "seconds_left": round(left, 2)})
                self._discard_idle()

    def _discard_idle(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

    def close(self) -> None:
        self._discard_idle()
