"""The API for the mobile and web apps (docs/api.md), served by the `api` instance.

Views are thin: they parse (service.api.parsing), call one function of service.auth,
service.users or service.history, and map its outcome to a status. Routes under /me
authenticate first (service.api.bearer), so nothing else is read for a bad token.
"""

from __future__ import annotations

from flask import Flask

from service.bootstrap import runtime


def register_api(app: Flask) -> None:
    """Registers every blueprint of the api instance."""
    from service.api import auth, budgets, catalog, me, rules, transactions, web

    for module in (auth, me, transactions, rules, budgets, catalog, web):
        app.register_blueprint(module.blueprint)
    auth.prepare(runtime(app))
