"""`tally consumer`: webhooks (`tally.ingest`, preferred), backfill pages (`tally.backfill`)
and `account_linked` events (`tally.links`) → the transaction pipeline → Cassandra. Between
batches it sweeps the link outbox, so held transactions drain even when a link's event was
never published (service/users/linking.py)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from kombu import Message

from consumers.worker import BatchWorker, DeadLetter, Held, QueueSpec, Undecodable
from service import metrics
from service.broker.publisher import PublisherPool
from service.broker.topology import BACKFILL, INGEST, LINKS
from service.pipeline.deliveries import Delivery, UndecodableMessage, decode
from service.pipeline.processor import Outcome, TransactionPipeline
from service.repositories.held import HeldTransaction
from service.repositories.link_outbox import LinkOutboxRepository
from service.repositories.partners import CachedPartners
from service.settings import Settings
from service.users.linking import republish_pending

log = logging.getLogger("tally.consumer.transactions")
txn_log = logging.getLogger("tally.transaction")


class LinkEvent:
    def __init__(self, partner_id: str, account_number: str, outbox_hour: datetime | None) -> None:
        self.partner_id = partner_id
        self.account_number = account_number
        self.outbox_hour = outbox_hour  # None: an event from before the outbox


class TransactionWorker(BatchWorker):
    name = "transactions"

    def __init__(self, settings: Settings, pipeline: TransactionPipeline, partners: CachedPartners, *,
                 storage_probe: Callable[[], bool], outbox: LinkOutboxRepository,
                 publishers: PublisherPool) -> None:
        super().__init__(settings)
        # ingest may hold the full prefetch; backfill enough for one full batch; link events
        # are rare. Batches take ingest first (see BatchWorker._take_batch).
        self.queues = (QueueSpec(INGEST, settings.consumer_prefetch),
                       QueueSpec(BACKFILL, settings.consumer_batch_size), QueueSpec(LINKS, 8))
        self.pipeline = pipeline
        self.partners = partners
        self.storage_probe = storage_probe
        self.outbox = outbox
        self.publishers = publishers
        self.sweep_every = settings.link_sweep_seconds
        self._next_sweep = time.monotonic() + self.sweep_every

    def decode(self, queue_name: str, message: Message) -> Delivery | LinkEvent:
        if queue_name == LINKS:
            try:
                event = json.loads(message.body)
                hour = event.get("outbox_hour")
                return LinkEvent(str(event["partner_id"]), str(event["account_number"]),
                                 datetime.fromisoformat(hour) if hour else None)
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise Undecodable(f"bad account_linked event: {exc}") from None
        try:
            return decode(message.body, message.headers or {})
        except UndecodableMessage as exc:
            raise Undecodable(str(exc)) from None

    def rows_in(self, held: Held) -> int:
        return len(held.decoded.transactions) if isinstance(held.decoded, Delivery) else 1

    def handle(self, batch: list[Held]) -> dict[int, DeadLetter]:
        dead: dict[int, DeadLetter] = {}
        deliveries: list[Delivery] = []
        for i, held in enumerate(batch):
            if isinstance(held.decoded, LinkEvent):
                continue
            partner = self.partners.get(held.decoded.partner_id)
            if partner is None or not partner.enabled:
                dead[i] = DeadLetter("partner_disabled", f"partner {held.decoded.partner_id} is unknown or disabled")
            else:
                deliveries.append(held.decoded)
        outcome = self.pipeline.process(deliveries)
        for held in batch:
            if isinstance(held.decoded, LinkEvent):
                self._drain(held.decoded, outcome)
        self._log(outcome)
        return dead

    def _drain(self, event: LinkEvent, outcome: Outcome) -> None:
        drained = self.pipeline.drain(event.partner_id, event.account_number, self._reject_held)
        outcome.written.extend(drained.written)
        if event.outbox_hour is not None:
            self.outbox.mark_drained(event.outbox_hour, event.partner_id, event.account_number, datetime.now(UTC))
        log.info("account linked: held transactions drained", extra={
            "partner_id": event.partner_id, "account_number": event.account_number,
            "drained": len(drained.written), "rejected": len(drained.rejected)})

    def _reject_held(self, held: HeldTransaction, why: str) -> None:
        """A held row the contract refuses now: to tally.dead alone, as a one-transaction
        webhook body (a replay after the fix sends it through tally.ingest again)."""
        body = b'{"transactions":[' + held.payload.encode() + b"]}"
        headers = {"partner_id": held.partner_id, "received_at": held.received_at.isoformat(),
                   "request_id": held.request_id or "", "account_number": held.account_number}
        self.dead_letter(body, headers, DeadLetter("held_payload_invalid", why), queue_name=INGEST,
                         message_id=f"held-{held.partner_id}-{held.transaction_id}")

    def tick(self) -> None:
        if time.monotonic() < self._next_sweep:
            return
        self._next_sweep = time.monotonic() + self.sweep_every
        try:
            republish_pending(self.outbox, self.publishers, datetime.now(UTC), timedelta(seconds=self.sweep_every))
        except Exception as exc:  # noqa: BLE001 - the next sweep tries again; nothing is lost meanwhile
            log.warning("link outbox sweep failed", extra={"error": f"{type(exc).__name__}: {exc}"[:300]})

    def _log(self, outcome: Outcome) -> None:
        now = time.time()
        for row in outcome.written:
            metrics.LAG_SECONDS.observe(max(0.0, now - row.received_at.timestamp()))
            txn_log.info("transaction stored", extra={
                "partner_id": row.partner_id, "account_number": row.account_number,
                "transaction_id": row.transaction_id, "amount": str(row.amount), "currency": row.currency,
                "status": row.status, "category": row.category, "category_source": row.category_source,
                "authorized_at": row.authorized_at.isoformat(), "received_at": row.received_at.isoformat()})
        for held in outcome.parked:
            txn_log.info("transaction held: account not linked", extra={
                "partner_id": held.partner_id, "account_number": held.account_number,
                "transaction_id": held.transaction_id, "received_at": held.received_at.isoformat(),
                "request_id": held.request_id})
        metrics.ROWS_WRITTEN.labels("transactions").inc(len(outcome.written))

    def storage_ready(self) -> bool:
        return bool(self.storage_probe())
