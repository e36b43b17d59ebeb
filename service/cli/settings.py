"""`tally settings`: the effective settings, or the README's table of all of them."""

from __future__ import annotations

import argparse
import dataclasses

from service.settings import FIELDS, Settings, markdown_table

SECRET_FIELDS = ("cassandra_password", "cursor_secret", "device_secret", "demo_partner_secret", "merchant_api_key")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("settings", help="print the effective settings (secrets masked)")
    parser.add_argument("--markdown", action="store_true", help="print the table of every setting")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    if args.markdown:
        print(markdown_table())
        return
    settings = Settings.from_env()
    for name, value in dataclasses.asdict(settings).items():
        shown = "***" if name in SECRET_FIELDS and value else value
        print(f"{FIELDS[name].env}={shown}")
