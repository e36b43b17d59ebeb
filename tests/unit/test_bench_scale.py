"""The pure parts of `tally bench scale`: CPU per unit from /proc readings, the median point of
rounds, where a curve bends and why, the interleaving, and the tables it reads and writes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from bench.curves import CurvePoint, bend, ceiling, explain, gains, per_unit, without_background
from bench.deployments import with_upstreams
from bench.host import Reading
from bench.rounds import Pair, Round
from bench.scale import bends, checks, cluster_ratios, order, points, results, row_bytes, speedups, table, table_stats

ROOT = Path(__file__).resolve().parents[2]


def point(instances: int, rate: float, idle: float = 0.0, **ms: float) -> CurvePoint:
    return CurvePoint(instances, rate, idle, {name: 0.5 for name in ms}, dict(ms))


def test_cpu_per_unit_is_each_groups_cpu_seconds_over_the_units_in_milliseconds() -> None:
    before = Reading(100.0, [0] * 8, {"consumers": 10.0, "cassandra": 50.0})
    after = Reading(104.0, [300, 0, 100, 200, 0, 0, 0, 200], {"consumers": 12.0, "cassandra": 53.0})
    cpu = per_unit(before, after, units=4000)   # 4 s, 4,000 rows
    assert cpu["consumers_ms"] == 0.5 and cpu["cassandra_ms"] == 0.75
    assert cpu["consumers_cores"] == 0.5 and cpu["cassandra_cores"] == 0.75
    assert cpu["machine_idle_percent"] == 25.0 and cpu["steal_percent"] == 25.0
    assert "consumers_ms" not in per_unit(before, after, units=0)


def test_a_process_gone_before_the_second_reading_counts_no_cpu_rather_than_negative() -> None:
    before = Reading(0.0, [0] * 8, {"publishers": 3.0})
    after = Reading(1.0, [1] * 8, {"publishers": 0.0})
    assert per_unit(before, after, 100)["publishers_ms"] == 0.0


def test_a_point_is_the_median_of_its_rounds_rate_idle_and_each_groups_cost() -> None:
    rounds = [(900.0, {"machine_idle_percent": 5.0, "consumers_ms": 0.6, "consumers_cores": 0.5}),
              (1000.0, {"machine_idle_percent": 1.0, "consumers_ms": 0.5, "consumers_cores": 0.6}),
              (400.0, {"machine_idle_percent": 30.0, "consumers_ms": 0.9, "consumers_cores": 0.4})]
    made = CurvePoint.of(2, rounds)
    assert (made.rate, made.idle_percent, made.ms, made.cores, made.rounds) == (
        900.0, 5.0, {"consumers": 0.6}, {"consumers": 0.5}, 3)
    with pytest.raises(ValueError, match="no rounds"):
        CurvePoint.of(2, [])


def test_gains_are_each_steps_added_rate_per_instance_relative_to_the_first_instance() -> None:
    curve = [point(1, 500), point(2, 1000), point(3, 1100), point(4, 1050)]
    assert gains(curve) == pytest.approx([1.0, 0.2, -0.1])


def test_the_curve_bends_after_the_last_point_before_a_step_that_adds_less_than_half() -> None:
    assert bend([point(1, 500), point(2, 1000), point(3, 1100), point(4, 1050)]) == 2
    assert bend([point(1, 500), point(2, 600)]) == 1
    assert bend([point(1, 500), point(2, 900), point(4, 1700)]) is None  # 0.8 and 0.8: no bend
    assert bend([point(1, 500)]) is None


def test_ceiling_is_what_the_cores_carry_at_the_summed_cost_per_unit() -> None:
    assert ceiling({"consumers": 0.6, "cassandra": 0.9, "rabbitmq": 0.5}, cores=2) == pytest.approx(1000.0)
    assert ceiling({}, cores=2) is None
    assert ceiling({"rabbitmq": 1.0, "leader": 0.4}, cores=2) == 2000.0  # the leader node is one of the brokers


def test_the_explanation_names_the_step_the_bound_and_the_cpu_ceiling() -> None:
    curve = [point(1, 600, idle=40, consumers=0.7, cassandra=0.8),
             point(2, 1150, idle=3, consumers=0.8, cassandra=0.9),
             point(3, 1180, idle=1, consumers=0.8, cassandra=0.9)]
    text = explain(curve, "row", machine_cores=2)
    assert text.startswith("bends at 2: 2→3 adds 5% of one instance's rate")
    assert "no idle CPU left" in text and "at most 1176 rows/s on 2 cores, measured 1180" in text
    waiting = explain([point(1, 300, idle=60, workers=5.0), point(2, 320, idle=55, workers=5.0)], "webhook", 2)
    assert "not CPU" in waiting
    assert explain([point(1, 300), point(2, 600)], "row", 2).startswith("no bend up to 2")


def test_rounds_go_up_then_down_so_drift_favours_no_level() -> None:
    assert order(3, (1, 2, 4)) == [(0, 1), (0, 2), (0, 4), (1, 4), (1, 2), (1, 1), (2, 1), (2, 2), (2, 4)]


def _pair(index: int, rep: int, level: int, cluster: float, single: float) -> Pair:
    cpu = {"machine_idle_percent": 0.0, "consumers_ms": 1.0}
    return Pair(index, Round("cluster", cluster, {"rep": rep, "instances": level, "cpu": cpu}),
                Round("single", single, {"rep": rep, "instances": level, "cpu": cpu}), "cluster")


def test_speedups_are_per_repetition_ratios_and_cluster_ratios_per_pair() -> None:
    pairs = [_pair(0, 0, 1, 300, 600), _pair(1, 0, 2, 500, 1100), _pair(2, 1, 2, 560, 1000),
             _pair(3, 1, 1, 320, 500)]
    single = speedups(pairs, "single")
    assert single[1].median == 1.0
    assert (single[2].low, single[2].high) == pytest.approx((1100 / 600, 2.0))
    assert cluster_ratios(pairs)[2].median == pytest.approx((500 / 1100 + 560 / 1000) / 2)
    assert [p.rate for p in points(pairs, "cluster")] == [310.0, 530.0]


TABLESTATS = """
Total number of tables: 12
----------------
Keyspace : tally_scale
\t\tTable: transactions_by_user_day
\t\tSSTable count: 1
\t\tSpace used (live): 10485760
\t\tNumber of partitions (estimate): 100
\t\tCompacted partition minimum bytes: 61215
\t\tCompacted partition maximum bytes: 152321
\t\tCompacted partition mean bytes: 126934
"""


def test_table_stats_and_bytes_per_row() -> None:
    stats = table_stats(TABLESTATS)
    assert stats == {"partitions": 100, "live_bytes": 10485760, "partition_mean_bytes": 126934,
                     "partition_max_bytes": 152321}
    assert row_bytes(stats, rows=50_000) == {"serialized": pytest.approx(253.9, abs=0.1), "on_disk": 209.7}
    assert row_bytes(stats, rows=0) == {}


def test_more_ingest_instances_are_more_server_lines_of_the_deployed_upstream() -> None:
    template = (ROOT / "deploy" / "nginx" / "tally.conf").read_text()
    conf = template.replace("@INGEST_ADDR@", "127.0.0.1:8001")
    two = with_upstreams(conf, "tally_ingest", [8001, 8003])
    assert "    server 127.0.0.1:8001 max_fails=3 fail_timeout=10s;\n    server 127.0.0.1:8003 max_fails=3 " \
           "fail_timeout=10s;\n" in two
    assert two.count("server 127.0.0.1:") == 2 and "keepalive 32;" in two
    assert with_upstreams(conf, "tally_ingest", [8001]) == conf
    with pytest.raises(ValueError, match="no upstream"):
        with_upstreams(conf, "tally_nothing", [1])


def _round(side: str, rep: int, level: int, value: float, **ms: float) -> Round:
    cpu = {"machine_idle_percent": 2.0, **{f"{k}_ms": v for k, v in ms.items()},
           **{f"{k}_cores": 0.5 for k in ms}}
    return Round(side, value, {"rep": rep, "instances": level, "cpu": cpu})


def test_the_report_holds_each_curve_its_bend_and_the_models_check_and_prints_as_a_table() -> None:
    def curve(levels: list[int], rate: Callable[[str, int], float], **ms: float) -> list[Pair]:
        return [Pair(i, _round("cluster", 0, n, rate("cluster", n), **ms),
                     _round("single", 0, n, rate("single", n), **ms), "cluster") for i, n in enumerate(levels)]

    measured = {
        "consumers": curve([1, 2, 3], lambda side, n: {1: 600, 2: 1000, 3: 1050}[n] / (2 if side == "cluster" else 1),
                           consumers=0.8, cassandra=1.0, rabbitmq=0.05),
        "lists": curve([20], lambda side, n: 30.0, api=9.0, cassandra=2.0),
        "ingest": curve([1, 2], lambda side, n: 300.0 + n, workers=5.0, nginx=0.4, rabbitmq=1.0, generator=0.3),
        "queue": curve([8, 32], lambda side, n: 600.0 + n, rabbitmq=1.2, leader=0.8, publishers=0.5)}
    report = results(measured, machine_cores=2)
    single = report["deployments"]["single"]
    assert single["curves"]["consumers"]["why"].startswith("bends at 2: 2→3 adds 8%")
    assert single["curves"]["ingest"]["why"].startswith("bends at 1")
    assert [c["predicted"] for c in single["curves"]["consumers"]["model_check"]] == [1081.1] * 3
    assert single["unit_costs"]["consumer_ms"] == 0.8 and single["unit_costs"]["queue_confirms_per_second"] == 632.0
    assert report["cluster_over_single"]["consumers"]["2"]["median"] == 0.5
    text = table(report)
    assert "| consumer rows/s | 2 consumers | 1000 (×1.67) | consumers 0.80 · Cassandra 1.00 · RabbitMQ 0.05; " \
           "idle 2 % | 500 (×1.67) |" in text
    assert "| GET /me/transactions, p99 ms | 20 req/s offered | 30 |" in text
    assert bends(report).count("\n") == 5 and "1: 600 vs 1081" in checks(report)


def test_what_a_group_burns_while_idle_is_taken_off_its_cost_per_unit() -> None:
    cpu = {"seconds": 5.0, "cassandra_ms": 10.0, "cassandra_cores": 0.2, "api_ms": 8.0}
    net = without_background(cpu, {"cassandra": 0.1, "api": 2.0}, units=100)
    # 0.1 core × 5 s = 0.5 s of 1.0 s; the api's idle share exceeds its use: never below 0
    assert net["cassandra_ms"] == 5.0 and net["api_ms"] == 0.0 and net["cassandra_background_cores"] == 0.1
    assert without_background(cpu, {"cassandra": 0.1}, units=0)["cassandra_ms"] == 10.0
