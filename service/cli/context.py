"""What operator commands share: settings, logging to stderr, a Runtime, and Cassandra or
broker connection failures reported as one line (CliError), never as a traceback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from service import logs
from service.bootstrap import Runtime
from service.cli.errors import CliError
from service.settings import Settings


@contextlib.contextmanager
def command_runtime() -> Iterator[Runtime]:
    settings = Settings.from_env()
    logs.configure_cli()
    rt = Runtime(settings, publisher_pool_size=2)
    try:
        try:
            rt.warm()
        except Exception as exc:  # noqa: BLE001 - NoHostAvailable and friends, as one line
            raise CliError(f"cannot reach Cassandra at {settings.cassandra_hosts}: {exc}") from exc
        yield rt
    finally:
        rt.close()
