"""What one quorum queue takes: confirmed publishes per second into `tally.ingest` of real
100-transaction webhook bodies, by several publishers at once, each waiting for every
confirm as ingest does (service/broker/publisher.py, persistent and mandatory). The
consumers are stopped meanwhile and the queue is purged after each round.

Publishers run in processes of their own (`python -m bench.confirms`: threads with one
ConfirmingPublisher each), connect first, and all start publishing at one agreed time, so the
round's CPU readings of the brokers (all nodes, and the node leading the queue) cover exactly
the seconds they publish.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import host
from bench.curves import per_unit
from bench.data import reaped
from bench.measure import purge_ingest
from bench.stack import Stack
from devtools.processes import settings_env
from service.broker.connection import ensure_connected
from service.broker.publisher import ConfirmingPublisher
from service.broker.topology import INGEST
from service.settings import Settings

PROCESSES = 4          # publisher processes (each with publishers / PROCESSES threads)
STARTUP_SECONDS = 4.0  # an interpreter, its imports and a connection per thread, before the agreed start


def publish_for(settings: Settings, body: bytes, partner_id: str, start_at: float, seconds: float) -> tuple[int, int]:
    """One publisher: connects, waits for `start_at`, then publishes and waits for each confirm
    until `seconds` have passed. Returns (confirmed, failed)."""
    publisher = ConfirmingPublisher(settings)
    ensure_connected(publisher.connection, timeout=10)
    confirmed = failed = 0
    time.sleep(max(0.0, start_at - time.time()))
    while time.time() < start_at + seconds:
        request_id = uuid.uuid4().hex
        headers = {"partner_id": partner_id, "webhook-id": f"wh-{request_id}",
                   "received_at": datetime.now(UTC).isoformat(timespec="microseconds"), "request_id": request_id}
        try:
            publisher.publish(body, INGEST, message_id=request_id, headers=headers)
            confirmed += 1
        except Exception:  # noqa: BLE001 - counted; a publisher that failed is replaced whole, as ingest does
            failed += 1
            publisher.close()
            publisher = ConfirmingPublisher(settings)
    publisher.close()
    return confirmed, failed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--body", type=Path, required=True)
    parser.add_argument("--partner", required=True)
    parser.add_argument("--start-at", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    args = parser.parse_args()
    settings, body = Settings.from_env(), args.body.read_bytes()
    results: list[tuple[int, int]] = []

    def run() -> None:
        results.append(publish_for(settings, body, args.partner, args.start_at, args.seconds))

    threads = [threading.Thread(target=run) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"confirmed": sum(c for c, _ in results), "failed": sum(f for _, f in results)}))


def confirm_round(stack: Stack, body: Path, groups: dict[str, list[int]], publishers: int,
                  seconds: float) -> tuple[float, dict[str, Any]]:
    """`publishers` concurrent publishers for `seconds`: confirmed messages/s, and the CPU per
    confirmed message of each group of processes (and of the publishers themselves)."""
    processes = min(PROCESSES, publishers)
    threads = math.ceil(publishers / processes)
    start_at = time.time() + STARTUP_SECONDS
    argv = [sys.executable, "-m", "bench.confirms", "--threads", str(threads), "--body", str(body), "--partner",
            stack.partner_id, "--start-at", str(start_at), "--seconds", str(seconds)]
    env = settings_env(stack.settings)
    with reaped([subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(processes)]) as runs:
        watched = {**groups, "publishers": [run.pid for run in runs]}
        time.sleep(max(0.0, start_at - time.time()))
        before = host.read(watched)
        time.sleep(max(0.0, start_at + seconds - time.time()))
        after = host.read(watched)  # before the publishers exit: a process gone reads as no CPU
        outs = []
        for run in runs:
            out, err = run.communicate(timeout=120)
            if run.returncode != 0:
                raise RuntimeError(f"a publisher process failed: {err.strip()[-1500:]}")
            outs.append(json.loads(out.strip().splitlines()[-1]))
    purge_ingest(stack)
    time.sleep(1.0)  # the broker releases the purged messages before the next round
    confirmed, failed = sum(o["confirmed"] for o in outs), sum(o["failed"] for o in outs)
    cpu = per_unit(before, after, confirmed)
    return confirmed / seconds, {"instances": publishers, "processes": processes, "threads": threads,
                                 "confirmed": confirmed, "failed": failed, "body_bytes": body.stat().st_size,
                                 "cpu": cpu}


if __name__ == "__main__":
    main()
