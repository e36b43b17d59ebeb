"""The local cluster's layout (devtools/cluster.py): tokens, the nodetool reading, where the
nodes go, and the settings Tally gets for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.cluster import Layout, LocalCluster, even_tokens, ring_states
from service.settings import Settings

STATUS = """Datacenter: datacenter1
=======================
Status=Up/Down
|/ State=Normal/Leaving/Joining/Moving
--  Address     Load        Tokens  Owns (effective)  Host ID                               Rack
UN  127.0.0.1   121.13 KiB  1       100.0%            bfa8e41b-7253-4f9d-a471-79a75e336660  rack1
DN  127.0.0.3   52.56 KiB   1       100.0%            c881380c-ed99-406e-b65b-d05a2b1dccae  rack3
UJ  127.0.0.2   80.86 KiB   1       ?                 dc9b886d-3113-4c29-8c27-77e4afde1359  rack2
"""


def test_tokens_are_evenly_spaced_over_the_murmur3_ring() -> None:
    tokens = even_tokens(3)

    # the values of docs/operators.md (and of cassandra's own token generator, shifted by 2)
    assert tokens == [-9223372036854775806, -3074457345618258601, 3074457345618258604]
    gaps = {b - a for a, b in zip(tokens, [*tokens[1:], tokens[0] + 2 ** 64], strict=True)}
    assert max(gaps) - min(gaps) <= 1
    assert all(-(2 ** 63) < t < 2 ** 63 for t in even_tokens(7))


def test_nodetool_status_is_read_per_address() -> None:
    assert ring_states(STATUS) == {"127.0.0.1": "UN", "127.0.0.3": "DN", "127.0.0.2": "UJ"}
    assert ring_states("nodetool: Failed to connect to '127.0.0.1:7199'") == {}


def test_the_product_layout_and_a_development_one() -> None:
    product = Layout.from_env({})
    assert product.addresses == ("127.0.0.1", "127.0.0.2", "127.0.0.3")
    nodes = LocalCluster.of(product)
    assert [n.jmx_port for n in nodes.cassandra] == [7199, 7200, 7201]
    assert [(n.amqp_port, n.management_port, n.dist_port) for n in nodes.rabbitmq] == [
        (5673, 15673, 25673), (5674, 15674, 25674), (5675, 15675, 25675)]
    assert {n.seeds for n in nodes.cassandra} == {"127.0.0.1"}
    assert [n.rack for n in nodes.cassandra] == ["rack1", "rack2", "rack3"]
    assert all(n.hinted_handoff and n.heap == "512M" for n in nodes.cassandra)

    development = Layout.from_env({"TALLY_CLUSTER_ADDRESSES": "127.0.0.11, 127.0.0.12,127.0.0.13",
                                   "TALLY_CLUSTER_RABBITMQ": "c1@localhost,c2@localhost,c3@localhost",
                                   "TALLY_CLUSTER_AMQP_PORT": "5772", "TALLY_CLUSTER_DIR": "/tmp/c"})
    nodes = LocalCluster.of(development)
    assert [n.address for n in nodes.cassandra] == ["127.0.0.11", "127.0.0.12", "127.0.0.13"]
    assert nodes.rabbitmq[2].name == "c3@localhost" and nodes.rabbitmq[2].management_port == 15774
    assert nodes.cassandra[1].folder == Path("/tmp/c/cassandra-2")
    with pytest.raises(ValueError, match="three"):
        Layout.from_env({"TALLY_CLUSTER_ADDRESSES": "127.0.0.1,127.0.0.2"})


def test_tally_on_the_cluster_gets_every_node_and_a_keyspace_of_rf_3() -> None:
    cluster = LocalCluster.of(Layout.from_env({}))

    settings = cluster.settings(Settings.from_env({}), keyspace="k1", vhost="v1")

    assert settings.contact_points == ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    assert settings.keyspace_replication == {"class": "NetworkTopologyStrategy", "datacenter1": 3}
    assert settings.amqp_urls == [f"amqp://guest:guest@127.0.0.1:{port}/v1" for port in (5673, 5674, 5675)]
    assert settings.vhost == "v1"
    assert settings.management_urls == [f"http://127.0.0.1:{port}" for port in (15673, 15674, 15675)]
    environment = cluster.environment()
    assert Settings.from_env(environment).keyspace_replication == settings.keyspace_replication
    assert Settings.from_env(environment).amqp_urls == [u.replace("/v1", "/tally") for u in settings.amqp_urls]
