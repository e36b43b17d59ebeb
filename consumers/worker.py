"""BatchWorker: the base every Tally consumer stands on. It owns the AMQP side — prefetch,
batching by size and time, acks, explicit dead-lettering, the storage-outage protocol,
reconnects, the rows/s cap, SIGTERM — so a worker implements only `decode`, `handle` and
`verdict`.

Rules it keeps (docs/design.md, "Reliability"):
- prefetch ≥ batch size, or a batch never fills; a batch is flushed when full or when its
  oldest message has waited TALLY_CONSUMER_BATCH_WAIT_MS.
- A message is acked only after `handle` returned, i.e. after Cassandra accepted the write.
- A failure is PERMANENT only when it is known to be (an undecodable body, a disabled partner,
  a value the database refuses): that message alone is published to `tally.dead` (with a
  confirm, headers `x-tally-reason`, `x-tally-error`, `x-tally-queue`) and only then acked.
- A TRANSIENT failure (the database or the broker unavailable: crashed, restarting, paused,
  unreachable) dead-letters nothing: the batch is retried in place with backoff; after
  TALLY_CONSUMER_HOLD_SECONDS (below the broker's consumer_timeout) the channels are closed,
  which requeues every unacked message, and consuming stops until `storage_ready()` answers
  again. One outage costs each message one delivery count.
- Any other failure is UNKNOWN (a bug): the batch is split so the others go through, and the
  failing message is handed back to the broker (requeued) while storage answers; the quorum
  queue's delivery limit dead-letters it (reason `delivery_limit`) if it never succeeds.
- After a reconnect the old delivery tags are void: held messages are forgotten (the
  broker redelivers them), never acked on the new channel.

Why not kombu's ConsumerMixin: it acks or rejects one message per callback, while this base
holds many deliveries across callbacks to write them as one batch, stops consuming without
disconnecting during an outage, and services heartbeats while it waits; those need the loop.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kombu import Connection, Consumer, Message
from kombu.exceptions import OperationalError

from service import metrics
from service.broker.connection import broker_connection, ensure_connected
from service.broker.publisher import ConfirmingPublisher, PublishError
from service.broker.topology import DEAD, queue
from service.repositories.transactions import WriteFailed
from service.settings import Settings
from service.storage.failures import refused_value, unavailable

log = logging.getLogger("tally.consumer")
MAX_WAIT_SECONDS = 5.0
PACE_SECONDS = 0.25


@dataclass(frozen=True)
class QueueSpec:
    name: str
    prefetch: int


NOT_DECODED = object()


@dataclass
class Held:
    """A delivered, not yet acked message and what `decode` made of it (or why it could not)."""

    queue: str
    message: Message
    decoded: Any = NOT_DECODED
    undecodable: str | None = None
    rows: int = 1
    arrived: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class DeadLetter:
    reason: str
    error: str


@dataclass(frozen=True)
class Requeue:
    """Hand the message back to the broker (its delivery count grows toward the limit)."""

    error: str


Settlement = DeadLetter | Requeue


class Verdict(enum.Enum):
    TRANSIENT = "transient"  # storage or broker unavailable: hold, retry, requeue; never dead
    PERMANENT = "permanent"  # this message can never succeed: dead-letter it with a reason
    UNKNOWN = "unknown"      # not known to be either: requeue it, the delivery limit decides


class Undecodable(ValueError):
    """Raised by `decode`: the message can never be processed (dead-lettered as decode_error)."""


class BatchWorker:
    """Subclasses set `queues` (preference order) and implement `decode`, `handle`,
    `verdict` and `storage_ready`; `tick` runs now and then between batches."""

    queues: Sequence[QueueSpec] = ()
    name = "worker"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.batch_size = settings.consumer_batch_size
        self.batch_wait = settings.consumer_batch_wait_ms / 1000
        self.max_rows_per_second = settings.consumer_max_rows_per_second
        self.hold_seconds = settings.consumer_hold_seconds
        self.should_stop = False
        self.connected = False
        self.paused = False
        self._held: list[Held] = []
        self._oldest: float | None = None
        self._hold_started: float | None = None
        self._retry_at = 0.0
        self._backoff = 0.5
        self._channels: list[Any] = []
        self._dead_publisher: ConfirmingPublisher | None = None
        self.broker_url = settings.amqp_url  # unit tests use kombu's memory:// transport
        probe = broker_connection(settings.amqp_url)
        # OperationalError: kombu's failover gave up on every node (ensure_connected), which
        # while the broker restarts is the usual case, never a reason to exit.
        self._broker_errors = (OSError, OperationalError, *probe.connection_errors, *probe.channel_errors)

    # -- what subclasses implement -------------------------------------------------------
    def decode(self, queue_name: str, message: Message) -> Any:
        raise NotImplementedError

    def handle(self, batch: list[Held]) -> dict[int, DeadLetter]:
        """Processes a batch; returns the indexes that must be dead-lettered. Raises to have
        the failure judged by `verdict`."""
        raise NotImplementedError

    def verdict(self, exc: BaseException) -> tuple[Verdict, str]:
        """What a failure of `handle` means, and the dead-letter reason when PERMANENT. This
        judges the infrastructure (Cassandra, the broker, the network); workers add their own."""
        failures = exc.failures if isinstance(exc, WriteFailed) else [exc]
        if failures and all(refused_value(f) for f in failures):
            return Verdict.PERMANENT, "refused_by_database"
        if any(unavailable(f) or isinstance(f, (PublishError, *self._broker_errors)) for f in failures):
            return Verdict.TRANSIENT, ""
        return Verdict.UNKNOWN, ""

    def storage_ready(self) -> bool:
        return True

    def tick(self) -> None:
        """Called between batches (at least every second while connected): periodic work."""

    # -- the loop ----------------------------------------------------------------------------
    def ready(self) -> tuple[bool, str]:
        if not self.connected:
            return False, "not connected to RabbitMQ"
        if self.paused:
            return False, "storage unavailable: consuming paused"
        return True, "ok"

    def stop(self) -> None:
        self.should_stop = True

    def run(self) -> None:
        delay = 1.0
        while not self.should_stop:
            try:
                with broker_connection(self.broker_url, heartbeat=30, connect_timeout=10) as conn:
                    ensure_connected(conn)  # a live node of a cluster
                    delay = 1.0
                    self._serve(conn)
            except self._broker_errors as exc:
                self._forget_held("connection lost")
                log.warning("broker connection lost; reconnecting", extra={"error": str(exc), "worker": self.name})
                self._sleep(delay)
                delay = min(delay * 2, 30.0)
            finally:
                self.connected = False
        self._close_dead_publisher()

    def _serve(self, conn: Connection) -> None:
        self._consume(conn)
        self.connected = True
        log.info("consuming", extra={"worker": self.name, "queues": [q.name for q in self.queues]})
        while not self.should_stop:
            if self.paused:
                self._while_paused(conn)
                continue
            self._pump(conn, self._next_wakeup())
            self.tick()
            if self._hold_started is not None:
                if time.monotonic() >= self._retry_at:
                    self._flush(conn)
            elif self._batch_due():
                self._flush(conn)
        self._drain_on_stop(conn)

    def _consume(self, conn: Connection) -> None:
        self._channels = []
        for spec in self.queues:
            channel = conn.channel()
            consumer = Consumer(channel, queues=[queue(spec.name)], prefetch_count=spec.prefetch, no_ack=False,
                                on_message=self._receiver(spec.name))
            consumer.consume()
            self._channels.append(channel)

    def _receiver(self, queue_name: str) -> Callable[[Message], None]:
        def receive(message: Message) -> None:
            held = Held(queue_name, message)
            try:  # decoded on arrival, so batches can be sized in rows (the rows/s pace)
                held.decoded = self.decode(queue_name, message)
                held.rows = self.rows_in(held)
            except Undecodable as exc:
                held.undecodable = str(exc)
            except Exception as exc:  # noqa: BLE001 - a decoder bug must dead-letter, not crash the loop
                log.exception("decode failed", extra={"worker": self.name})
                held.undecodable = f"{type(exc).__name__}: {exc}"
            self._held.append(held)
            if self._oldest is None:
                self._oldest = time.monotonic()
        return receive

    def _pump(self, conn: Connection, timeout: float) -> None:
        """Reads broker frames for up to `timeout` s (deliveries land in self._held)."""
        with contextlib.suppress(TimeoutError):
            conn.drain_events(timeout=max(0.01, timeout))
        conn.heartbeat_check()

    def _service(self, conn: Connection, seconds: float) -> None:
        """Waits `seconds` while keeping the connection (heartbeats) alive."""
        deadline = time.monotonic() + seconds
        while not self.should_stop and (left := deadline - time.monotonic()) > 0:
            self._pump(conn, min(left, 1.0))

    def _next_wakeup(self) -> float:
        now = time.monotonic()
        if self._hold_started is not None:
            return min(1.0, max(0.0, self._retry_at - now))
        if self._oldest is not None:
            return min(1.0, max(0.0, self._oldest + self.batch_wait - now))
        return 1.0

    @property
    def _row_budget(self) -> int | None:
        """With a rows/s cap, a batch holds at most PACE_SECONDS of rows (at least one
        message), and the batches follow each other at the capped pace: a smooth trickle.
        Capping per large batch instead wrote 3,000 rows at once every ten seconds, and those
        spikes stalled the logins' Cassandra reads (bench/profiles/login.md)."""
        return int(self.max_rows_per_second * PACE_SECONDS) if self.max_rows_per_second > 0 else None

    def _batch_due(self) -> bool:
        if not self._held:
            return False
        budget = self._row_budget
        full = (sum(h.rows for h in self._held) >= budget if budget is not None
                else len(self._held) >= self.batch_size)
        waited = self._oldest is not None and time.monotonic() - self._oldest >= self.batch_wait
        return full or waited

    def _take_batch(self) -> list[Held]:
        """Up to batch_size held messages (or the row budget): preferred queues first (the
        order of `queues`), but a message held for MAX_WAIT_SECONDS goes first whatever its
        queue, so a steady burst on tally.ingest cannot starve a held backfill message into the
        broker's consumer_timeout."""
        order = {spec.name: i for i, spec in enumerate(self.queues)}
        aged = time.monotonic() - MAX_WAIT_SECONDS
        ranked = sorted(self._held, key=lambda h: (h.arrived > aged, order.get(h.queue, len(order))))
        batch = ranked[:self.batch_size]
        budget = self._row_budget
        if budget is None:
            return batch
        taken: list[Held] = []
        rows = 0
        for held in batch:
            if taken and rows + held.rows > budget:
                break
            taken.append(held)
            rows += held.rows
        return taken

    # -- a batch -------------------------------------------------------------------------------
    def _flush(self, conn: Connection) -> None:
        batch = self._take_batch()
        if not batch:
            return
        started = time.monotonic()
        settled: dict[int, Settlement] = {}
        decodable: list[tuple[int, Held]] = []
        for i, held in enumerate(batch):
            if held.undecodable is not None:
                settled[i] = DeadLetter("decode_error", held.undecodable)
            else:
                decodable.append((i, held))
        try:
            for j, settlement in self._handle_isolating([h for _, h in decodable]).items():
                settled[decodable[j][0]] = settlement
        except Exception as exc:  # noqa: BLE001 - only transient failures leave _handle_isolating
            self._hold(exc)
            return
        try:
            self._settle(batch, settled)
        except Exception as exc:  # noqa: BLE001 - the dead-letter publish was not confirmed
            log.warning("dead-lettering failed; the batch will be retried", extra={"error": str(exc)})
            self._hold(exc)
            return
        metrics.BATCH_SECONDS.observe(time.monotonic() - started)
        metrics.CASSANDRA_AVAILABLE.set(1)
        self._hold_started, self._backoff = None, 0.5
        self._throttle(conn, batch, settled, started)

    def _handle_isolating(self, batch: list[Held]) -> dict[int, Settlement]:
        """`handle`. A TRANSIENT failure is raised (the whole batch is held). Otherwise each
        message is tried alone, so one bad message cannot block the others: alone, a PERMANENT
        failure dead-letters it, an UNKNOWN one requeues it while storage answers."""
        if not batch:
            return {}
        try:
            return dict(self.handle(batch))
        except Exception as exc:
            verdict, reason = self.verdict(exc)
            if verdict is Verdict.TRANSIENT:
                raise
            if len(batch) == 1:
                return {0: self._single_failure(batch[0], exc, verdict, reason)}
        settled: dict[int, Settlement] = {}
        for i, held in enumerate(batch):
            for settlement in self._handle_isolating([held]).values():
                settled[i] = settlement
        return settled

    def _single_failure(self, held: Held, exc: Exception, verdict: Verdict, reason: str) -> Settlement:
        error = f"{type(exc).__name__}: {exc}"
        if verdict is Verdict.PERMANENT:
            return DeadLetter(reason or "processing_error", error)
        if not self.storage_ready():
            raise exc  # an unclassified failure while storage is down: the outage explains it
        first = not (held.message.delivery_info or {}).get("redelivered")
        log.warning("message failed; handing it back to the broker (its delivery limit dead-letters it if it "
                    "never succeeds)", exc_info=first, extra={"worker": self.name, "queue": held.queue,
                                                              "error": error[:300]})
        return Requeue(error)

    def _settle(self, batch: list[Held], settled: Mapping[int, Settlement]) -> None:
        for i, settlement in settled.items():
            if isinstance(settlement, DeadLetter):
                self._dead_letter(batch[i], settlement)
        for i, held in enumerate(batch):
            if isinstance(settled.get(i), Requeue):
                held.message.requeue()
                metrics.MESSAGES.labels(held.queue, "requeued").inc()
            else:
                held.message.ack()
                metrics.MESSAGES.labels(held.queue, "dead" if i in settled else "acked").inc()
        done = {id(h) for h in batch}
        self._held = [h for h in self._held if id(h) not in done]
        self._oldest = time.monotonic() if self._held else None

    def _dead_letter(self, held: Held, letter: DeadLetter) -> None:
        message = held.message
        body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
        message_id = message.properties.get("message_id") or f"dead-{id(message)}"
        self.dead_letter(body, dict(message.headers or {}), letter, queue_name=held.queue, message_id=message_id)

    def dead_letter(self, body: bytes, headers: dict[str, Any], letter: DeadLetter, *, queue_name: str,
                    message_id: str) -> None:
        """Publishes `body` to tally.dead with the reason, and waits for the broker's confirm
        (raises otherwise). Workers call it for a part of a message (a held row)."""
        if self._dead_publisher is None:
            self._dead_publisher = ConfirmingPublisher(self.settings)
        headers = {**headers, "x-tally-reason": letter.reason, "x-tally-error": letter.error[:500],
                   "x-tally-queue": queue_name, "x-tally-dead-at": datetime.now(UTC).isoformat()}
        try:
            self._dead_publisher.publish(body, DEAD, message_id=message_id, headers=headers)
        except Exception:
            self._close_dead_publisher()
            raise
        metrics.DEAD_LETTERS.labels(letter.reason).inc()
        log.warning("dead-lettered", extra={"reason": letter.reason, "error": letter.error[:300],
                                            "queue": queue_name, "message_id": message_id})

    def _close_dead_publisher(self) -> None:
        if self._dead_publisher is not None:
            self._dead_publisher.close()
            self._dead_publisher = None

    def _throttle(self, conn: Connection, batch: list[Held], settled: Mapping[int, Settlement],
                  started: float) -> None:
        """The rows/s cap: after writing n rows, the batch must have taken n / cap seconds."""
        if self.max_rows_per_second <= 0:
            return
        rows = sum(h.rows for i, h in enumerate(batch) if i not in settled)
        owed = rows / self.max_rows_per_second - (time.monotonic() - started)
        if owed > 0:
            self._service(conn, owed)

    def rows_in(self, held: Held) -> int:
        """Rows a decoded message will write (the rows/s cap counts these)."""
        return 1

    # -- storage outages ---------------------------------------------------------------------------
    def _hold(self, exc: BaseException) -> None:
        now = time.monotonic()
        if self._hold_started is None:
            self._hold_started = now
            log.warning("storage unavailable; holding the batch", extra={"error": str(exc)[:300]})
        metrics.CASSANDRA_AVAILABLE.set(0)
        if now - self._hold_started >= self.hold_seconds:
            self._pause()
            return
        self._retry_at = now + self._backoff
        self._backoff = min(self._backoff * 2, 5.0)

    def _pause(self) -> None:
        """Closes the consuming channels: the broker requeues every unacked message at once."""
        log.warning("storage still unavailable; requeueing held messages and pausing",
                    extra={"held": len(self._held), "hold_seconds": self.hold_seconds})
        for held in self._held:
            metrics.MESSAGES.labels(held.queue, "requeued").inc()
        for channel in self._channels:
            try:
                channel.close()
            except Exception:  # noqa: BLE001 - a dead channel requeues its messages anyway
                log.debug("channel close failed", exc_info=True)
        self._channels = []
        self._forget_held("paused")
        self.paused = True

    def _while_paused(self, conn: Connection) -> None:
        self._service(conn, 2.0)
        if not self.should_stop and self.storage_ready():
            log.info("storage available again; consuming", extra={"worker": self.name})
            self._hold_started, self._backoff, self.paused = None, 0.5, False
            self._consume(conn)

    def _forget_held(self, why: str) -> None:
        if self._held:
            log.info("forgetting unacked messages; the broker redelivers them",
                     extra={"count": len(self._held), "why": why})
        self._held, self._oldest = [], None

    def _drain_on_stop(self, conn: Connection) -> None:
        """SIGTERM: write and ack what is held if storage answers; the rest is requeued
        when the connection closes."""
        while self._held and not self.paused and self._hold_started is None:
            self._flush(conn)
        log.info("stopped", extra={"worker": self.name, "unacked_left": len(self._held)})

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.should_stop and time.monotonic() < deadline:
            time.sleep(0.2)


