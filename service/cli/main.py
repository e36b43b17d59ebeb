"""`tally <command>`: the operator commands. Each module of service.cli named in COMMANDS
provides `register(subparsers)`, which adds its parser and sets `handler` to a function
`handler(args) -> int | None`. Heavy imports happen inside handlers, so `tally --help` is fast."""

from __future__ import annotations

import argparse
import importlib
import sys

from service.cli.errors import CliError
from service.settings import SettingsError

COMMANDS = (
    "migrate", "partner", "create_user", "link_account", "consumer", "enrich", "backfill",
    "reconcile", "replay_dead_letters", "eval_classifier", "bench", "chaos", "settings",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tally", description="Tally's operator commands.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"service.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"service.cli.{name}":
                continue  # not built yet
            raise
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (CliError, SettingsError) as exc:
        print(f"tally {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tally {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        unreachable = unreachable_service(exc)
        if unreachable is None:
            raise
        print(f"tally {args.command}: {unreachable}", file=sys.stderr)
        return 3


def unreachable_service(exc: BaseException) -> str | None:
    """Cassandra or RabbitMQ not answering, wherever a command met it: one line saying what to
    start, instead of the driver's traceback. Matched by name: importing either client here would
    slow every `tally --help`."""
    kind = f"{type(exc).__module__}.{type(exc).__name__}"
    if kind == "cassandra.cluster.NoHostAvailable":
        return (f"cannot reach Cassandra: {exc}. Start the local node with scripts/cassandra start "
                "(or scripts/dev up), or point CASSANDRA_HOSTS at a cluster.")
    if kind == "kombu.exceptions.OperationalError":
        return (f"cannot reach RabbitMQ: {exc}. Start it with scripts/rabbitmq start (or scripts/dev up), "
                "or point AMQP_URL at a broker.")
    return None


if __name__ == "__main__":
    sys.exit(main())
