"""`tally migrate`: the Cassandra schema (docs/design.md, "Data model"), then the RabbitMQ
topology (docs/design.md, "Processes")."""

from __future__ import annotations

import argparse

from service.cli.errors import CliError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "migrate", help="create the keyspace and tables, then the RabbitMQ topology and policies",
        description="Applies the pending numbered .cql files of TALLY_SCHEMA_DIR (each once, under "
                    "a lock), then declares exchange `tally`, the five quorum queues and their "
                    "policies on the vhost of AMQP_URL. Safe to run again.")
    parser.add_argument("--cassandra-only", action="store_true", help="skip RabbitMQ")
    parser.add_argument("--rabbitmq-only", action="store_true", help="skip Cassandra")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from service.broker.management import ManagementError
    from service.broker.setup import setup_broker
    from service.settings import Settings
    from service.storage.migrations import MigrationError, migrate
    from service.storage.session import connect, shutdown

    settings = Settings.from_env()
    if not args.rabbitmq_only:
        session = None
        try:
            session = connect(settings, slow_query_log=False)  # DDL is slow by nature
            report = migrate(settings, session, say=print)
        except MigrationError as exc:
            raise CliError(str(exc)) from exc
        except Exception as exc:  # noqa: BLE001 - driver errors (NoHostAvailable…) as one line
            raise CliError(f"Cassandra at {settings.cassandra_hosts}: {type(exc).__name__}: {exc}") from exc
        finally:
            shutdown(session)
        for name in report.changed:
            print(f"warning: {name} changed after it was applied; write a new numbered file instead")
        print(f"keyspace {report.keyspace}: {len(report.applied)} applied, {len(report.already)} already applied")
    if not args.cassandra_only:
        try:
            setup_broker(settings)
        except ManagementError as exc:
            raise CliError(str(exc)) from exc
        except OSError as exc:
            raise CliError(f"RabbitMQ at {settings.amqp_url.split('@')[-1]}: {exc}") from exc
