"""The exchange and queues of docs/design.md, "Processes".

A queue is declared once, by `tally migrate`, as a quorum queue of INITIAL_MEMBERS members
(`x-quorum-initial-group-size`; fewer on a smaller cluster: one on a single node). That is the
one queue argument besides the type, and it can be an argument because it is read only when
the queue is created: RabbitMQ refuses a redeclaration whose arguments differ, so a queue
that exists is never declared again (not by migrate, not by consumers, which only consume),
and membership changes later go through `rabbitmq-queues add_member` / `grow`, not a setting.
Everything that may change over a queue's life — delivery limit, dead-lettering, length
limits, where new leaders go — is a policy (see `policies`), applied before the queues are
declared so a new queue's leader is placed by it.
"""

from __future__ import annotations

from typing import Any

from amqp.exceptions import NotFound
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
# A quorum queue on three nodes keeps every confirmed message through the loss of one node.
INITIAL_MEMBERS = 3
ARGUMENTS = {"x-queue-type": "quorum", "x-quorum-initial-group-size": INITIAL_MEMBERS}


def queue(name: str) -> Queue:
    """The quorum queue `name` bound to `tally`, to consume from or read: never declared
    through this object (see the module docstring)."""
    return Queue(name, EXCHANGE, routing_key=name, durable=True, no_declare=True)


def declaration(name: str) -> Queue:
    """The quorum queue `name` as `tally migrate` creates it."""
    return Queue(name, EXCHANGE, routing_key=name, durable=True, queue_arguments=ARGUMENTS)


def declare(connection: Connection) -> list[str]:
    """Declares the exchange, creates the queues that do not exist yet and binds every queue;
    returns the names of the queues it created."""
    created = []
    channel = connection.channel()
    try:
        EXCHANGE(channel).declare()
        for name in ALL_QUEUES:
            if not _exists(connection, name):
                declaration(name)(channel).declare()
                created.append(name)
            queue(name)(channel).queue_bind()
    finally:
        channel.close()
    return created


def _exists(connection: Connection, name: str) -> bool:
    """A passive declaration, on a channel of its own: for a missing queue the broker closes it."""
    channel = connection.channel()
    try:
        queue(name)(channel).queue_declare(passive=True)
    except NotFound:
        return False
    else:
        channel.close()
    return True


def policies(settings: Settings) -> dict[str, dict[str, Any]]:
    """Policies by name. Work queues dead-letter to `tally.dead` at least once, which needs
    `overflow: reject-publish` (a full queue refuses publishes, and the webhook answers 503).
    New queue leaders go to the node that leads the fewest (`balanced`), so on a cluster the
    five queues' leaders, and the work of leading them, are spread over the nodes."""
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
                "queue-leader-locator": "balanced",
            },
        },
        "tally-dead": {
            "pattern": r"^tally\.dead$", "apply-to": "queues", "priority": 10,
            "definition": {"overflow": "reject-publish", "max-length": settings.queue_max_length,
                           "queue-leader-locator": "balanced"},
        },
    }
