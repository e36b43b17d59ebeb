"""Every broker connection covers every node of AMQP_URL, in an order of its own."""

from __future__ import annotations

from service.broker.connection import broker_connection, ensure_connected

NODES = [f"amqp://u:p@127.0.0.1:{port}/tally" for port in (5673, 5674, 5675)]


def test_a_connection_lists_every_node_and_clients_start_at_different_ones() -> None:
    connections = [broker_connection(";".join(NODES)) for _ in range(60)]

    assert all(sorted(c.alt) == sorted(NODES) for c in connections)
    assert {c.alt[0] for c in connections} == set(NODES)  # 60 draws: each node first at least once
    assert all(c.failover_strategy.__name__ == "cycle" for c in connections)  # kombu's round-robin


def test_one_node_still_works_as_before() -> None:
    connection = ensure_connected(broker_connection("memory://"))

    assert connection.connected and connection.alt == ["memory://"]
    connection.release()
