"""Bank transactions (wire-shaped dicts) → messages on `tally.backfill`, as webhooks would be.

Each transaction is checked against the webhook contract first; one the contract refuses is
reported, not published (a message must be valid whole, or the consumer dead-letters it)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from service.broker.publisher import PublisherPool
from service.broker.topology import BACKFILL
from service.contract import MAX_TRANSACTIONS, InvalidBody, parse_transaction


@dataclass
class Refused:
    transaction_id: str
    reason: str


@dataclass
class BackfillPublisher:
    """Publishes with confirms, at most `max_rows_per_second` transactions per second (0: no cap)."""

    publishers: PublisherPool
    partner_id: str
    max_rows_per_second: int
    refused: list[Refused] = field(default_factory=list)
    _published: int = 0
    _started: float = field(default_factory=time.monotonic)

    def publish(self, transactions: Sequence[dict[str, Any]]) -> int:
        """Returns how many were published; raises PublishError if the broker did not confirm."""
        valid = [t for t in transactions if self._valid(t)]
        received_at = datetime.now(UTC).isoformat(timespec="microseconds")
        for start in range(0, len(valid), MAX_TRANSACTIONS):
            chunk = valid[start:start + MAX_TRANSACTIONS]
            request_id = f"backfill-{uuid.uuid4().hex}"
            self.publishers.publish(json.dumps({"transactions": chunk}).encode(), BACKFILL, message_id=request_id,
                                    headers={"partner_id": self.partner_id, "received_at": received_at,
                                             "request_id": request_id, "source": "backfill"})
            self._throttle(len(chunk))
        return len(valid)

    def _valid(self, transaction: dict[str, Any]) -> bool:
        try:
            parse_transaction(json.dumps(transaction))
        except InvalidBody as exc:
            first = exc.details[0]
            reason = f"{first['field']}: {first['message']}"
            self.refused.append(Refused(str(transaction.get("transaction_id")), reason))
            return False
        return True

    def _throttle(self, rows: int) -> None:
        self._published += rows
        if self.max_rows_per_second > 0:
            owed = self._published / self.max_rows_per_second - (time.monotonic() - self._started)
            if owed > 0:
                time.sleep(owed)
