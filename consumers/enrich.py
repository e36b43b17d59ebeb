"""`tally enrich`: re-enrichment on `tally.enrich`. Asks the merchant-lookup API again for
rows that were written with the lower layers while it was slow or down, and upgrades their
category cells to `merchant_api` (never above a user's rule: see the timestamp scheme in
service/repositories/transactions.py). While the API is down, the batch is held, then
requeued, and consuming pauses until the API answers again (BatchWorker's outage protocol)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from kombu import Message

from consumers.worker import BatchWorker, DeadLetter, Held, QueueSpec, Undecodable, Verdict
from service import metrics
from service.broker.topology import ENRICH
from service.classification.categories import MERCHANT_API, SOURCE_CONFIDENCE
from service.merchants.lookup import MerchantLookupClient
from service.pipeline.enrichment import EnrichItem, decode
from service.repositories.changes import MODIFIED, Change, ChangeLogRepository
from service.repositories.transactions import CategoryUpdate, TransactionRepository
from service.settings import Settings

log = logging.getLogger("tally.enrich")


class MerchantApiUnavailable(RuntimeError):
    """Some merchants of the batch got no answer: retry the whole batch later."""


class EnrichWorker(BatchWorker):
    name = "enrich"

    def __init__(self, settings: Settings, client: MerchantLookupClient, transactions: TransactionRepository,
                 changes: ChangeLogRepository, ready: Callable[[], bool]) -> None:
        super().__init__(settings)
        self.queues = (QueueSpec(ENRICH, settings.consumer_prefetch),)
        self.client = client
        self.transactions = transactions
        self.changes = changes
        self._ready = ready

    def decode(self, queue_name: str, message: Message) -> list[EnrichItem]:
        try:
            return decode(message.body)
        except (ValueError, KeyError, TypeError) as exc:
            raise Undecodable(f"bad enrichment message: {exc}") from None

    def rows_in(self, held: Held) -> int:
        return len(held.decoded)

    def handle(self, batch: list[Held]) -> dict[int, DeadLetter]:
        items: list[EnrichItem] = [item for held in batch for item in held.decoded]
        result = self.client.lookup_many([item.query() for item in items])
        updates = []
        for item in items:
            info = result.answered.get(item.merchant_key)
            if info is not None and info.category is not None:
                updates.append(CategoryUpdate(*item.key, info.category, MERCHANT_API,
                                              SOURCE_CONFIDENCE[MERCHANT_API]))
        self.transactions.set_categories(updates, datetime.now(UTC))
        # the sync feed: after the cells committed (a user_rule or an override may still win:
        # the feed reads the current form, whatever the entry's cause)
        self.changes.record([Change(u.user_id, u.partner_id, u.transaction_id, MODIFIED) for u in updates])
        metrics.ROWS_WRITTEN.labels("enrich").inc(len(updates))
        log.info("re-enriched", extra={"rows": len(items), "upgraded": len(updates),
                                       "unanswered": len(result.unanswered)})
        if result.unanswered:
            raise MerchantApiUnavailable(f"{len(result.unanswered)} merchant(s) unanswered")
        return {}

    def verdict(self, exc: BaseException) -> tuple[Verdict, str]:
        if isinstance(exc, MerchantApiUnavailable):
            return Verdict.TRANSIENT, ""
        return super().verdict(exc)

    def storage_ready(self) -> bool:
        return self._ready()
