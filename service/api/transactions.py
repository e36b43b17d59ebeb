"""The user's transactions: GET /me/transactions, PATCH /me/transactions/{partner_id}/
{transaction_id}, GET /me/summary (docs/api.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from flask import Blueprint, current_app, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from service.api import answers, parsing
from service.api.bearer import current_user_id, require_user
from service.bootstrap import Runtime, runtime
from service.history import feed, summary
from service.history.cursor import InvalidCursor, Query
from service.history.recategorise import TransactionNotFound, UnknownCategory, recategorise
from service.history.window import InvalidMonth
from service.http.errors import ApiError
from service.http.responses import send
from service.repositories.users import User

blueprint = Blueprint("transactions", __name__)
blueprint.before_request(require_user)


class Recategorise(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    category: Annotated[str, Field(max_length=64)]
    apply_to_past: bool = False


def _user(rt: Runtime) -> User:
    cache = rt.user_cache()
    user_id = current_user_id()
    user = cache.get(user_id)
    if user is None:
        user = rt.users().get(user_id)
        if user is None:
            raise ApiError(401, "the token's user no longer exists", error="invalid_token")
        cache[user_id] = user
    return user


@blueprint.get("/me/transactions")
def list_transactions() -> ResponseReturnValue:
    rt = runtime(current_app)
    query = Query(days=parsing.query_int("days", feed.DEFAULT_DAYS, 1, feed.MAX_DAYS),
                  card_id=parsing.query_text("card_id", r"[A-Za-z0-9-]{1,32}", "a card id"),
                  status=parsing.query_text("status", "|".join(feed.STATUSES), " or ".join(feed.STATUSES)))
    limit = parsing.query_int("limit", feed.DEFAULT_LIMIT, 1, feed.MAX_LIMIT)
    user = _user(rt)
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
        done = recategorise(rt.history(), rt.overrides(),
                            rt.rules(), user_id=current_user_id(), partner_id=partner_id,
                            transaction_id=transaction_id, category=given.category,
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
    user = _user(rt)
    try:
        found = summary.month_summary(rt.history(), rt.overrides(),
                                      user.user_id, time_zone=user.time_zone, month=request.args.get("month"),
                                      now=datetime.now(UTC))
    except InvalidMonth as exc:
        raise parsing.bad_parameter("month", str(exc)) from None
    return send(answers.summary(found))
