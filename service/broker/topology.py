"""The exchange and queues of docs/design.md, "Processes". Declarations carry only `x-queue-type`;
delivery limit, dead-lettering and length limits are policies (see `policies`), so they can
change without redeclaring a queue."""

from __future__ import annotations

from typing import Any

from kombu import Connection, Exchange, Queue

from service.settings import Settings

EXCHANGE = Exchange("tally", type="direct", durable=True)

INGEST = "tally.ingest"        # webhooks, one message per request (raw body)
BACKFILL = "tally.backfill"    # pages fetched from the banks' list APIs
LINKS = "tally.links"          # account_linked events
ENRICH = "tally.enrich"        # transactions the merchant API did not answer in time
DEAD = "tally.dead"            # messages that cannot succeed, for an operator to replay

WORK_QUEUES = (INGEST, BACKFILL, LINKS, ENRICH)
ALL_QUEUES = (*WORK_QUEUES, DEAD)


def queue(name: str) -> Queue:
    """A quorum queue bound to `tally` with its own name as routing key."""
    return Queue(name, EXCHANGE, routing_key=name, durable=True,
                 queue_arguments={"x-queue-type": "quorum"})


def declare(connection: Connection) -> None:
    channel = connection.channel()
    try:
        EXCHANGE(channel).declare()
        for name in ALL_QUEUES:
            queue(name)(channel).declare()
    finally:
        channel.close()


def policies(settings: Settings) -> dict[str, dict[str, Any]]:
    """Policies by name. Work queues dead-letter to `tally.dead` at least once, which needs
    `overflow: reject-publish` (a full queue refuses publishes, and the webhook answers 503)."""
    pattern = "^(" + "|".join(q.replace(".", r"\.") for q in WORK_QUEUES) + ")$"
    return {
        "tally-work": {
            "pattern": pattern, "apply-to": "queues", "priority": 10,
            "definition": {
                "delivery-limit": settings.delivery_limit,
                "dead-letter-exchange": EXCHANGE.name,
                "dead-letter-routing-key": DEAD,
                "dead-letter-strategy": "at-least-once",
                "overflow": "reject-publish",
                "max-length": settings.queue_max_length,
            },
        },
        "tally-dead": {
            "pattern": r"^tally\.dead$", "apply-to": "queues", "priority": 10,
            "definition": {"overflow": "reject-publish", "max-length": settings.queue_max_length},
        },
    }
