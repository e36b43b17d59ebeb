"""`tally enrich`: the re-enrichment worker on tally.enrich."""

from __future__ import annotations

import argparse
import os


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "enrich", help="re-enrich transactions the merchant-lookup API did not answer in time",
        description="Consumes tally.enrich until SIGTERM; upgrades category cells to merchant_api "
                    "(never a user's rule or override). Pauses while the merchant API is down.")
    parser.add_argument("--name", default=str(os.getpid()), help="names the log file (default: pid)")
    parser.add_argument("--metrics-port", type=int, help="serve /livez, /readyz, /metrics here")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from consumers.main import run_enrich
    from service.settings import Settings

    settings = Settings.from_env()
    if args.metrics_port is not None:
        settings = settings.replace(metrics_port=args.metrics_port)
    run_enrich(settings, args.name)
