"""gunicorn entry points: `gunicorn -c python:service.gunicorn_conf 'service.wsgi:ingest()'`
(and `api()`). Settings come from the environment (service.settings)."""

from flask import Flask

from service.app import create_app
from service.gunicorn_conf import threads


def ingest() -> Flask:
    return create_app(instance="ingest", publisher_pool_size=threads)


def api() -> Flask:
    return create_app(instance="api", publisher_pool_size=threads)
