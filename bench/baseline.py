"""The ingest benchmark's baseline: the same app (middleware, request ids, JSON errors, request
logs) under the same gunicorn settings, but the webhook view only reads the body and answers
202 — no signature check, no validation, no publish. `gunicorn 'bench.baseline:ingest()'`."""

from __future__ import annotations

from flask import Flask, g, jsonify, request
from flask.typing import ResponseReturnValue

from service.app import create_app


def ingest() -> Flask:
    app = create_app(instance="ingest")

    def read_body_only() -> ResponseReturnValue:
        request.get_data(cache=False)
        return jsonify({"accepted": 100, "request_id": g.request_id}), 202

    app.view_functions["webhooks.receive_transactions"] = read_body_only
    return app
