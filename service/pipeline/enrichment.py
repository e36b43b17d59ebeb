"""The merchant-lookup layer and re-enrichment (docs/design.md, "Categories").

`WithMerchantLookup` asks the merchant-lookup client for every distinct merchant of a batch
(caches first, then the API, bounded by the per-batch deadline). A merchant it could not
answer in time is classified by the lower layers now and marked `enrich_later`; after the
rows are written, the pipeline hands those rows to an EnrichmentSink, which publishes them to
`tally.enrich`. The `tally enrich` worker asks again and upgrades the category cells with a
`merchant_api` write timestamp — which can never beat a `user_rule` write (higher rank), and
user overrides live in their own table, so re-enrichment never touches a user's choice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime

from service.broker.publisher import PublisherPool
from service.broker.topology import ENRICH
from service.merchants.lookup import MerchantLookupClient, MerchantQuery
from service.pipeline.classify import Decision, Subject, classify_locally
from service.repositories.transactions import TransactionRow


class WithMerchantLookup:
    def __init__(self, client: MerchantLookupClient) -> None:
        self.client = client

    def classify(self, subjects: Sequence[Subject]) -> list[Decision]:
        queries = [_query(s) for s in subjects if s.user_rule is None]  # a rule wins anyway
        result = self.client.lookup_many(queries)
        decisions = []
        for subject in subjects:
            info = result.answered.get(subject.merchant_key)
            classification = classify_locally(subject, merchant_api=info.category if info else None)
            later = subject.user_rule is None and subject.merchant_key in result.unanswered
            decisions.append(Decision(classification, enrich_later=later))
        return decisions


def _query(subject: Subject) -> MerchantQuery:
    m = subject.transaction.merchant
    return MerchantQuery(subject.merchant_key, m.name, m.mcc, m.city, m.country)


@dataclass(frozen=True)
class EnrichItem:
    """What re-enrichment needs: the row's full key and the merchant to look up."""

    user_id: str
    day: str
    ts: str
    partner_id: str
    transaction_id: str
    merchant_key: str
    name: str
    mcc: str | None
    city: str | None
    country: str | None

    @classmethod
    def of(cls, row: TransactionRow) -> EnrichItem:
        return cls(str(row.user_id), row.day.isoformat(), row.authorized_at.isoformat(), row.partner_id,
                   row.transaction_id, row.merchant_key, row.merchant_name, row.merchant_mcc, row.merchant_city,
                   row.merchant_country)

    @property
    def key(self) -> tuple[uuid.UUID, date, datetime, str, str]:
        return (uuid.UUID(self.user_id), date.fromisoformat(self.day), datetime.fromisoformat(self.ts),
                self.partner_id, self.transaction_id)

    def query(self) -> MerchantQuery:
        return MerchantQuery(self.merchant_key, self.name, self.mcc, self.city, self.country)


def encode(items: Sequence[EnrichItem]) -> bytes:
    return json.dumps({"items": [asdict(i) for i in items]}, separators=(",", ":")).encode()


def decode(body: bytes | str) -> list[EnrichItem]:
    """Raises ValueError/KeyError/TypeError for a body that is not an enrichment message."""
    return [EnrichItem(**item) for item in json.loads(body)["items"]]


class EnrichmentSink:
    """Publishes rows to re-enrich to `tally.enrich` (one message per batch, confirmed)."""

    def __init__(self, publishers: PublisherPool) -> None:
        self.publishers = publishers

    def __call__(self, rows: Sequence[TransactionRow]) -> None:
        self.publishers.publish(encode([EnrichItem.of(r) for r in rows]), ENRICH, message_id=uuid.uuid4().hex,
                                headers={"kind": "enrich", "rows": len(rows)})
