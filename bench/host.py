"""The machine the benchmark shares: how busy it is (/proc/stat), how fast (a CPU probe), how much
CPU our processes and the broker use per request, and where our processes may run (affinity).

Every round of every scenario carries a Reading taken at its start and end, so a figure comes
with the steal, the idle share and the CPU per request of its own seconds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from devtools.procfs import cpu_seconds, descendants, threads


def cpu_times() -> list[int]:
    """The machine's CPU time so far, in clock ticks: user nice system idle iowait irq softirq steal."""
    return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def steal_percent(before: list[int], after: list[int]) -> float:
    """Share of the machine's CPU time the hypervisor gave to others between two readings: on
    these shared machines a phase with much steal measured a slower machine."""
    total = sum(after) - sum(before)
    return round(100 * (after[7] - before[7]) / total, 1) if total > 0 else 0.0


def idle_percent(before: list[int], after: list[int]) -> float:
    """Share of the machine's CPU time nobody used (idle and waiting for I/O): near 0, whatever
    ran then was bound by CPU; well above it, by waiting."""
    total = sum(after) - sum(before)
    idle = (after[3] + after[4]) - (before[3] + before[4])
    return round(100 * idle / total, 1) if total > 0 else 0.0


@dataclass(frozen=True)
class Reading:
    """The machine's ticks and the CPU seconds of named groups of processes, at one moment."""

    wall: float
    machine: list[int]
    groups: dict[str, float]


def read(groups: Mapping[str, Sequence[int]]) -> Reading:
    return Reading(time.perf_counter(), cpu_times(), {name: cpu_seconds(list(pids)) for name, pids in groups.items()})


def usage(before: Reading, after: Reading, accepted: int) -> dict[str, float]:
    """Between two readings: the machine's idle and stolen shares, and for each group the cores
    it used and its milliseconds of CPU per accepted request."""
    seconds = after.wall - before.wall
    out = {"seconds": round(seconds, 2), "machine_idle_percent": idle_percent(before.machine, after.machine),
           "steal_percent": steal_percent(before.machine, after.machine)}
    for name, then in before.groups.items():
        used = after.groups[name] - then
        out[f"{name}_cores"] = round(used / seconds, 2) if seconds > 0 else 0.0
        if accepted:
            out[f"{name}_ms_per_request"] = round(1000 * used / accepted, 3)
    return out


def pin(pids: Iterable[int], cpus: set[int], *, children: bool = True) -> int:
    """Lets every thread of these processes, and of their descendants unless `children` is
    False, run only on `cpus` (what `taskset -a -p` does); threads and processes they start
    later inherit it. Returns how many threads were pinned."""
    count = 0
    for pid in pids:
        for process in descendants(pid) if children else [pid]:
            for tid in threads(process):
                try:
                    os.sched_setaffinity(tid, cpus)
                    count += 1
                except (ProcessLookupError, PermissionError):
                    pass  # a thread that ended meanwhile
    return count


def all_cpus() -> set[int]:
    return set(range(os.cpu_count() or 1))


def affinity(pid: int) -> str:
    """Where a process may run, as the kernel says ("0-1", "1"), or "gone"."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Cpus_allowed_list:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "gone"


CPU_PROBE = """
import time
best = float("inf")
for _ in range(REPEATS):
    started = time.perf_counter()
    sum(i * i for i in range(1_000_000))
    best = min(best, time.perf_counter() - started)
print(best)
"""


def cpu_probe_ms(repeats: int = 5) -> float:
    """The best of `repeats` timings of one fixed pure-Python workload (about 60 ms on a quiet
    machine), in a fresh interpreter so that no thread of the harness holds its GIL: how fast
    this shared machine is right now. Two phases of one run compare fairly only if it is close."""
    out = subprocess.run([sys.executable, "-c", CPU_PROBE.replace("REPEATS", str(repeats))],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    return round(float(out) * 1000, 1)


def peak_rss_mib(pid: int) -> float | None:
    """VmHWM: the peak resident set size of a live process since it started."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def machine() -> dict[str, object]:
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {"cores": os.cpu_count(), "memory_gib": round(int(mem) / 1024 / 1024, 1),
            "load_average_at_start": os.getloadavg()}
