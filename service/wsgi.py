"""gunicorn entry points: `gunicorn -c python:service.gunicorn_conf 'service.wsgi:ingest()'`
(and `api()`). Settings come from the environment (service.settings); a bad setting stops the
server with one line naming the variable, not a traceback."""

import sys

from flask import Flask

from service.app import create_app
from service.gunicorn_conf import WORKER_BOOT_ERROR, threads
from service.settings import SettingsError


def ingest() -> Flask:
    return _app("ingest")


def api() -> Flask:
    return _app("api")


def _app(instance: str) -> Flask:
    try:
        return create_app(instance=instance, publisher_pool_size=threads)
    except SettingsError as exc:
        print(f"tally {instance}: refusing to start: {exc}", file=sys.stderr, flush=True)
        sys.exit(WORKER_BOOT_ERROR)
