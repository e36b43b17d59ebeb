"""The merchant-lookup simulator's HTTP API (documented in docs/third-parties.md).

    GET  /healthz                    200 {"status": "ok"} (never affected by faults)
    GET  /v1/merchants/search        X-Api-Key; ?name=&mcc=&city=&country=
                                     200 {"merchant": {"id", "name", "category", "website"?}}
                                     404 {"error": "not_found"} · 401 · 400 · 500/503 (injected)
    GET  /admin/faults, POST /admin/faults {"error_rate"?, "slow_rate"?, "slow_ms"?, "outage"?,
                                     "latency_ms"?}
    GET  /admin/stats, POST /admin/stats/reset
"""

from __future__ import annotations

import hmac
import re
import time
from dataclasses import asdict
from typing import Any

from flask import Flask, Response, jsonify, request

from simulators.catalog import Merchant, merchants
from simulators.merchant.faults import FaultModel
from simulators.merchant.matcher import Matcher
from simulators.web import InputError, install_error_handlers, json_body, json_error, number, shares

MAX_NAME = 256


def create_app(api_key: str, faults: FaultModel) -> Flask:
    """The Flask app; `faults` holds the runtime fault settings and the counters."""
    app = Flask("merchant-sim")
    install_error_handlers(app)
    matcher = Matcher(m for m in merchants() if m.known_to_api)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @app.get("/v1/merchants/search")
    def search() -> Response:
        decision = faults.decide()
        if decision.outage:
            faults.count("outage")
            return json_error(503, "outage", "the merchant-lookup service is unavailable")
        if decision.delay_s > 0:
            time.sleep(decision.delay_s)
        outcome, response = _answer(api_key, matcher, decision.fail_status)
        faults.count(outcome, slow=decision.slow)
        return response

    @app.get("/admin/faults")
    def get_faults() -> Response:
        return jsonify(asdict(faults.faults))

    @app.post("/admin/faults")
    def set_faults() -> Response:
        changes = _fault_changes(json_body())
        return jsonify(asdict(faults.update(**changes)))

    @app.get("/admin/stats")
    def stats() -> Response:
        return jsonify(faults.stats())

    @app.post("/admin/stats/reset")
    def reset_stats() -> Response:
        faults.reset_stats()
        return jsonify(faults.stats())

    return app


def _answer(api_key: str, matcher: Matcher, fail_status: int | None) -> tuple[str, Response]:
    """(outcome for the stats, response) of one search that got past latency and outages."""
    given = request.headers.get("X-Api-Key", "")
    if not given or not hmac.compare_digest(given.encode(), api_key.encode()):
        return "unauthorized", json_error(401, "unauthorized", "a valid X-Api-Key header is required")
    try:
        name = _query_params()
    except InputError as exc:
        return "bad_request", json_error(400, exc.code, exc.message)
    if fail_status is not None:
        return "error", json_error(fail_status, "internal_error" if fail_status == 500 else "unavailable",
                                   "injected failure")
    merchant = matcher.match(name)
    if merchant is None:
        return "not_found", json_error(404, "not_found", f"no merchant matches {name!r}")
    return "found", jsonify(merchant=_merchant_json(merchant))


def _query_params() -> str:
    name = request.args.get("name", "").strip()
    if not name:
        raise InputError("name is required")
    if len(name) > MAX_NAME:
        raise InputError(f"name is longer than {MAX_NAME} characters")
    mcc = request.args.get("mcc")
    if mcc and not re.fullmatch(r"\d{4}", mcc):
        raise InputError(f"mcc must be 4 digits, got {mcc!r}")
    country = request.args.get("country")
    if country and not re.fullmatch(r"[A-Za-z]{2}", country):
        raise InputError(f"country must be an ISO 3166 alpha-2 code, got {country!r}")
    return name


def _merchant_json(merchant: Merchant) -> dict[str, Any]:
    body: dict[str, Any] = {"id": merchant.merchant_id, "name": merchant.name,
                            "category": merchant.api_category}
    if merchant.website:
        body["website"] = merchant.website
    return body


def _fault_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes = shares(body, {"error_rate", "slow_rate", "slow_ms", "outage", "latency_ms"}, ("error_rate", "slow_rate"))
    for name in ("slow_ms", "latency_ms"):
        if name in body:
            changes[name] = float(number(body, name, 0, 600_000))
    if "outage" in body:
        if not isinstance(body["outage"], bool):
            raise InputError(f"outage must be true or false, got {body['outage']!r}")
        changes["outage"] = body["outage"]
    return changes
