"""`tally partner add | rotate-secret | retire-secret | disable | enable | set-api | list`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from service.cli.errors import CliError

if TYPE_CHECKING:
    from service.repositories.partners import Partner, PartnerRepository

EXAMPLES = """examples:
  tally partner add acme-bank --name "ACME Bank" --api-url https://api.acme.example --api-token T
  tally partner rotate-secret acme-bank          # prints the new secret; the old one still works
  tally partner retire-secret acme-bank --all-but-newest
  tally partner disable acme-bank                # its webhooks get 401 (within TALLY_PARTNER_CACHE_SECONDS)
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("partner", help="manage partner banks and their signing secrets",
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a partner with a new (or given) signing secret")
    add.add_argument("partner_id")
    add.add_argument("--name", help="display name (default: the id)")
    add.add_argument("--api-url", help="base URL of the bank's API (link codes, transaction lists)")
    add.add_argument("--api-token", help="credential Tally presents to that API")
    add.add_argument("--secret", help="a whsec_… key to use instead of a generated one")
    add.add_argument("--if-missing", action="store_true", help="succeed without change if it exists")
    rotate = actions.add_parser("rotate-secret", help="add a new secret; existing ones stay active")
    rotate.add_argument("partner_id")
    retire = actions.add_parser("retire-secret", help="stop accepting a secret")
    retire.add_argument("partner_id")
    which = retire.add_mutually_exclusive_group(required=True)
    which.add_argument("--secret-id", help="the id shown by `tally partner list`")
    which.add_argument("--all-but-newest", action="store_true")
    for action in ("disable", "enable"):
        actions.add_parser(action, help=f"{action} a partner's webhooks").add_argument("partner_id")
    set_api = actions.add_parser("set-api", help="change the bank API's URL and credential")
    set_api.add_argument("partner_id")
    set_api.add_argument("--api-url", required=True)
    set_api.add_argument("--api-token", required=True)
    actions.add_parser("list", help="partners, their state and secret ids (never the secrets)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from service.cli.context import command_runtime

    with command_runtime() as rt:
        partners = rt.partners()
        if args.action == "list":
            _list(partners)
        elif args.action == "add":
            _add(partners, args, rt.settings.production)
        else:
            partner = partners.get(args.partner_id)
            if partner is None:
                raise CliError(f"no partner {args.partner_id}")
            ACTIONS[args.action](partners, partner, args)
    return 0


def _list(partners: PartnerRepository) -> None:
    for p in partners.list():
        ids = ", ".join(f"{s.secret_id} ({s.created_at:%Y-%m-%d %H:%M})" for s in p.secrets)
        print(f"{p.partner_id}\t{'enabled' if p.enabled else 'disabled'}\t{p.display_name}\t"
              f"api={p.api_base_url or '-'}\tsecrets: {ids or 'none'}")


def _add(partners: PartnerRepository, args: argparse.Namespace, production: bool) -> None:
    from service.repositories.partners import new_secret
    from service.settings import DEMO_PARTNER_SECRET

    secret = args.secret or new_secret()
    if production and secret == DEMO_PARTNER_SECRET:
        raise CliError("production refuses the demo partner's published secret")
    if not secret.startswith("whsec_"):
        raise CliError("--secret must be a Standard Webhooks key starting with whsec_")
    if partners.add(args.partner_id, args.name or args.partner_id, args.api_url, args.api_token, secret):
        print(f"partner_id: {args.partner_id}\nsecret: {secret}")
    elif args.if_missing:
        print(f"partner {args.partner_id} exists; unchanged")
    else:
        raise CliError(f"partner {args.partner_id} already exists")


def _rotate(partners: PartnerRepository, partner: Partner, args: argparse.Namespace) -> None:
    from service.repositories.partners import new_secret

    created = partners.add_secret(partner.partner_id, new_secret())
    print(f"new secret {created.secret_id}: {created.secret}\n"
          f"the {len(partner.secrets)} older secret(s) stay active until retire-secret")


def _retire(partners: PartnerRepository, partner: Partner, args: argparse.Namespace) -> None:
    ids = [s.secret_id for s in partner.secrets]
    if args.all_but_newest:
        doomed = ids[1:]
    elif args.secret_id in ids:
        doomed = [args.secret_id]
    else:
        raise CliError(f"partner {partner.partner_id} has no secret {args.secret_id}")
    if doomed and len(doomed) >= len(ids):
        raise CliError("refusing to retire the last active secret (rotate first)")
    for secret_id in doomed:
        partners.retire_secret(partner, secret_id)
    print(f"retired {', '.join(doomed) or 'nothing'}")


def _set_enabled(partners: PartnerRepository, partner: Partner, args: argparse.Namespace) -> None:
    partners.set_enabled(partner.partner_id, args.action == "enable")
    print(f"partner {partner.partner_id} {args.action}d")


def _set_api(partners: PartnerRepository, partner: Partner, args: argparse.Namespace) -> None:
    partners.set_api(partner.partner_id, args.api_url, args.api_token)
    print(f"partner {partner.partner_id}: api {args.api_url}")


ACTIONS = {"rotate-secret": _rotate, "retire-secret": _retire, "disable": _set_enabled,
           "enable": _set_enabled, "set-api": _set_api}
