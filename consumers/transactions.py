"""`tally consumer`: webhooks (`tally.ingest`, preferred), backfill pages (`tally.backfill`)
and `account_linked` events (`tally.links`) → the transaction pipeline → Cassandra."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from kombu import Message

from cassandra import DriverException, RequestExecutionException
from consumers.worker import BatchWorker, DeadLetter, Held, QueueSpec, Undecodable
from service import metrics
from service.broker.publisher import PublishError
from service.broker.topology import BACKFILL, INGEST, LINKS
from service.pipeline.deliveries import Delivery, UndecodableMessage, decode
from service.pipeline.processor import TransactionPipeline
from service.repositories.partners import CachedPartners
from service.repositories.transactions import WriteFailed
from service.settings import Settings

log = logging.getLogger("tally.consumer.transactions")
txn_log = logging.getLogger("tally.transaction")


class LinkEvent:
    def __init__(self, partner_id: str, account_number: str) -> None:
        self.partner_id = partner_id
        self.account_number = account_number


class TransactionWorker(BatchWorker):
    name = "transactions"

    def __init__(self, settings: Settings, pipeline: TransactionPipeline, partners: CachedPartners,
                 storage_probe: Any, ack_delay: float = 0.0) -> None:
        super().__init__(settings)
        # ingest may hold the full prefetch; backfill enough for one full batch; link events
        # are rare. Batches take ingest first (see BatchWorker._take_batch).
        self.queues = (QueueSpec(INGEST, settings.consumer_prefetch),
                       QueueSpec(BACKFILL, settings.consumer_batch_size), QueueSpec(LINKS, 8))
        self.pipeline = pipeline
        self.partners = partners
        self.storage_probe = storage_probe
        self.ack_delay = ack_delay  # a test hook: seconds between the write and the acks

    def decode(self, queue_name: str, message: Message) -> Delivery | LinkEvent:
        if queue_name == LINKS:
            try:
                event = json.loads(message.body)
                return LinkEvent(str(event["partner_id"]), str(event["account_number"]))
            except (ValueError, KeyError, TypeError) as exc:
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
                drained = self.pipeline.drain(held.decoded.partner_id, held.decoded.account_number)
                outcome.written.extend(drained.written)
                log.info("account linked: held transactions drained", extra={
                    "partner_id": held.decoded.partner_id, "account_number": held.decoded.account_number,
                    "drained": len(drained.written)})
        self._log(outcome.written, outcome.parked)
        if self.ack_delay:
            time.sleep(self.ack_delay)
        return dead

    def _log(self, written: list[Any], parked: list[Any]) -> None:
        now = time.time()
        for row in written:
            metrics.LAG_SECONDS.observe(max(0.0, now - row.received_at.timestamp()))
            txn_log.info("transaction stored", extra={
                "partner_id": row.partner_id, "account_number": row.account_number,
                "transaction_id": row.transaction_id, "amount": str(row.amount), "currency": row.currency,
                "status": row.status, "category": row.category, "category_source": row.category_source,
                "authorized_at": row.authorized_at.isoformat(), "received_at": row.received_at.isoformat()})
        for held in parked:
            txn_log.info("transaction held: account not linked", extra={
                "partner_id": held.partner_id, "account_number": held.account_number,
                "transaction_id": held.transaction_id, "received_at": held.received_at.isoformat(),
                "request_id": held.request_id})
        metrics.ROWS_WRITTEN.labels("transactions").inc(len(written))

    def is_transient(self, exc: BaseException) -> bool:
        return isinstance(exc, (WriteFailed, PublishError, DriverException, RequestExecutionException))

    def storage_ready(self) -> bool:
        return bool(self.storage_probe())
