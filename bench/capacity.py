"""The capacity model of docs/capacity.md: cores and nodes for a bank peak, from the CPU each
unit of work cost in `tally bench scale` (bench/scale.py), and its check against the points
measured there.

    python -m bench.capacity bench/results/scale-reference.json --webhooks 500 --users 100000

A peak is R webhooks/s of 100 transactions each, and U users with the app open, each listing
their transactions every `think` seconds. Each tier needs

    cores = demand (units/s) × CPU per unit (ms) / 1000 / UTILISATION

with the CPU per unit measured on the cluster (RF 3: Cassandra's figure is the CPU of all
three replicas together, RabbitMQ's that of all three queue members). UTILISATION 0.5 leaves
the headroom for a node lost (a third of Cassandra's load moves to the other two) and for the
burst to grow by half before anything queues. Cassandra and RabbitMQ never go below three
nodes, and one quorum queue takes no more than its leader confirms: past
`QUEUE_UTILISATION` of the measured confirmed-publish rate, the ingest queue is sharded.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.curves import CurvePoint

UTILISATION = 0.5        # of every core a tier is sized for (headroom: a node lost, a larger burst)
QUEUE_UTILISATION = 0.5  # of one quorum queue's measured confirmed-publish rate
NODE_CORES = 8           # cores of one Cassandra or RabbitMQ node (a stated size, not measured)
MIN_NODES = 3            # RF 3 / three quorum-queue members
TRANSACTIONS_PER_WEBHOOK = 100
THINK_SECONDS = 30.0     # a user with the app open lists once every this many seconds


@dataclass(frozen=True)
class UnitCosts:
    """Milliseconds of CPU per unit, as `tally bench scale` measured them on one deployment."""

    ingest_ms: float            # gunicorn workers, per accepted webhook
    nginx_ms: float             # nginx, per accepted webhook
    rabbitmq_webhook_ms: float  # RabbitMQ, per accepted (confirmed) webhook
    consumer_ms: float          # consumers, per stored row
    cassandra_row_ms: float     # Cassandra (all replicas), per stored row
    rabbitmq_row_ms: float      # RabbitMQ delivering and taking the acks, per stored row
    api_ms: float               # api workers, per GET /me/transactions
    cassandra_list_ms: float    # Cassandra (all replicas), per GET /me/transactions
    queue_confirms_per_second: float  # one quorum queue's confirmed publishes of 100-transaction messages

    @classmethod
    def of(cls, curves: Mapping[str, Sequence[CurvePoint]]) -> UnitCosts:
        """The costs from the curves of one deployment: each the median over the curve's points
        (every point's own median over its rounds); the queue's rate its best point."""
        def ms(curve: str, group: str) -> float:
            values = [p.ms[group] for p in curves.get(curve, ()) if group in p.ms]
            return round(statistics.median(values), 4) if values else 0.0

        return cls(ingest_ms=ms("ingest", "workers"), nginx_ms=ms("ingest", "nginx"),
                   rabbitmq_webhook_ms=ms("ingest", "rabbitmq"), consumer_ms=ms("consumers", "consumers"),
                   cassandra_row_ms=ms("consumers", "cassandra"), rabbitmq_row_ms=ms("consumers", "rabbitmq"),
                   api_ms=ms("lists", "api"), cassandra_list_ms=ms("lists", "cassandra"),
                   queue_confirms_per_second=max((p.rate for p in curves.get("queue", ())), default=0.0))

    @classmethod
    def from_results(cls, results: Mapping[str, Any], deployment: str = "cluster") -> UnitCosts:
        """The costs of one deployment ("single" or "cluster") of a scale results JSON."""
        costs = results["deployments"][deployment]["unit_costs"]
        return cls(**{name: float(costs[name]) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Demand:
    webhooks_per_second: float
    users: int
    think_seconds: float = THINK_SECONDS

    @property
    def rows_per_second(self) -> float:
        return self.webhooks_per_second * TRANSACTIONS_PER_WEBHOOK

    @property
    def lists_per_second(self) -> float:
        return self.users / self.think_seconds


@dataclass(frozen=True)
class Sizing:
    ingest_cores: float
    consumer_cores: float
    api_cores: float
    cassandra_cores: float
    cassandra_nodes: int
    rabbitmq_cores: float
    rabbitmq_nodes: int
    ingest_queue_shards: int

    def json(self) -> dict[str, float | int]:
        return {k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(self).items()}


def cores(units_per_second: float, ms_per_unit: float, utilisation: float = UTILISATION) -> float:
    """Cores that carry `units_per_second` at `ms_per_unit` each, busy at most `utilisation`."""
    return units_per_second * ms_per_unit / 1000 / utilisation


def nodes(total_cores: float, node_cores: int = NODE_CORES) -> int:
    return max(MIN_NODES, math.ceil(total_cores / node_cores))


def shards(webhooks_per_second: float, queue_rate: float, utilisation: float = QUEUE_UTILISATION) -> int:
    """Ingest queues needed so that none takes more than `utilisation` of what one confirms."""
    if queue_rate <= 0:
        raise ValueError("no measured confirmed-publish rate")
    return max(1, math.ceil(webhooks_per_second / (queue_rate * utilisation)))


def size(costs: UnitCosts, demand: Demand, node_cores: int = NODE_CORES) -> Sizing:
    r, rows, lists = demand.webhooks_per_second, demand.rows_per_second, demand.lists_per_second
    cassandra = cores(rows, costs.cassandra_row_ms) + cores(lists, costs.cassandra_list_ms)
    rabbitmq = cores(r, costs.rabbitmq_webhook_ms) + cores(rows, costs.rabbitmq_row_ms)
    return Sizing(
        ingest_cores=cores(r, costs.ingest_ms + costs.nginx_ms),
        consumer_cores=cores(rows, costs.consumer_ms),
        api_cores=cores(lists, costs.api_ms),
        cassandra_cores=cassandra, cassandra_nodes=nodes(cassandra, node_cores),
        rabbitmq_cores=rabbitmq, rabbitmq_nodes=nodes(rabbitmq, node_cores),
        ingest_queue_shards=shards(r, costs.queue_confirms_per_second))


def predicted_rate(own_ms: float, others_ms: float, instances: int, *, cores_per_instance: float,
                   machine_cores: int) -> float:
    """What the model says `instances` processes reach on this machine: each instance can use
    at most `cores_per_instance` (a consumer is one Python process: one core; a gunicorn
    instance, its workers), and every process measured shares the machine's cores. The lower
    of the two bounds; what waiting costs (a confirm, a reply) is not in it."""
    per_instance = instances * cores_per_instance * 1000 / own_ms if own_ms > 0 else math.inf
    machine = machine_cores * 1000 / (own_ms + others_ms) if own_ms + others_ms > 0 else math.inf
    return min(per_instance, machine)


def check(curve: Mapping[str, Any], own: str, *, cores_per_instance: float, machine_cores: int) -> list[dict[str, Any]]:
    """Predicted against measured for every point of a curve of a scale results JSON: the
    prediction uses the curve's median CPU per unit over all its points (one cost for the
    whole curve), so a point far from it shows where the model misses."""
    points = curve["points"]
    groups = {name for p in points for name in p["ms_per_unit"]}
    ms = {name: statistics.median([p["ms_per_unit"][name] for p in points if name in p["ms_per_unit"]])
          for name in groups}
    own_ms = ms.get(own, 0.0)
    others = sum(v for name, v in ms.items() if name != own)
    out = []
    for p in points:
        predicted = predicted_rate(own_ms, others, p["instances"], cores_per_instance=cores_per_instance,
                                   machine_cores=machine_cores)
        out.append({"instances": p["instances"], "measured": p["rate"], "predicted": round(predicted, 1),
                    "measured_over_predicted": round(p["rate"] / predicted, 2) if predicted else None})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="a `tally bench scale` results JSON")
    parser.add_argument("--webhooks", type=float, required=True, help="peak webhooks/s (100 transactions each)")
    parser.add_argument("--users", type=int, required=True, help="users with the app open at the peak")
    parser.add_argument("--think", type=float, default=THINK_SECONDS, help="seconds between one user's listings")
    parser.add_argument("--deployment", default="cluster", choices=("cluster", "single"))
    parser.add_argument("--node-cores", type=int, default=NODE_CORES)
    args = parser.parse_args(argv)
    costs = UnitCosts.from_results(json.loads(args.results.read_text()), args.deployment)
    demand = Demand(args.webhooks, args.users, args.think)
    print(json.dumps({"demand": {"webhooks_per_second": demand.webhooks_per_second,
                                 "rows_per_second": demand.rows_per_second,
                                 "lists_per_second": round(demand.lists_per_second, 1)},
                      "costs_ms": asdict(costs), "sizing": size(costs, demand, args.node_cores).json()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
