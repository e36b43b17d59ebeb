"""Looking into the test vhost's queues: counts and messages, via AMQP (exact, immediate)."""

from __future__ import annotations

from typing import Any

from service.broker import topology
from service.broker.connection import broker_connection, ensure_connected
from service.settings import Settings


def ready_count(settings: Settings, name: str) -> int:
    """Messages ready in a queue (not counting unacked deliveries)."""
    with broker_connection(settings.amqp_url) as connection:
        _, count, _ = topology.queue(name)(ensure_connected(connection).default_channel).queue_declare(passive=True)
    return int(count)


def drain(settings: Settings, name: str, limit: int = 100_000) -> list[Any]:
    """Takes (and acks) every ready message of a queue; returns them."""
    messages = []
    with broker_connection(settings.amqp_url) as connection:
        queue = topology.queue(name)(ensure_connected(connection).default_channel)
        while len(messages) < limit:
            message = queue.get(no_ack=False)
            if message is None:
                break
            message.ack()
            messages.append(message)
    return messages


def body_bytes(message: Any) -> bytes:
    """py-amqp hands utf-8 bodies over as str."""
    return message.body if isinstance(message.body, bytes) else message.body.encode()
