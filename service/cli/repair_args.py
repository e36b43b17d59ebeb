"""Arguments shared by `tally backfill` and `tally reconcile`, and their resolution."""

from __future__ import annotations

import argparse
from datetime import date

from service.bootstrap import Runtime
from service.cli.errors import CliError
from service.repositories.partners import Partner


def add_scope(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--partner", required=True, help="partner id")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--account", action="append", help="an account number (repeatable)")
    which.add_argument("--all-linked", action="store_true",
                       help="every account of the partner that a user has linked (scans accounts_by_partner)")
    parser.add_argument("--from", dest="first", required=True, type=_day, help="first UTC day, YYYY-MM-DD")
    parser.add_argument("--to", dest="last", required=True, type=_day, help="last UTC day (inclusive)")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def resolve(rt: Runtime, args: argparse.Namespace) -> tuple[Partner, list[str]]:
    if args.last < args.first:
        raise CliError(f"--to {args.last} is before --from {args.first}")
    partner = rt.partners().get(args.partner)
    if partner is None:
        raise CliError(f"no partner {args.partner} (see tally partner list)")
    if not partner.api_base_url:
        raise CliError(f"partner {args.partner} has no API URL (tally partner set-api)")
    accounts = args.account or rt.accounts().linked_accounts_of(partner.partner_id)
    return partner, sorted(set(accounts))
