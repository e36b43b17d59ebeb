"""The partner API Tally calls (Bearer token): link-code exchange and transaction listing.

    POST /api/v1/link-codes/exchange {"link_code"}         200 {"account_number", "card_ids"}
                                                           404 unknown_link_code
    GET  /api/v1/accounts/<account>/transactions?from=&to=&page_size=&page_token=
                                                           200 {"transactions", "next_page_token"}

`error_rate` of these requests (after authentication) are answered 500 or 503 + Retry-After.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any

from flask import Blueprint, Response, jsonify, request

from simulators.bank import inputs
from simulators.bank.bank import Bank
from simulators.bank.ledger import Key, day_bounds
from simulators.web import InputError, json_body, json_error

DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 1000


def partner_blueprint(bank: Bank) -> Blueprint:
    api = Blueprint("partner_api", __name__, url_prefix="/api/v1")

    @api.before_request
    def authenticate_and_fail_sometimes() -> Response | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(),
                                                                 bank.api_token.encode()):
            bank.control.count("api_unauthorized")
            response = json_error(401, "unauthorized", "an 'Authorization: Bearer <api token>' header "
                                  "with the bank's API token is required")
            response.headers["WWW-Authenticate"] = 'Bearer realm="partner-api"'
            return response
        status = bank.fault()
        if status is not None:
            bank.control.count("api_errors_injected")
            if status == 503:
                return json_error(503, "unavailable", "injected failure, retry later", {"Retry-After": "1"})
            return json_error(500, "internal_error", "injected failure")
        return None

    @api.post("/link-codes/exchange")
    def exchange() -> Response | tuple[Response, int]:
        bank.control.count("exchange_calls")
        code = json_body().get("link_code")
        if not isinstance(code, str) or not code.strip():
            raise InputError("link_code is required (a string)")
        link = bank.ledger.redeem_link_code(code.strip())
        if link is None:
            bank.control.count("exchange_unknown")
            return json_error(404, "unknown_link_code",
                              "the link code is unknown, expired or already used")
        bank.control.count("exchange_ok")
        return jsonify(account_number=link.account_number, card_ids=list(link.card_ids)), 200

    @api.get("/accounts/<account>/transactions")
    def transactions(account: str) -> Response:
        inputs.account_number(account)
        if bank.ledger.account(account) is None:
            return json_error(404, "unknown_account", f"the bank has no account {account}")
        first = inputs.date(request.args.get("from"), "from")
        last = inputs.date(request.args.get("to"), "to")
        if first and last and first > last:
            raise InputError("from must not be after to")
        size = inputs.integer(request.args.get("page_size"), "page_size", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE)
        scope = [account, request.args.get("from") or "", request.args.get("to") or ""]
        after = _decode_token(request.args.get("page_token"), scope)
        start, end = day_bounds(first, last)
        page, resume = bank.ledger.page(account, start, end, after, size)
        bank.control.count("list_pages_served")
        bank.control.count("list_transactions_served", len(page))
        return jsonify(transactions=page, next_page_token=_encode_token(resume, scope) if resume else None)

    return api


def _encode_token(key: Key, scope: list[str]) -> str:
    """Opaque to clients, but stateless: it carries the query and the last key returned, so a
    client that restarts can resume with it as long as the ledger is there."""
    raw = json.dumps({"v": 1, "q": scope, "k": list(key)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str | None, scope: list[str]) -> Key | None:
    if not token:
        return None
    try:
        data: Any = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        key = data["k"]
        ok = data.get("v") == 1 and isinstance(key, list) and len(key) == 2 and all(
            isinstance(k, str) for k in key)
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        ok = False
    if not ok:
        raise InputError("page_token is not a token this API issued", code="invalid_page_token")
    if data.get("q") != scope:
        raise InputError("page_token belongs to another account or date range", code="invalid_page_token")
    return key[0], key[1]
