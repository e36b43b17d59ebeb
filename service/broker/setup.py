"""The RabbitMQ half of `tally migrate`: vhost, policies, exchange and queues."""

from __future__ import annotations

from collections.abc import Callable

from service.broker import topology
from service.broker.connection import broker_connection, ensure_connected
from service.broker.management import Management
from service.settings import Settings


def setup_broker(settings: Settings, say: Callable[[str], None] = print) -> None:
    """Idempotent: creates the vhost when missing, (re)applies the policies, then declares the
    exchange and the queues that do not exist yet (policies first: a new queue's leader is
    placed by them)."""
    management = Management(settings)
    if management.ensure_vhost():
        say(f"created vhost {settings.vhost}")
    for name, policy in topology.policies(settings).items():
        management.put_policy(name, policy)
    with broker_connection(settings.amqp_url, connect_timeout=10) as connection:
        created = topology.declare(ensure_connected(connection, timeout=60))
    say(f"declared exchange tally and queues {', '.join(topology.ALL_QUEUES)} on vhost {settings.vhost}"
        + (f" (created {', '.join(created)})" if created else " (all existed)"))
