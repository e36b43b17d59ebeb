"""The webhook endpoint, checks in docs/design.md, "The bank contract" order: 413 → 401 → 415 → 400 → 422, then
publish one message with the raw body and answer 202 only after the broker's confirm."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, g, request
from flask.typing import ResponseReturnValue

from service import metrics
from service.bootstrap import Runtime, runtime
from service.broker.publisher import PublishError
from service.broker.topology import INGEST
from service.contract import Accepted, BodyNotJson, InvalidBody, parse_body
from service.http.bodies import read_body
from service.http.errors import ApiError, unavailable
from service.http.responses import send
from service.webhooks.signatures import SignatureError, verify

blueprint = Blueprint("webhooks", __name__)


@blueprint.post("/hook/transaction")
def receive_transactions() -> ResponseReturnValue:
    rt = runtime(current_app)
    try:
        return _receive(rt)
    except ApiError as error:
        metrics.WEBHOOK_REJECTIONS.labels(str(error.status)).inc()
        raise


def _receive(rt: Runtime) -> ResponseReturnValue:
    body = read_body(rt.settings.max_body_bytes)
    received_at = datetime.now(UTC)

    partner_id = request.headers.get("x-partner-id", "")
    try:
        partner = rt.cached_partners().get(partner_id) if partner_id else None
    except Exception as exc:  # noqa: BLE001 - the database is down and this partner is not cached
        raise unavailable("cannot verify the partner right now; retry later",
                          reason=f"partner lookup of {partner_id!r}: {type(exc).__name__}: {exc}"[:500]) from None
    if partner is None or not partner.enabled:
        raise ApiError(401, "unknown or disabled partner (x-partner-id)")
    g.partner_id = partner_id
    try:
        verify(partner, body, dict(request.headers))
    except SignatureError as exc:
        raise ApiError(401, str(exc)) from None

    if request.mimetype != "application/json":
        raise ApiError(415, "Content-Type must be application/json")
    try:
        transactions = parse_body(body)
    except BodyNotJson as exc:
        raise ApiError(400, str(exc), error="invalid_json") from None
    except InvalidBody as exc:
        raise ApiError(422, "the request is invalid; nothing of it was accepted", details=exc.details) from None

    headers = {"partner_id": partner_id, "webhook-id": request.headers["webhook-id"],
               "received_at": received_at.isoformat(timespec="microseconds"), "request_id": g.request_id}
    try:
        rt.publishers.publish(body, INGEST, message_id=g.request_id, headers=headers)
    except PublishError as exc:
        metrics.PUBLISHES.labels(INGEST, "failed").inc()
        raise unavailable("the transactions could not be queued; retry later (resending is safe)",
                          reason=f"publish not confirmed: {exc}") from None
    metrics.PUBLISHES.labels(INGEST, "confirmed").inc()
    metrics.WEBHOOK_TRANSACTIONS.labels(partner_id).inc(len(transactions))
    return send(Accepted(len(transactions), g.request_id), 202)
