"""The capacity model of docs/capacity.md (bench/capacity.py): its arithmetic, and its check
against measured points."""

from __future__ import annotations

import dataclasses

import pytest

from bench.capacity import Demand, UnitCosts, check, cores, nodes, predicted_rate, shards, size
from bench.curves import CurvePoint

COSTS = UnitCosts(ingest_ms=5.0, nginx_ms=0.5, rabbitmq_webhook_ms=1.5, consumer_ms=0.6, cassandra_row_ms=1.2,
                  rabbitmq_row_ms=0.02, api_ms=8.0, cassandra_list_ms=2.0, queue_confirms_per_second=1000.0)


def test_cores_are_demand_times_cost_over_the_utilisation() -> None:
    assert cores(1000, 2.0, utilisation=0.5) == 4.0
    assert cores(0, 2.0) == 0.0


def test_data_stores_never_go_below_three_nodes() -> None:
    assert nodes(0.1, node_cores=8) == 3
    assert nodes(25, node_cores=8) == 4


def test_the_ingest_queue_is_sharded_past_half_of_what_one_queue_confirms() -> None:
    assert shards(400, queue_rate=1000) == 1
    assert shards(501, queue_rate=1000) == 2
    assert shards(2600, queue_rate=1000) == 6
    with pytest.raises(ValueError, match="no measured"):
        shards(1, queue_rate=0)


def test_a_peak_is_sized_tier_by_tier() -> None:
    sizing = size(COSTS, Demand(webhooks_per_second=500, users=60_000, think_seconds=30), node_cores=8)
    # 500 webhooks/s × 5.5 ms / 0.5 = 5.5 cores; 50,000 rows/s × 0.6 ms / 0.5 = 60 cores
    assert sizing.ingest_cores == pytest.approx(5.5) and sizing.consumer_cores == pytest.approx(60)
    # 2,000 lists/s: api 32 cores; Cassandra 50,000 × 1.2 + 2,000 × 2.0 = 64 s/s → 128 cores, 16 nodes
    assert sizing.api_cores == pytest.approx(32) and sizing.cassandra_cores == pytest.approx(128)
    assert sizing.cassandra_nodes == 16
    # RabbitMQ 500 × 1.5 + 50,000 × 0.02 = 1.75 s/s → 3.5 cores: three nodes; one queue at half of 1,000
    assert sizing.rabbitmq_cores == pytest.approx(3.5) and sizing.rabbitmq_nodes == 3
    assert sizing.ingest_queue_shards == 1
    assert size(COSTS, Demand(1500, 0)).ingest_queue_shards == 3


def test_the_predicted_rate_is_the_lower_of_the_instances_and_the_machine_bound() -> None:
    # one consumer at 0.6 ms: one core gives 1,667 rows/s; the machine: 2,000 / 1.8 ms = 1,111
    assert predicted_rate(0.6, 1.2, 1, cores_per_instance=1, machine_cores=2) == pytest.approx(1111.1, abs=0.1)
    # an instance bound: 2 cores / 5 ms = 400, machine 2 / 5.5 ms = 364 → 364
    assert predicted_rate(5.0, 0.5, 1, cores_per_instance=2, machine_cores=2) == pytest.approx(363.6, abs=0.1)
    assert predicted_rate(2.0, 0.0, 1, cores_per_instance=0.25, machine_cores=2) == pytest.approx(125.0)


def test_unit_costs_are_the_medians_over_a_deployments_curves() -> None:
    def p(n: int, rate: float, **ms: float) -> CurvePoint:
        return CurvePoint(n, rate, 0.0, {}, ms)

    costs = UnitCosts.of({
        "consumers": [p(1, 500, consumers=0.5, cassandra=1.0, rabbitmq=0.02), p(2, 900, consumers=0.7, cassandra=1.4,
                                                                               rabbitmq=0.04)],
        "ingest": [p(1, 300, workers=5.0, nginx=0.4, rabbitmq=1.0)],
        "lists": [p(20, 25, api=8.0, cassandra=3.0)],
        "queue": [p(8, 700, rabbitmq=1.0), p(32, 950, rabbitmq=1.1)]})
    assert costs.consumer_ms == 0.6 and costs.cassandra_row_ms == 1.2 and costs.rabbitmq_row_ms == 0.03
    assert (costs.ingest_ms, costs.nginx_ms, costs.rabbitmq_webhook_ms) == (5.0, 0.4, 1.0)
    assert (costs.api_ms, costs.cassandra_list_ms, costs.queue_confirms_per_second) == (8.0, 3.0, 950.0)
    results = {"deployments": {"cluster": {"unit_costs": dataclasses.asdict(costs)}}}
    assert UnitCosts.from_results(results) == costs


def test_the_check_predicts_every_point_from_the_curves_median_costs() -> None:
    curve = {"points": [{"instances": 1, "rate": 900.0, "ms_per_unit": {"consumers": 0.6, "cassandra": 1.0}},
                        {"instances": 2, "rate": 1000.0, "ms_per_unit": {"consumers": 0.8, "cassandra": 1.2}}]}
    checked = check(curve, "consumers", cores_per_instance=1, machine_cores=2)
    # median costs 0.7 + 1.1 ms: one consumer 1,429 rows/s, the machine 1,111 at any count
    assert [c["predicted"] for c in checked] == [1111.1, 1111.1]
    assert [c["measured_over_predicted"] for c in checked] == [0.81, 0.9]
