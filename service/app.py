"""The Flask app factory. Both gunicorn instances serve this package, each registering only
its own blueprints (docs/design.md, "Processes"): `ingest` takes webhooks, `api` serves the apps."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response
from werkzeug.middleware.proxy_fix import ProxyFix

from service import logs
from service.api import openapi
from service.bootstrap import Runtime
from service.http import context, errors, headers, health
from service.settings import Settings

INSTANCES = ("ingest", "api", "all")
API_BODY_LIMIT = 64 * 1024  # JSON bodies of the app API are small


class TallyFlask(Flask):
    def make_default_options_response(self) -> Response:
        """OPTIONS: 204 with `Allow` and deliberately no body (Flask's default is a 200 with an
        empty text/html body); there is nothing JSON could describe that Allow does not."""
        response = super().make_default_options_response()
        response.status_code = 204
        return response


def create_app(settings: Settings | None = None, instance: str = "all", configure_logging: bool = True,
               publisher_pool_size: int = 8) -> Flask:
    """Builds the app for one instance type; opens no connection (see service.bootstrap)."""
    if instance not in INSTANCES:
        raise ValueError(f"instance must be one of {INSTANCES}, not {instance!r}")
    settings = settings or Settings.from_env()
    if configure_logging:
        logs.configure(settings, instance)
    app = TallyFlask("tally", static_folder=None)  # no /static/… route: nothing is served from disk
    # "/me//rules" would be a 308 redirect with an HTML body; an API client never means it.
    app.url_map.merge_slashes = False
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes if instance != "api" else API_BODY_LIMIT
    app.json.sort_keys = False
    app.extensions["tally"] = Runtime(settings, publisher_pool_size, warm=WARM[instance])
    if settings.trusted_proxy_hops:
        n = settings.trusted_proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    errors.register(app)
    context.register(app, instance)
    headers.register(app)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(openapi.blueprint)  # one document of both instances, served by each
    if instance in ("ingest", "all"):
        from service.webhooks.views import blueprint as webhooks
        app.register_blueprint(webhooks)
    if instance in ("api", "all"):
        from service.api import register_api
        register_api(app)
    return app


# What each instance prepares right after gunicorn forks (post_worker_init), not on a first request.
_INGEST: tuple[Callable[[Runtime], object], ...] = (Runtime.partners,)
_API: tuple[Callable[[Runtime], object], ...] = (
    Runtime.users, Runtime.sessions, Runtime.attempts, Runtime.accounts, Runtime.partners, Runtime.history,
    Runtime.overrides, Runtime.rules, Runtime.link_outbox, Runtime.budgets, Runtime.changes)
WARM = {"ingest": _INGEST, "api": _API, "all": _INGEST + _API}
