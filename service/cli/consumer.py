"""`tally consumer`: one consumer process (run several for more throughput)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "consumer", help="consume tally.ingest, tally.backfill and tally.links into Cassandra",
        description="Runs until SIGTERM. Batching, prefetch, the rows/s cap and the storage-outage "
                    "hold are settings (TALLY_CONSUMER_*). Logs go to TALLY_LOG_DIR/consumer-NAME.log.")
    add_worker_arguments(parser)
    parser.set_defaults(handler=run)


def add_worker_arguments(parser: argparse.ArgumentParser) -> None:
    """What every long-running worker command takes: a name and its internal HTTP port."""
    parser.add_argument("--name", default=str(os.getpid()), help="names the log file and metrics (default: pid)")
    parser.add_argument("--metrics-port", type=int, help="serve /livez, /readyz, /metrics here "
                                                         "(default TALLY_METRICS_PORT; 0 = none)")


def worker_settings(args: argparse.Namespace) -> Settings:
    from service.settings import Settings

    settings = Settings.from_env()
    return settings if args.metrics_port is None else settings.replace(metrics_port=args.metrics_port)


def run(args: argparse.Namespace) -> None:
    from consumers.main import run_transactions

    run_transactions(worker_settings(args), args.name)
