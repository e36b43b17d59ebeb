"""`tally create-user`: the same registration as `POST /users` (service.users.registration)."""

from __future__ import annotations

import argparse
import sys

from service.cli.errors import CliError

EXAMPLES = """examples:
  echo 'a long passphrase' | tally create-user --email ada@example.com --name Ada --password-stdin
  tally create-user --email bob@example.com --name Bob --password 'hunter2hunter2' --time-zone Europe/Berlin
prints the new user's id; exit status 2 with a message if the email is taken or a field is invalid.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("create-user", help="create a user (bcrypt, email claimed once)",
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--email", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--time-zone", default="UTC", help="IANA zone, e.g. Europe/Berlin (default UTC)")
    secret = parser.add_mutually_exclusive_group(required=True)
    secret.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    secret.add_argument("--password", help="the password (visible to `ps`: prefer --password-stdin)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from service.cli.context import command_runtime
    from service.users.registration import EmailTaken, NewUser, RegistrationError, register

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else args.password
    with command_runtime() as rt:
        try:
            user = register(rt.users(), NewUser(args.email, password, args.name, args.time_zone),
                            rt.settings.bcrypt_cost)
        except RegistrationError as exc:
            raise CliError(f"--{exc.field.replace('_', '-')}: {exc.message}") from None
        except EmailTaken:
            raise CliError(f"a user with email {args.email.strip().lower()} exists already") from None
    print(user.user_id)
