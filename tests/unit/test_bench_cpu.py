"""The benchmark's CPU-steal reading (pure arithmetic over /proc/stat counters)."""

from __future__ import annotations

from bench.run import table
from bench.scenarios import Result
from bench.stack import cpu_times, steal_percent


def test_steal_is_the_stolen_share_of_all_ticks_between_two_readings() -> None:
    before = [100, 0, 50, 800, 0, 0, 0, 50]
    after = [160, 0, 70, 900, 0, 0, 0, 70]   # 200 ticks passed, 20 of them stolen
    assert steal_percent(before, after) == 10.0
    assert steal_percent(after, after) == 0.0


def test_this_machine_has_eight_counters_that_only_grow() -> None:
    first, second = cpu_times(), cpu_times()
    assert len(first) == 8
    assert all(b >= a for a, b in zip(first, second, strict=True))


def test_the_table_shows_the_steal_of_each_result_or_a_dash() -> None:
    measured = Result("read", "r", 1.0, 1.0, "1.00", "≤ 1.3", True, {"cpu_steal_percent_during_phase": 12.5})
    unmeasured = Result("memory", "m", None, None, "—", "—", None)
    lines = table([measured, unmeasured]).splitlines()
    assert lines[2].endswith("| 12.5 % |") and lines[3].endswith("| — |")
