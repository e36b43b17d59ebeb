"""The user's transactions: GET /me/transactions, PATCH /me/transactions/{partner_id}/
{transaction_id}, GET /me/summary, GET /me/transactions/sync, GET /me/transactions.csv
(docs/api.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import chain, islice
from typing import Annotated
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request, stream_with_context
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from service.api import answers, parsing
from service.api.bearer import current_user, current_user_id, require_user
from service.bootstrap import runtime
from service.history import budgets, export, feed, summary, sync
from service.history.cursor import InvalidCursor, Query
from service.history.recategorise import TransactionNotFound, UnknownCategory, recategorise
from service.history.window import InvalidMonth
from service.http.errors import ApiError
from service.http.responses import send

blueprint = Blueprint("transactions", __name__)
blueprint.before_request(require_user)


class Recategorise(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    category: Annotated[str, Field(max_length=64)]
    apply_to_past: bool = False


@blueprint.get("/me/transactions")
def list_transactions() -> ResponseReturnValue:
    rt = runtime(current_app)
    query = Query(days=parsing.query_int("days", feed.DEFAULT_DAYS, 1, feed.MAX_DAYS),
                  card_id=parsing.query_text("card_id", r"[A-Za-z0-9-]{1,32}", "a card id"),
                  status=parsing.query_text("status", "|".join(feed.STATUSES), " or ".join(feed.STATUSES)))
    limit = parsing.query_int("limit", feed.DEFAULT_LIMIT, 1, feed.MAX_LIMIT)
    user = current_user(rt)
    listing = feed.ListRequest(user.user_id, user.time_zone, query, limit, request.args.get("cursor") or None)
    try:
        page = feed.list_transactions(rt.history(), rt.overrides(),
                                      listing, rt.settings.cursor_secret, datetime.now(UTC))
    except InvalidCursor as exc:
        raise ApiError(400, f"cursor: {exc}", error="invalid_cursor") from None
    return send(answers.TransactionPage([answers.listed(item) for item in page.items], page.next_cursor))


@blueprint.patch("/me/transactions/<partner_id>/<transaction_id>")
def recategorise_transaction(partner_id: str, transaction_id: str) -> ResponseReturnValue:
    rt = runtime(current_app)
    given = parsing.body(Recategorise)
    try:
        done = recategorise(rt.history(), rt.overrides(), rt.rules(), rt.changes(), user_id=current_user_id(),
                            partner_id=partner_id, transaction_id=transaction_id, category=given.category,
                            apply_to_past=given.apply_to_past, now=datetime.now(UTC))
    except UnknownCategory:
        raise parsing.invalid("category", "is not a category slug (GET /categories)",
                              error="unknown_category") from None
    except TransactionNotFound:
        raise ApiError(404, "you have no such transaction") from None
    return send(answers.listed(done.item))


@blueprint.get("/me/summary")
def month_summary() -> ResponseReturnValue:
    rt = runtime(current_app)
    user = current_user(rt)
    try:
        found = summary.month_summary(rt.history(), rt.overrides(),
                                      user.user_id, time_zone=user.time_zone, month=request.args.get("month"),
                                      now=datetime.now(UTC))
    except InvalidMonth as exc:
        raise parsing.bad_parameter("month", str(exc)) from None
    progress = budgets.progress(rt.budgets().of_user(user.user_id), found.currencies)
    return send(answers.summary(found, progress))


@blueprint.get("/me/transactions/sync")
def sync_transactions() -> ResponseReturnValue:
    rt = runtime(current_app)
    count = parsing.query_int("count", sync.DEFAULT_COUNT, 1, sync.MAX_COUNT)
    try:
        page = sync.sync(rt.history(), rt.changes(), rt.overrides(), user_id=current_user_id(),
                         cursor=request.args.get("cursor") or None, count=count, secret=rt.settings.cursor_secret,
                         now=datetime.now(UTC))
    except InvalidCursor as exc:
        raise ApiError(400, f"cursor: {exc}", error="invalid_cursor") from None
    except sync.CursorExpired as exc:
        raise ApiError(400, f"cursor: {exc}", error="cursor_expired") from None
    return send(answers.sync_page(page))


@blueprint.get("/me/transactions.csv")
def export_transactions() -> ResponseReturnValue:
    rt = runtime(current_app)
    user = current_user(rt)
    zone = ZoneInfo(user.time_zone)
    first, last = request.args.get("from"), request.args.get("to")
    try:
        span = export.window(first, last, zone)
    except export.InvalidRange as exc:
        raise parsing.bad_parameter(exc.parameter, exc.message) from None
    lines = export.lines(rt.history(), rt.overrides(), user.user_id, span, zone)
    # The header and the first row before the answer starts: a Cassandra that cannot answer is a
    # 503 then, not a 200 cut short (later rows can still fail: the transfer then ends early).
    head = list(islice(lines, 2))
    return Response(stream_with_context(chain(head, lines)), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{export.filename(str(first), str(last))}"'})
