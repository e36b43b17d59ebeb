"""The user's monthly budgets and their alerts: PUT, GET, DELETE /me/budgets…, GET /me/alerts
(docs/api.md, "Budgets")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from service.api import answers, parsing
from service.api.bearer import current_user, current_user_id, require_user
from service.bootstrap import runtime
from service.history import budgets, summary
from service.history.window import InvalidMonth
from service.http.errors import ApiError
from service.http.responses import send

blueprint = Blueprint("budgets", __name__)
blueprint.before_request(require_user)


class BudgetRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    amount: Annotated[str, Field(max_length=32)]
    currency: Annotated[str, Field(max_length=8)]


@blueprint.put("/me/budgets/<category>")
def put_budget(category: str) -> ResponseReturnValue:
    given = parsing.body(BudgetRequest)
    try:
        budget = budgets.checked(category, given.amount, given.currency, datetime.now(UTC))
    except budgets.InvalidBudget as exc:
        raise parsing.invalid(exc.field, exc.message, error=exc.error) from None
    runtime(current_app).budgets().put(current_user_id(), budget)
    return send(answers.budget(budget))


@blueprint.get("/me/budgets")
def list_budgets() -> ResponseReturnValue:
    found = runtime(current_app).budgets().of_user(current_user_id())
    return send(answers.Budgets([answers.budget(b) for b in sorted(found, key=budgets.order)]))


@blueprint.delete("/me/budgets/<category>")
def delete_budget(category: str) -> ResponseReturnValue:
    if not runtime(current_app).budgets().delete(current_user_id(), category):
        raise ApiError(404, "you have no budget for this category")
    return Response(status=204)


@blueprint.get("/me/alerts")
def list_alerts() -> ResponseReturnValue:
    rt = runtime(current_app)
    user = current_user(rt)
    try:
        month = summary.month_items(rt.history(), rt.overrides(), user.user_id, time_zone=user.time_zone,
                                    month=request.args.get("month"), now=datetime.now(UTC))
    except InvalidMonth as exc:
        raise parsing.bad_parameter("month", str(exc)) from None
    found = budgets.alerts(rt.budgets().of_user(user.user_id), month.items)
    return send(answers.Alerts(month.month, month.time_zone, [answers.alert(a) for a in found]))
