"""The OpenAPI 3.1 document of both gunicorn instances, served by each as GET /openapi.json.

Each path item carries `x-instance`: the instances that serve it (["api"], ["ingest"], or
both for the health probes and the document itself). tests/e2e/test_api_contract.py checks
that this document and the running apps agree: every Flask route is documented, every
documented route answers; tests/fuzz/ sends each instance generated requests from its own copy.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from pydantic import BaseModel

from service import contract
from service.api import answers
from service.api.auth import Login, SignUp
from service.api.budgets import BudgetRequest
from service.api.me import EraseRequest, LinkRequest
from service.api.transactions import Recategorise
from service.api.web import FILES
from service.classification.categories import CATEGORIES
from service.history import export, sync
from service.history.budgets import AMOUNT, THRESHOLDS
from service.history.feed import DEFAULT_DAYS, DEFAULT_LIMIT, MAX_DAYS, MAX_LIMIT, STATUSES
from service.http.errors import Error
from service.http.health import Health
from service.users.registration import EMAIL, MAX_PASSWORD_BYTES, MIN_PASSWORD_BYTES

JSON = "application/json"
STRING = {"type": "string"}
# What registration and login take for an email (service/users/registration.py), after trimming
# and lower-casing; login answers 422 for anything else, before any lookup.
EMAIL_RULE = {"maxLength": 254, "pattern": EMAIL.pattern, "description": "an email address"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema is not None:
        answer["content"] = {JSON: {"schema": schema}}
    if headers:
        answer["headers"] = {name: {"description": text, "schema": {"type": "string"}}
                             for name, text in headers.items()}
    return answer


def _file(description: str, media_types: list[str], **headers: str) -> dict[str, Any]:
    """An answer that is not JSON (a CSV, the web app's files)."""
    answer = _answer(description, None, **headers)
    answer["content"] = {media: {"schema": {"type": "string"}} for media in media_types}
    return answer


def _error(description: str, **headers: str) -> dict[str, Any]:
    return _answer(description, _ref("Error"), **headers)


RETRY_AFTER = {"Retry-After": "seconds"}


def _op(summary: str, responses: dict[int, dict[str, Any]], *, auth: bool = False, body: str | None = None,
        parameters: list[dict[str, Any]] | None = None, stored: bool = False) -> dict[str, Any]:
    """One operation. `auth`: bearer token (and so a Cassandra read); `body`: its JSON schema;
    `stored`: it reads Cassandra, so it can answer 503 while Cassandra is unavailable."""
    operation: dict[str, Any] = {"summary": summary, "responses": {str(k): v for k, v in responses.items()}}
    answers = operation["responses"]
    if auth:
        operation["security"] = [{"bearer": []}]
        answers["401"] = _error("missing, invalid, expired or logged-out token")
    if body:
        operation["requestBody"] = {"required": True, "content": {JSON: {"schema": _ref(body)}}}
        answers.setdefault("400", _error("malformed JSON"))
        answers.setdefault("413", _error("body too large (the api: 64 KiB)"))
        answers.setdefault("415", _error("body not declared `Content-Type: application/json`"))
        answers.setdefault("422", _error("well-formed but invalid; `details` names each field"))
    if auth or stored:
        answers.setdefault("503", _error("Cassandra is unavailable; retry after Retry-After", **RETRY_AFTER))
    if parameters:
        operation["parameters"] = parameters
    return operation


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": STRING}


def _header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": True, "schema": STRING, "description": description}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _paths() -> dict[str, dict[str, Any]]:
    account = [_path_param("partner_id"), _path_param("account_number")]
    transaction = [_path_param("partner_id"), _path_param("transaction_id")]
    return {
        "/hook/transaction": {"x-instance": ["ingest"], "post": _op(
            "A partner bank's signed batch of 1..100 transactions (Standard Webhooks)",
            {202: _answer("queued (confirmed by RabbitMQ)", _ref("Accepted")),
             401: _error("unknown partner, bad or stale signature"), 413: _error("body over 1 MiB"),
             415: _error("not JSON"), 503: _error("not confirmed by the broker in time, or the partner cannot be "
                                                  "verified (Cassandra unavailable); resending is safe",
                                                  **RETRY_AFTER)}, body="WebhookBody", parameters=[
                _header("x-partner-id", "the partner's id in Tally"),
                _header("webhook-id", "the message's id; the same on every retry of it"),
                _header("webhook-timestamp", "Unix seconds, at most 5 minutes from now"),
                _header("webhook-signature", "`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, space-separated "
                                             "when signed with several secrets")])},
        "/livez": {"x-instance": ["ingest", "api"], "get": _op(
            "The process answers", {200: _answer("alive", _ref("Health"))})},
        "/readyz": {"x-instance": ["ingest", "api"], "get": _op(
            "Cassandra answers (cached a few seconds)", {200: _answer("ready", _ref("Health")),
                                                         503: _error("not ready", **RETRY_AFTER)})},
        "/users": {"x-instance": ["api"], "post": _op(
            "Sign up", {201: _answer("created", _ref("SignedUp")),
                        409: _error("email taken"),
                        429: _error("too many sign-ups from this client address", **RETRY_AFTER)},
            body="SignUp", stored=True)},
        "/auth/login": {"x-instance": ["api"], "post": _op(
            "Log in: a bearer token, and a device token for this device's next logins", {
                200: _answer("logged in", _ref("LoginSession")),
                401: _error("wrong email or password (one answer for both)"),
                422: _error("invalid body, or an email that cannot be an address"),
                429: _error("too many failed logins", **RETRY_AFTER)},
            body="Login", stored=True)},
        "/auth/logout": {"x-instance": ["api"], "post": _op("End this token's session", {
            204: _answer("logged out")}, auth=True)},
        "/me": {"x-instance": ["api"], "get": _op("Profile, activity and linked accounts", {
            200: _answer("the profile", _ref("Profile"))}, auth=True), "delete": _op(
            "Erase the user and everything Tally keeps of them (the password re-entered); the email is free "
            "again, and the bank's later transactions for their accounts are held for the next owner", {
                204: _answer("erased"), 403: _error("wrong password (`wrong_password`)"),
                429: _error("too many wrong passwords", **RETRY_AFTER)}, auth=True, body="Erase")},
        "/me/accounts": {"x-instance": ["api"], "post": _op(
            "Link a bank account with the bank's one-time link code", {
                201: _answer("linked", _ref("LinkedAccount")), 200: _answer("already yours", _ref("LinkedAccount")),
                409: _error("linked to another user"), 502: _error("the bank's answer was unusable"),
                503: _error("the bank did not answer (`bank_unavailable`), or Cassandra or the broker is "
                            "unavailable", **RETRY_AFTER)}, auth=True, body="Link")},
        "/me/accounts/{partner_id}/{account_number}": {"x-instance": ["api"], "delete": _op(
            "Unlink an account; with forget=true its transactions are deleted from the user's history too "
            "(the sync feed lists them as removed)", {204: _answer("unlinked"), 400: _error("bad forget"),
                                                      404: _error("not your account")}, auth=True,
            parameters=[*account, _query("forget", {"type": "string", "enum": ["true", "false"]},
                                         "also delete the account's transactions (default false)")])},
        "/me/transactions": {"x-instance": ["api"], "get": _op(
            "Transactions, newest first; at most 31 day partitions per request, so a page may be short "
            "and still have a next_cursor", {200: _answer("a page", _ref("TransactionPage")),
                                             400: _error("bad parameter or cursor")}, auth=True, parameters=[
                _query("days", {"type": "integer", "minimum": 1, "maximum": MAX_DAYS, "default": DEFAULT_DAYS},
                       "local calendar days, today included"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                       "rows per page"),
                _query("card_id", {"type": "string", "pattern": "^[A-Za-z0-9-]{0,32}$"},
                       "only this card (empty: every card)"),
                _query("status", {"type": "string", "enum": list(STATUSES)}, "only this status"),
                _query("cursor", STRING, "next_cursor of the previous page (same days and filters)")])},
        "/me/transactions/{partner_id}/{transaction_id}": {"x-instance": ["api"], "patch": _op(
            "Recategorise one transaction; creates or updates the rule for its merchant", {
                200: _answer("the row as listed", _ref("ListedTransaction")), 404: _error("not your transaction")},
            auth=True, body="Recategorise", parameters=transaction)},
        "/me/rules": {"x-instance": ["api"], "get": _op("Merchant rules", {200: _answer("the rules", _ref("Rules"))},
                                                        auth=True)},
        "/me/rules/{merchant_key}": {"x-instance": ["api"], "delete": _op(
            "Delete a merchant rule", {204: _answer("deleted"), 404: _error("no such rule")}, auth=True,
            parameters=[_path_param("merchant_key")])},
        "/me/summary": {"x-instance": ["api"], "get": _op(
            "Spend and income per currency and category in a month of the user's zone", {
                200: _answer("the summary", _ref("MonthSummary")), 400: _error("bad month")}, auth=True,
            parameters=[_query("month", {"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$"},
                               "YYYY-MM from 1970-01 to 9998-12; default: the current month")])},
        **_user_feature_paths(),
        "/categories": {"x-instance": ["api"], "get": _op("The category taxonomy", {
            200: _answer("categories", _ref("Categories"))})},
        "/openapi.json": {"x-instance": ["ingest", "api"], "get": _op("This document", {200: _answer(
            "OpenAPI 3.1", {"type": "object", "required": ["openapi", "paths"]})})},
    }


def _user_feature_paths() -> dict[str, dict[str, Any]]:
    """Budgets, alerts, the sync feed, the export and the web app."""
    month = _query("month", {"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$"},
                   "YYYY-MM from 1970-01 to 9998-12; default: the current month")
    category = {"name": "category", "in": "path", "required": True, "schema": STRING,
                "description": "a category slug (GET /categories), not `income`"}
    return {
        "/me/budgets": {"x-instance": ["api"], "get": _op("Monthly budgets", {200: _answer("the budgets",
                                                                                         _ref("Budgets"))}, auth=True)},
        "/me/budgets/{category}": {"x-instance": ["api"], "put": _op(
            "Set the monthly budget of a category (in one currency)", {
                200: _answer("the budget", _ref("Budget")),
                422: _error("invalid amount or currency, unknown category (`unknown_category`), or income")},
            auth=True, body="BudgetRequest", parameters=[category]), "delete": _op(
            "Remove a budget", {204: _answer("removed"), 404: _error("no budget for this category")}, auth=True,
            parameters=[category])},
        "/me/alerts": {"x-instance": ["api"], "get": _op(
            f"The month's budgets whose spend crossed {' % or '.join(map(str, THRESHOLDS))} % (the highest "
            "crossed), and when", {200: _answer("the alerts", _ref("Alerts")), 400: _error("bad month")}, auth=True,
            parameters=[month])},
        "/me/transactions/sync": {"x-instance": ["api"], "get": _op(
            "Changes since the cursor (none: the whole history first), each transaction once per page in its "
            "current form; apply added and modified as upserts by (partner_id, transaction_id)", {
                200: _answer("a page of changes", _ref("SyncPage")),
                400: _error("bad count, or a cursor that does not verify (`invalid_cursor`) or is older than 31 "
                            "days (`cursor_expired`: start again without one)")}, auth=True, parameters=[
                _query("cursor", STRING, "next_cursor of the previous call; none: from the start"),
                _query("count", {"type": "integer", "minimum": 1, "maximum": sync.MAX_COUNT,
                                 "default": sync.DEFAULT_COUNT}, "transactions per page at most")])},
        "/me/transactions.csv": {"x-instance": ["api"], "get": _op(
            f"The transactions of local days from..to (at most {export.MAX_DAYS}) as CSV, oldest first", {
                200: _file("UTF-8 CSV with a byte-order mark; formula-like text cells prefixed with '",
                           ["text/csv"], **{"Content-Disposition": "attachment; filename=…"}),
                400: _error("missing or bad from/to, to before from, or more than 400 days")}, auth=True,
            parameters=[{**_query("from", {"type": "string", "format": "date"}, "first local day"), "required": True},
                        {**_query("to", {"type": "string", "format": "date"}, "last local day"), "required": True}])},
        "/app/": {"x-instance": ["api"], "get": _op("The web app", {
            200: _file("the web app's page", ["text/html"])})},
        "/app/{name}": {"x-instance": ["api"], "get": _op("The web app's files", {
            200: _file("the script or the style sheet", ["text/javascript", "text/css", "text/html"]),
            404: _error("no such file")}, parameters=[{**_path_param("name"), "schema": {
                "type": "string", "examples": sorted(FILES)}}])},
    }


def _user_feature_schemas() -> dict[str, Any]:
    """The request bodies of budgets and erasure (their answers are in service/api/answers.py)."""
    return {
        "Erase": _body(EraseRequest, password={"description": "the user's password, re-entered"}),
        "BudgetRequest": _body(BudgetRequest, amount={"pattern": AMOUNT.pattern, "description":
                                                      "more than 0, at most the currency's decimals"},
                               currency={"enum": sorted(contract.minor_units())}),
    }


def _body(model: type[BaseModel], **rules: dict[str, Any]) -> dict[str, Any]:
    """A request body: its view's pydantic model (types, lengths, patterns; unknown fields are
    ignored), with `rules` the view checks after the model laid over the fields they concern."""
    schema = model.model_json_schema()
    schema.pop("title", None)
    for name, rule in rules.items():
        schema["properties"][name] = {**schema["properties"][name], **rule}
    return schema


def _webhook_schemas() -> dict[str, Any]:
    """The webhook body as service/contract.py declares it, each part named Webhook…; the
    currency as the codes Tally knows. What the schema cannot say (an amount's decimals per
    currency, settled_at with the status, instants from 1970-01-02 to a day from now, ids unique
    in the request) is a 422 naming the field."""
    _, parts = msgspec.json.schema_components([contract.Body], ref_template="#/components/schemas/Webhook{name}")
    schemas = {f"Webhook{name}": schema for name, schema in parts.items()}
    currency = schemas["WebhookTransaction"]["properties"]["currency"]
    currency["enum"] = sorted(contract.minor_units())
    return schemas


def _answer_schemas() -> dict[str, Any]:
    """Every answer's schema, from the classes the views send (service/api/answers.py, the error
    and health bodies of service/http, the webhook's 202 in service/contract.py)."""
    _, schemas = msgspec.json.schema_components([*answers.SCHEMAS, Error, Health, contract.Accepted],
                                                ref_template="#/components/schemas/{name}")
    for schema in schemas.values():
        schema.pop("title", None)
    return schemas


def _schemas() -> dict[str, Any]:
    return {
        **_answer_schemas(),
        **_webhook_schemas(),
        "SignUp": _body(SignUp, email=EMAIL_RULE, password={
            "minLength": MIN_PASSWORD_BYTES, "maxLength": MAX_PASSWORD_BYTES,
            "description": f"{MIN_PASSWORD_BYTES}..{MAX_PASSWORD_BYTES} bytes of UTF-8"}, name={
            "minLength": 1, "maxLength": 100, "pattern": r"\S", "description": "1..100 characters, trimmed"},
            time_zone={"description": "an IANA time zone"}),
        "Login": _body(Login, email=EMAIL_RULE, device_token={
            "description": "the device_token of this device's last login, if any: its logins are then limited "
                           "per device, not per email"}),
        "Link": _body(LinkRequest),
        "Recategorise": _body(Recategorise, category={"enum": [c.slug for c in CATEGORIES]}, apply_to_past={
            "description": "also re-label this merchant's transactions of the last 400 days"}),
        **_user_feature_schemas(),
    }


@cache
def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tally", "version": "1",
                 "description": "Two gunicorn instances: `ingest` (partner webhooks) and `api` (the apps). "
                                "`x-instance` names the instances serving a path. Every error is JSON "
                                "`{error, message, details?, request_id}`, including the server's own answers "
                                "to requests it cannot read (400, 414, 431, 501) on any path. OPTIONS answers "
                                "204 with Allow. Prometheus metrics are served on an internal port, not here."},
        "paths": _paths(),
        "components": {"schemas": _schemas(),
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


blueprint = Blueprint("openapi", __name__)


@blueprint.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())
