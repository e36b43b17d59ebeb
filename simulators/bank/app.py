"""The bank simulator's Flask app: the partner API (/api/v1) and simulation control (/sim)."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from simulators.bank.bank import Bank
from simulators.bank.partner_api import partner_blueprint
from simulators.bank.sim_api import sim_blueprint
from simulators.web import install_error_handlers


def create_app(bank: Bank) -> Flask:
    app = Flask("bank-sim")
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the wire field order readable
    install_error_handlers(app)
    app.register_blueprint(partner_blueprint(bank))
    app.register_blueprint(sim_blueprint(bank))

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok", partner_id=bank.partner_id)

    return app
