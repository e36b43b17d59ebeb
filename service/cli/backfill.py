"""`tally backfill`: fetch an account's transactions from the bank's list API into Tally."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from service.cli.errors import CliError
from service.cli.repair_args import add_scope, resolve

if TYPE_CHECKING:
    from service.repair.backfill import AccountProgress

EXAMPLES = """examples:
  tally backfill --partner demo-bank --account DE-0001 --from 2026-11-01 --to 2026-11-27
  tally backfill --partner demo-bank --all-linked --from 2026-11-27 --to 2026-11-27
Interrupted? Run the same command again: it resumes after the last confirmed page
(--restart starts over). Rows/s: TALLY_BACKFILL_MAX_ROWS_PER_SECOND.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("backfill", help="publish a bank's listed transactions to tally.backfill",
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_scope(parser)
    parser.add_argument("--restart", action="store_true", help="ignore the checkpoint and start over")
    parser.add_argument("--page-size", type=int, default=500, help="transactions per page asked of the bank")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from service.banks.client import BankError, BankUnavailable
    from service.broker.publisher import PublishError
    from service.cli.context import command_runtime
    from service.repair.backfill import backfill_account
    from service.repair.publishing import BackfillPublisher

    with command_runtime() as rt:
        partner, accounts = resolve(rt, args)
        client = rt.bank_client()
        publisher = BackfillPublisher(rt.publishers, partner.partner_id, rt.settings.backfill_max_rows_per_second)
        for account in accounts:
            report = _Reporter(partner.partner_id, account)
            try:
                result = backfill_account(partner=partner, account=account, first=args.first, last=args.last,
                                          client=client, publisher=publisher,
                                          checkpoints=rt.checkpoints(), restart=args.restart,
                                          page_size=args.page_size, progress=report)
            except (BankUnavailable, BankError) as exc:
                raise CliError(str(exc)) from None
            except PublishError as exc:
                raise CliError(f"RabbitMQ did not confirm a page of {account}: {exc}; run again to resume") from None
            finally:
                report.close()
            resumed = f", resumed at page {result.resumed_at_page + 1}" if result.resumed_at_page else ""
            print(f"{partner.partner_id}/{account} {args.first}..{args.last}: {result.transactions} transactions "
                  f"in {result.pages} pages{resumed}")
        for refused in publisher.refused:
            print(f"refused {refused.transaction_id}: {refused.reason}", file=sys.stderr)
    return 1 if publisher.refused else 0


class _Reporter:
    """A tqdm bar on a terminal; otherwise a plain line every 5 seconds."""

    def __init__(self, partner_id: str, account: str) -> None:
        self.label = f"{partner_id}/{account}"
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm
            self.bar = tqdm(desc=self.label, unit=" txn", file=sys.stderr)
        self.last_line = time.monotonic()
        self.shown = 0

    def __call__(self, progress: AccountProgress) -> None:
        if self.bar is not None:
            self.bar.update(progress.transactions - self.shown)
            self.shown = progress.transactions
        elif time.monotonic() - self.last_line >= 5 or progress.done:
            print(f"{self.label}: {progress.transactions} transactions, {progress.pages} pages", file=sys.stderr,
                  flush=True)
            self.last_line = time.monotonic()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
