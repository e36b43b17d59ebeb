"""What Linux's /proc says about a process: its state and counters, its children, its threads.
Shared by the fault campaign (chaos/) and the benchmarks (bench/); a process that has gone
reads as empty, never as an error."""

from __future__ import annotations

import os
from pathlib import Path

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: state, ppid, …, utime (11), stime (12), start
    time (19); [] once the process has gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    """The process and every process below it (a gunicorn master and its workers)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children(current))
    return found


def threads(pid: int) -> list[int]:
    try:
        return [int(tid) for tid in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        return []


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (all their threads; not their
    children's, which are counted where they are listed themselves)."""
    ticks = 0
    for pid in pids:
        fields = stat_fields(pid)
        if len(fields) > 12:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / TICKS_PER_SECOND
