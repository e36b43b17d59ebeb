"""Simulation control (no authentication: local tooling and tests only).

    POST /sim/link-codes {"account_number", "card_ids"?}      201 one-time code, valid 10 minutes
    GET/POST /sim/config {"error_rate"?, "forget_rate"?, "webhook_url"?, ...}
    GET /sim/stats · POST /sim/stats/reset
    GET /sim/accounts · GET /sim/accounts/<a>/transactions
    POST /sim/accounts/<a>/generate {"count", "from"?, "to"?, "deliver"?: false, "rate"?, "batch_size"?}
    POST /sim/send {"accounts", "count", "rate", "batch_size"?, "settle_after"?, "days_back"?,
                    "max_attempts"?, "max_retry_seconds"?, "concurrency"?}  202 {"job_id"}
    GET /sim/jobs · GET /sim/jobs/<id>
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, jsonify

from simulators.bank import inputs
from simulators.bank.bank import Bank
from simulators.bank.ledger import link_expiry_iso
from simulators.web import InputError, json_body, json_error, number, share, shares

MAX_SEND = 10_000_000
MAX_GENERATE = 1_000_000
CONFIG_FIELDS = {"error_rate", "forget_rate", "webhook_url", "max_attempts", "max_retry_seconds",
                 "backoff_initial", "backoff_max", "request_timeout", "concurrency"}


def sim_blueprint(bank: Bank) -> Blueprint:
    sim = Blueprint("sim", __name__, url_prefix="/sim")

    @sim.post("/link-codes")
    def issue_link_code() -> tuple[Response, int]:
        body = json_body()
        number = inputs.account_number(body.get("account_number"))
        cards = inputs.card_ids(body.get("card_ids"))
        if cards is None:
            cards = bank.open_accounts([number])[number]
        else:
            bank.ledger.open_account(number, cards)
        link = bank.ledger.issue_link_code(number, cards)
        bank.control.count("link_codes_issued")
        return jsonify(link_code=link.code, account_number=number, card_ids=cards,
                       expires_at=link_expiry_iso(link)), 201

    @sim.get("/config")
    def get_config() -> Response:
        return jsonify(bank.control.config_json())

    @sim.post("/config")
    def set_config() -> Response:
        bank.control.update(**_config_changes(json_body()))
        return jsonify(bank.control.config_json())

    @sim.get("/stats")
    def stats() -> Response:
        return jsonify(bank.control.stats() | {"ledger_transactions": len(bank.ledger)})

    @sim.post("/stats/reset")
    def reset_stats() -> Response:
        bank.control.reset()
        return jsonify(bank.control.stats())

    @sim.get("/accounts")
    def accounts() -> Response:
        return jsonify(accounts=bank.ledger.accounts_summary())

    @sim.get("/accounts/<account>/transactions")
    def account_transactions(account: str) -> Response:
        inputs.account_number(account)
        found = bank.ledger.account(account)
        if found is None:
            return json_error(404, "unknown_account", f"the bank has no account {account}")
        return jsonify(account_number=account, card_ids=found.cards, transactions=bank.ledger.all(account))

    @sim.post("/accounts/<account>/generate")
    def generate(account: str) -> tuple[Response, int]:
        return _generate(bank, inputs.account_number(account), json_body())

    @sim.post("/send")
    def send() -> tuple[Response, int]:
        body = json_body()
        accounts = inputs.account_numbers(body.get("accounts"))
        count = inputs.integer(body.get("count"), "count", 1, MAX_SEND)
        days_back = number(body, "days_back", 0, 400, 0)
        params = _job_params(body)
        batches = bank.live_batches(accounts, count, days_back)
        return _start(bank, params, {"accounts": accounts, "count": count}, batches)

    @sim.get("/jobs")
    def jobs() -> Response:
        return jsonify(jobs=[{k: v for k, v in job.report().items() if not k.startswith("transaction_ids")}
                             for job in bank.jobs()])

    @sim.get("/jobs/<job_id>")
    def job(job_id: str) -> Response:
        found = bank.job(job_id)
        if found is None:
            return json_error(404, "unknown_job", f"no job {job_id}")
        return jsonify(found.report())

    return sim


def _generate(bank: Bank, account: str, body: dict[str, Any]) -> tuple[Response, int]:
    count = inputs.integer(body.get("count"), "count", 1, MAX_GENERATE)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    first = inputs.date(body.get("from"), "from") or today - timedelta(days=90)
    last = inputs.date(body.get("to"), "to") or today
    if first > last:
        raise InputError("from must not be after to")
    deliver = body.get("deliver", False)
    if not isinstance(deliver, bool):
        raise InputError(f"deliver must be true or false, got {deliver!r}")
    params = _job_params(body) if deliver else {}
    # Generated history never lies in the future: the last day stops at the current time.
    end = min(last + timedelta(days=1) - timedelta(seconds=1), datetime.now(UTC))
    made = bank.generate(account, count, first, max(first, end))
    summary = {"account_number": account, "generated": len(made)}
    if not deliver:
        return jsonify(summary), 201
    response, status = _start(bank, params, {"accounts": [account], "count": count},
                              bank.fixed_batches(made))
    return jsonify(summary | response.get_json()), status


def _job_params(body: dict[str, Any]) -> dict[str, Any]:
    """A send job's pacing and retry parameters from a request body (validated)."""
    def optional_int(name: str, high: int) -> int | None:
        return inputs.integer(body[name], name, 1, high) if name in body else None

    return {
        "rate": float(number(body, "rate", 0.001, 100_000, 50)),
        "batch_size": inputs.integer(body.get("batch_size"), "batch_size", 1, 100, 100),
        "settle_after": share(body, "settle_after", 0.0) or 0.0,
        "overrides": {"max_attempts": optional_int("max_attempts", 100),
                      "max_retry_seconds": number(body, "max_retry_seconds", 0, 3600),
                      "concurrency": optional_int("concurrency", 256)},
    }


def _start(bank: Bank, params: dict[str, Any], description: dict[str, Any],
           batches: Any) -> tuple[Response, int]:
    shown = {k: v for k, v in params.items() if k != "overrides"}
    job = bank.start_job(description | shown, batches, rate=params["rate"], batch_size=params["batch_size"],
                         settle_after=params["settle_after"], overrides=params["overrides"])
    response = jsonify(job_id=job.id, state="running")
    response.headers["Location"] = f"/sim/jobs/{job.id}"
    return response, 202


def _config_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes = shares(body, CONFIG_FIELDS, ("error_rate", "forget_rate"))
    if "webhook_url" in body:
        changes["webhook_url"] = inputs.http_url(body["webhook_url"], "webhook_url")
    for name, high in (("max_retry_seconds", 3600), ("backoff_initial", 60), ("backoff_max", 600),
                       ("request_timeout", 300)):
        if name in body:
            changes[name] = float(number(body, name, 0, high))
    for name, high in (("max_attempts", 100), ("concurrency", 256)):
        if name in body:
            changes[name] = inputs.integer(body[name], name, 1, high)
    return changes
