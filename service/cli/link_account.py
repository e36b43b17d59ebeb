"""`tally link-account`: link a bank account to a user, as `POST /me/accounts` does after the
bank confirmed the link code; transactions held for the account are then drained."""

from __future__ import annotations

import argparse
import uuid

from service.cli.errors import CliError

EXAMPLES = """examples:
  tally link-account --email ada@example.com --partner demo-bank --account DE-0001 --card card-1
  tally link-account --user-id 6f1c…-… --partner demo-bank --account DE-0001
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("link-account", help="link a partner's bank account to a user",
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--email")
    who.add_argument("--user-id")
    parser.add_argument("--partner", required=True, help="partner id")
    parser.add_argument("--account", required=True, help="the bank's account number")
    parser.add_argument("--card", action="append", default=[], help="a card id of the account (repeatable)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from service.cli.context import command_runtime
    from service.users.linking import AccountTaken, link_account
    from service.users.registration import normalize_email

    with command_runtime() as rt:
        users = rt.users()
        if args.email:
            user = users.by_email(normalize_email(args.email))
        else:
            try:
                user = users.get(uuid.UUID(args.user_id))
            except ValueError:
                raise CliError(f"--user-id: {args.user_id!r} is not a UUID") from None
        if user is None:
            raise CliError(f"no user {args.email or args.user_id}")
        if rt.partners().get(args.partner) is None:
            raise CliError(f"no partner {args.partner} (see tally partner list)")
        try:
            result = link_account(rt.accounts(), rt.link_outbox(),
                                  rt.publishers, user_id=user.user_id, partner_id=args.partner,
                                  account_number=args.account, card_ids=frozenset(args.card))
        except AccountTaken:
            raise CliError(f"account {args.partner}/{args.account} is linked to another user") from None
    state = "linked" if result.created else "already linked to this user"
    later = ("" if result.unqueued is None
             else "; the broker did not confirm account_linked: the consumers' outbox sweep drains it within a minute")
    print(f"{args.partner}/{args.account}: {state} ({user.email}){later}")
