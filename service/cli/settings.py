"""`tally settings`: the effective settings (secrets masked), or the README's table of all of them."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("settings", help="print the effective settings (secrets masked)")
    parser.add_argument("--markdown", action="store_true", help="print the table of every setting")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from service.settings import FIELDS, Settings, markdown_table, mask

    if args.markdown:
        print(markdown_table())
        return
    settings = Settings.from_env()
    for name, field in FIELDS.items():
        print(f"{field.env}={mask(settings, name)}")
