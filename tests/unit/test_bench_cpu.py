"""The benchmark's machine readings (pure arithmetic over /proc/stat counters)."""

from __future__ import annotations

from bench.host import Reading, cpu_times, idle_percent, steal_percent, usage
from bench.run import table
from bench.scenarios import Result


def test_steal_is_the_stolen_share_of_all_ticks_between_two_readings() -> None:
    before = [100, 0, 50, 800, 0, 0, 0, 50]
    after = [160, 0, 70, 900, 0, 0, 0, 70]   # 200 ticks passed, 20 of them stolen
    assert steal_percent(before, after) == 10.0
    assert steal_percent(after, after) == 0.0


def test_idle_counts_waiting_for_io_as_idle() -> None:
    before = [0, 0, 0, 0, 0, 0, 0, 0]
    after = [100, 0, 50, 30, 20, 0, 0, 0]    # 200 ticks, 50 of them idle or waiting for I/O
    assert idle_percent(before, after) == 25.0


def test_usage_gives_cores_and_milliseconds_per_accepted_request_of_each_group() -> None:
    before = Reading(10.0, [0] * 8, {"workers": 1.0, "rabbitmq": 0.5})
    after = Reading(12.0, [100, 0, 0, 100, 0, 0, 0, 0], {"workers": 3.0, "rabbitmq": 0.9})
    used = usage(before, after, accepted=400)
    assert used["workers_cores"] == 1.0 and used["workers_ms_per_request"] == 5.0
    assert used["rabbitmq_ms_per_request"] == 1.0 and used["machine_idle_percent"] == 50.0
    assert "workers_ms_per_request" not in usage(before, after, accepted=0)


def test_this_machine_has_eight_counters_that_only_grow() -> None:
    first, second = cpu_times(), cpu_times()
    assert len(first) == 8
    assert all(b >= a for a, b in zip(first, second, strict=True))


def test_the_table_shows_the_steal_and_probe_of_each_result_or_a_dash() -> None:
    measured = Result("read", "r", 1.0, "1.00", "≤ 1.3", True,
                      {"cpu_steal_percent_during_phase": 12.5, "cpu_probe_ms_at_phase_start": 31.0})
    unmeasured = Result("memory", "m", None, "—", "—", None)
    lines = table([measured, unmeasured]).splitlines()
    assert lines[2].endswith("| 12.5 % | 31.0 ms |") and lines[3].endswith("| — | — |")
