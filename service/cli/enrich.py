"""`tally enrich`: the re-enrichment worker on tally.enrich."""

from __future__ import annotations

import argparse

from service.cli.consumer import add_worker_arguments, worker_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "enrich", help="re-enrich transactions the merchant-lookup API did not answer in time",
        description="Consumes tally.enrich until SIGTERM; upgrades category cells to merchant_api "
                    "(never a user's rule or override). Pauses while the merchant API is down.")
    add_worker_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from consumers.main import run_enrich

    run_enrich(worker_settings(args), args.name)
