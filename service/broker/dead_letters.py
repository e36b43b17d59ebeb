"""Replaying `tally.dead`: each message goes back to the queue it came from, by reason."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from service.broker.connection import broker_connection, ensure_connected
from service.broker.publisher import ConfirmingPublisher
from service.broker.topology import DEAD, WORK_QUEUES, queue
from service.settings import Settings

TALLY_HEADERS = ("x-tally-reason", "x-tally-error", "x-tally-queue", "x-tally-dead-at")


@dataclass
class ReplayReport:
    replayed: Counter[str] = field(default_factory=Counter)   # reason → count
    skipped: Counter[str] = field(default_factory=Counter)    # left in tally.dead (filter, dry run)
    unknown_queue: int = 0


def reason_of(headers: dict[str, Any]) -> str:
    """Ours (`x-tally-reason`) or the broker's (`x-death`: delivery_limit, rejected, …)."""
    if headers.get("x-tally-reason"):
        return str(headers["x-tally-reason"])
    deaths = headers.get("x-death") or []
    return str(deaths[0].get("reason", "unknown")) if deaths else "unknown"


def origin_of(headers: dict[str, Any]) -> str | None:
    origin = headers.get("x-tally-queue")
    if not origin:
        deaths = headers.get("x-death") or []
        origin = deaths[0].get("queue") if deaths else None
    return str(origin) if origin in WORK_QUEUES else None


def replay(settings: Settings, reason: str | None = None, dry_run: bool = False, limit: int | None = None,
           progress: Callable[[int], None] | None = None) -> ReplayReport:
    """Takes up to `limit` messages from tally.dead; those matching `reason` are republished
    (with a confirm) to their queue and then acked; the others are returned to tally.dead."""
    report = ReplayReport()
    publisher = ConfirmingPublisher(settings)
    kept: list[Any] = []
    try:
        with broker_connection(settings.amqp_url) as connection:
            dead = queue(DEAD)(ensure_connected(connection).default_channel)
            while limit is None or sum(report.replayed.values()) + len(kept) < limit:
                message = dead.get(no_ack=False)
                if message is None:
                    break
                headers = dict(message.headers or {})
                why, origin = reason_of(headers), origin_of(headers)
                if dry_run or (reason and why != reason) or origin is None:
                    report.skipped[why] += 1
                    report.unknown_queue += origin is None
                    kept.append(message)  # held unacked so this loop does not get it again
                    continue
                body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
                clean = {k: v for k, v in headers.items() if k not in TALLY_HEADERS and k != "x-death"}
                clean["x-tally-replayed-from"] = why
                publisher.publish(body, origin, message_id=message.properties.get("message_id") or "replay",
                                  headers=clean)
                message.ack()
                report.replayed[why] += 1
                if progress:
                    progress(sum(report.replayed.values()))
            for message in kept:
                message.requeue()
    finally:
        publisher.close()
    return report
