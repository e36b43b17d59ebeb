"""The README's table of several bench runs of one commit, from their JSON files:

    python -m bench.compare bench/results/A.json bench/results/B.json bench/results/C.json

One row per scenario, each run's figure in its own column, then how far the runs agree: the
furthest run's distance from the runs' median, as a share of it. Every ratio must agree within
±15 %; the exit status is 1 when one does not, when a target is missed at a run's median, or
when the runs are not of one commit (or were made with uncommitted changes).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.rounds import agreement

RATIOS = ("ingest", "write", "read-scaling", "write-scaling", "login-under-burst", "login-under-burst-pinned")
AGREEMENT = 0.15


def table(runs: list[dict[str, Any]]) -> str:
    names = [f"run {i + 1} ({run['started_at'][11:16]} UTC)" for i, run in enumerate(runs)]
    rows = [["scenario", *names, "runs agree", "target"], ["---"] * (len(runs) + 3)]
    for scenario in _scenarios(runs):
        results = [_result(run, scenario) for run in runs]
        figures = [f"{r['figure']}{'' if r['met'] is not False else ' ✗'}" if r else "—" for r in results]
        target = next((r["target"] for r in results if r), "")
        rows.append([scenario, *figures, _agreement_text(scenario, results), target])
    return "\n".join(f"| {' | '.join(row)} |" for row in rows)


def problems(runs: list[dict[str, Any]]) -> list[str]:
    """Why these runs do not settle the figures: ratios that disagree, targets missed, commits."""
    found = []
    commits = {(run["versions"].get("commit"), run["versions"].get("uncommitted_changes")) for run in runs}
    if len(commits) != 1 or any(dirty for _, dirty in commits):
        found.append(f"not one committed checkout: {sorted(map(str, commits))}")
    for scenario in _scenarios(runs):
        results = [_result(run, scenario) for run in runs]
        values = [r["value"] for r in results if r and r["value"] is not None]
        if scenario in RATIOS and (len(values) != len(runs) or agreement(values) > AGREEMENT):
            found.append(f"{scenario}: the runs do not agree within ±{AGREEMENT:.0%} ({values})")
        missed = [i + 1 for i, r in enumerate(results) if r and r["met"] is False]
        if missed:
            found.append(f"{scenario}: target missed in run(s) {missed}")
    return found


def _scenarios(runs: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for run in runs:
        seen.update((r["scenario"], None) for r in run["results"])
    return list(seen)


def _result(run: dict[str, Any], scenario: str) -> dict[str, Any] | None:
    return next((r for r in run["results"] if r["scenario"] == scenario), None)


def _agreement_text(scenario: str, results: list[dict[str, Any] | None]) -> str:
    values = [r["value"] for r in results if r and r["value"] is not None]
    if len(values) < 2 or len(values) != len(results):
        return "—"
    share = agreement(values)
    verdict = "" if scenario not in RATIOS else (" ✓" if share <= AGREEMENT else " ✗")
    return f"±{share:.0%}{verdict}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="bench/results/<time>.json of each run")
    args = parser.parse_args(argv)
    runs = [json.loads(path.read_text()) for path in args.runs]
    print(table(runs))
    found = problems(runs)
    for problem in found:
        print(f"- {problem}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
