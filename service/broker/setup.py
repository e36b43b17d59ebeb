"""The RabbitMQ half of `tally migrate`: vhost, exchange, queues and policies."""

from __future__ import annotations

from collections.abc import Callable

from kombu import Connection

from service.broker import topology
from service.broker.management import Management
from service.settings import Settings


def setup_broker(settings: Settings, say: Callable[[str], None] = print) -> None:
    """Idempotent: creates the vhost when missing, declares the topology, (re)applies policies."""
    management = Management(settings)
    if management.ensure_vhost():
        say(f"created vhost {settings.vhost}")
    with Connection(settings.amqp_url, connect_timeout=10) as connection:
        connection.ensure_connection(max_retries=3)
        topology.declare(connection)
    for name, policy in topology.policies(settings).items():
        management.put_policy(name, policy)
    say(f"declared exchange tally and queues {', '.join(topology.ALL_QUEUES)} on vhost {settings.vhost}")
