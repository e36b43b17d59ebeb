"""Connections to the broker. AMQP_URL names one node or, for a cluster, one URL per node
separated by `;`; every connection Tally opens (publishers, consumers, `tally migrate`, the
dead-letter replay, tools and tests) is made here, so each one fails over to a live node.

A connection lists the nodes in a random order, so clients spread over the cluster instead
of all starting at the first URL, and kombu's round-robin failover moves to the next node when
one refuses or goes away. Round-robin over a shuffled list rather than kombu's `shuffle`
strategy: `shuffle` draws a node at random on every attempt and can retry a dead node while
skipping a live one; round-robin tries each node once per round.
"""

from __future__ import annotations

import random
from typing import Any

from kombu import Connection

from service.settings import split_urls


def broker_connection(amqp_url: str, **options: Any) -> Connection:
    """A kombu Connection over every node of `amqp_url` (not connected yet)."""
    nodes = split_urls(amqp_url)
    random.shuffle(nodes)
    return Connection(nodes, failover_strategy="round-robin", **options)


def ensure_connected(connection: Connection, timeout: float | None = None) -> Connection:
    """Connects, trying every node once, then (after kombu's 2 s pause) every node again,
    within `timeout` seconds; raises the last connection error when none answers. One node:
    two attempts, as kombu's own `connect()` makes."""
    rounds = 2
    return connection.ensure_connection(max_retries=rounds * max(1, len(connection.alt)) - 1, timeout=timeout)
