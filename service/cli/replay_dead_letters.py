"""`tally replay-dead-letters`: move messages from tally.dead back to their queue."""

from __future__ import annotations

import argparse

from service.cli.errors import CliError

EXAMPLES = """examples:
  tally replay-dead-letters --dry-run                 # counts per reason, moves nothing
  tally replay-dead-letters --reason partner_disabled # after `tally partner enable …`
  tally replay-dead-letters --limit 100
reasons: decode_error, partner_disabled, processing_error (Tally's), delivery_limit (the broker's)
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("replay-dead-letters", help="move dead letters back to their queue",
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reason", help="only messages dead-lettered for this reason")
    parser.add_argument("--dry-run", action="store_true", help="count per reason; move nothing")
    parser.add_argument("--limit", type=int, help="move at most this many")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from service import logs
    from service.broker.dead_letters import replay
    from service.settings import Settings

    if args.limit is not None and args.limit < 1:
        raise CliError("--limit must be at least 1")
    logs.configure_cli()
    try:
        report = replay(Settings.from_env(), reason=args.reason, dry_run=args.dry_run, limit=args.limit)
    except OSError as exc:
        raise CliError(f"RabbitMQ: {exc}") from exc
    verb = "would replay" if args.dry_run else "replayed"
    counts = report.skipped if args.dry_run else report.replayed
    for reason, count in sorted(counts.items()):
        print(f"{verb} {count} ({reason})")
    if not args.dry_run:
        for reason, count in sorted(report.skipped.items()):
            print(f"left {count} ({reason})")
    if report.unknown_queue:
        print(f"{report.unknown_queue} message(s) name no known queue and stay in tally.dead")
    print(f"total {verb}: {sum(counts.values())}")
