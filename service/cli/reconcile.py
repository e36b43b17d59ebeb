"""`tally reconcile`: compare the bank's list with Tally; --repair backfills what is missing."""

from __future__ import annotations

import argparse
import json

from service.cli.errors import CliError
from service.cli.repair_args import add_scope, resolve

EXAMPLES = """examples:
  tally reconcile --partner demo-bank --account DE-0001 --from 2026-11-01 --to 2026-11-27
  tally reconcile --partner demo-bank --all-linked --from 2026-11-27 --to 2026-11-27 --repair --json
exit status: 0 no gaps, 1 gaps found (also when --repair queued them), 2 error
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("reconcile", help="find missing, extra and differing transactions",
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_scope(parser)
    parser.add_argument("--repair", action="store_true",
                        help="publish the bank's version of missing and differing transactions to tally.backfill")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from service.banks.client import BankError, BankUnavailable
    from service.broker.publisher import PublishError
    from service.cli.context import command_runtime
    from service.repair.publishing import BackfillPublisher
    from service.repair.reconcile import reconcile_account

    reports = []
    with command_runtime() as rt:
        partner, accounts = resolve(rt, args)
        client = rt.bank_client()
        view = rt.tally_view()
        publisher = BackfillPublisher(rt.publishers, partner.partner_id, rt.settings.backfill_max_rows_per_second)
        for account in accounts:
            try:
                report, bank = reconcile_account(partner=partner, account=account, first=args.first, last=args.last,
                                                 client=client, view=view, held=rt.held())
                if args.repair:
                    wanted = set(report.missing) | {d.transaction_id for d in report.differing}
                    report.repaired = publisher.publish([bank[t] for t in sorted(wanted)])
            except (BankUnavailable, BankError) as exc:
                raise CliError(str(exc)) from None
            except PublishError as exc:
                raise CliError(f"RabbitMQ did not confirm the repair of {account}: {exc}") from None
            reports.append(report)
    if args.json:
        print(json.dumps({"partner_id": args.partner, "from": args.first.isoformat(), "to": args.last.isoformat(),
                          "accounts": [r.as_dict() for r in reports]}, indent=2))
    else:
        for r in reports:
            print(f"{args.partner}/{r.account_number} {args.first}..{args.last}: bank {r.bank}, tally {r.tally}: "
                  f"{len(r.missing)} missing, {len(r.extra)} extra, {len(r.differing)} differing"
                  + (f", {r.repaired} queued for repair" if args.repair else ""))
            for tid in r.missing:
                print(f"  missing    {tid}")
            for tid in r.extra:
                print(f"  extra      {tid}")
            for d in r.differing:
                print(f"  differing  {d.transaction_id} {d.field}: bank {d.bank}, tally {d.tally}")
    return 1 if any(r.gaps for r in reports) else 0
