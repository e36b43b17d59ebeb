"""Profiles of the hot paths, rerunnable: `python -m bench.profile ingest|read|consume [--seconds N]`.

Starts the bench stack, drives the path with its usual load, samples the serving processes
with py-spy (only threads holding the GIL: CPU, not waiting) and prints the heaviest frames,
inclusive and self. Summaries of earlier runs, and what was changed because of them, are in
bench/profiles/*.md.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench.data import create_users
from bench.measure import publish_direct
from bench.stack import Stack, bench_stack
from bench.traffic import WebhookSpec, in_process

SKIP = ("threading.py", "concurrent/futures", "gunicorn/", "<module>")


def summarise(folded: list[Path], top: int = 25) -> str:
    """py-spy's collapsed stacks → the heaviest frames, inclusive and self, in percent."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for path in folded:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = stack.split(";")
            total += int(count)
            own[frames[-1]] += int(count)
            for frame in set(frames):
                inclusive[frame] += int(count)
    lines = [f"{total} samples", "", "inclusive:"]
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(200)
              if not any(s in f for s in SKIP)][:top]
    lines += ["", "self:"] + [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return "\n".join(lines)


def record(pids: list[int], seconds: float, out: Path) -> list[Path]:
    files = [out / f"{pid}.folded" for pid in pids]
    py_spy = str(Path(sys.executable).parent / "py-spy")
    runs = [subprocess.Popen([py_spy, "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "200", "--gil",
                              "--nonblocking", "-f", "raw", "-o", str(path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for pid, path in zip(pids, files, strict=True)]
    for run in runs:
        run.wait()
    return [f for f in files if f.exists()]


def drive(stack: Stack, path: str, seconds: float) -> tuple[list[int], threading.Thread]:
    users = create_users(stack.runtime, stack.partner_id, 20, "profile")
    spec = WebhookSpec.of(stack.partner_id, stack.secret, users)
    if path == "ingest":
        load = threading.Thread(target=in_process, args=("webhooks", spec, stack.url("ingest")),
                                kwargs={"mode": "closed", "rate": 16, "seconds": seconds + 4})
        return stack.pids("ingest"), load
    if path == "read":
        from bench.data import bulk_load
        from bench.phases import tokens
        bulk_load(stack.settings, stack.partner_id, users, 20_000, days=30)
        load = threading.Thread(target=in_process, args=("reads", tokens(stack, users), stack.url("api")),
                                kwargs={"rate": 20, "seconds": seconds + 4})
        return stack.pids("api"), load
    consumers = stack.start_consumers(2)
    load = threading.Thread(target=publish_direct, args=(stack, users, 60_000))
    return [c.process.pid for c in consumers], load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", choices=("ingest", "read", "consume"))
    parser.add_argument("--seconds", type=float, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, bench_stack(Path(scratch), print) as stack:
        pids, load = drive(stack, args.path, args.seconds)
        load.start()
        folded = record(pids, args.seconds, Path(scratch))
        load.join()
        print(summarise(folded))


if __name__ == "__main__":
    main()
