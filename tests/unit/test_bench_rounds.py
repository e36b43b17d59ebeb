"""The statistics of interleaved rounds (bench/rounds.py) and of comparing runs
(bench/compare.py): pure arithmetic, no timing."""

from __future__ import annotations

from typing import Any

import pytest

from bench import compare
from bench.rounds import Round, Spread, agreement, alternate, ratio_spread, spread_of


def test_a_spread_is_the_median_with_the_lowest_and_the_highest() -> None:
    assert Spread.of([3.0, 1.0, 2.0, 10.0, 2.5]) == Spread(2.5, 1.0, 10.0)
    assert Spread.of([1.0, 2.0]).median == 1.5
    assert Spread.of([0.52, 0.47, 0.55]).text() == "0.52 (0.47–0.55)"
    assert Spread.of([0.021, 0.029]).text(0, 1000) == "25 (21–29)"
    with pytest.raises(ValueError):
        Spread.of([])


def test_the_side_that_goes_first_alternates_from_pair_to_pair() -> None:
    order: list[str] = []

    def side(name: str, value: float) -> Round:
        order.append(name)
        return Round(name, value)

    pairs = alternate(4, lambda: side("a", 2.0), lambda: side("b", 4.0))
    assert order == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert [p.first for p in pairs] == ["a", "b", "a", "b"]
    assert all(p.ratio == 0.5 for p in pairs)


def test_each_pair_gives_one_ratio_and_the_figure_is_their_median() -> None:
    values = iter([100.0, 200.0, 100.0, 90.0, 30.0, 200.0])  # in running order: ratios 0.5, 0.9, 0.15
    pairs = alternate(3, lambda: Round("tally", next(values)), lambda: Round("baseline", next(values)))
    assert [round(p.ratio or 0, 2) for p in pairs] == [0.5, 0.9, 0.15]
    assert ratio_spread(pairs) == Spread(0.5, 0.15, 0.9)
    assert spread_of(pairs, "baseline") == Spread(200.0, 100.0, 200.0)
    assert pairs[1].json()["ratio"] == 0.9 and pairs[1].json()["first"] == "baseline"


def test_a_pair_without_a_figure_leaves_the_ratio_undecided() -> None:
    values = iter([1.0, 2.0, None, 2.0])
    pairs = alternate(2, lambda: Round("a", next(values)), lambda: Round("b", next(values)))
    assert pairs[1].ratio is None and ratio_spread(pairs) is None


def test_runs_agree_by_their_furthest_distance_from_the_median() -> None:
    assert agreement([0.50, 0.52, 0.55]) == pytest.approx(0.03 / 0.52)
    assert agreement([0.34, 0.34, 0.52]) == pytest.approx(0.18 / 0.34)   # the three ingest runs
    assert agreement([2.0, 2.0, 2.0]) == 0.0


def run(value: float, met: bool, commit: str = "abc", started: str = "2026-12-05T10:00:00+00:00") -> dict[str, Any]:
    return {"started_at": started, "versions": {"commit": commit, "uncommitted_changes": False},
            "results": [{"scenario": "ingest", "value": value, "figure": f"{value:.2f}", "target": "ratio ≥ 0.5",
                         "met": met},
                        {"scenario": "memory", "value": 70.0 + value, "figure": "max", "target": "≤ 150 MiB",
                         "met": True}]}


def test_the_comparison_has_a_column_per_run_and_judges_only_ratios() -> None:
    runs = [run(0.52, True), run(0.55, True, started="2026-12-05T10:30:00+00:00"), run(0.50, True)]
    lines = compare.table(runs).splitlines()
    assert lines[0].startswith("| scenario | run 1 (10:00 UTC) | run 2 (10:30 UTC) | run 3 (10:00 UTC) |")
    assert lines[2] == "| ingest | 0.52 | 0.55 | 0.50 | ±6% ✓ | ratio ≥ 0.5 |"
    assert lines[3].startswith("| memory |") and "✓" not in lines[3]
    assert compare.problems(runs) == []


def test_runs_that_disagree_miss_a_target_or_differ_in_commit_are_reported() -> None:
    runs = [run(0.34, False), run(0.34, False), run(0.52, True, commit="def")]
    found = compare.problems(runs)
    assert any(p.startswith("not one committed checkout") for p in found)
    assert any(p.startswith("ingest: the runs do not agree") for p in found)
    assert "ingest: target missed in run(s) [1, 2]" in found
    assert "✗" in compare.table(runs).splitlines()[2]
