"""The user's merchant rules: GET /me/rules, DELETE /me/rules/{merchant_key}."""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from flask.typing import ResponseReturnValue

from service.api import answers
from service.api.bearer import current_user_id, require_user
from service.bootstrap import runtime
from service.http.errors import ApiError
from service.http.responses import send

blueprint = Blueprint("rules", __name__)
blueprint.before_request(require_user)


@blueprint.get("/me/rules")
def list_rules() -> ResponseReturnValue:
    return send(answers.rules(runtime(current_app).rules().of_user(current_user_id())))


@blueprint.delete("/me/rules/<path:merchant_key>")
def delete_rule(merchant_key: str) -> ResponseReturnValue:
    if not runtime(current_app).rules().delete(current_user_id(), merchant_key):
        raise ApiError(404, "you have no rule for this merchant")
    return Response(status=204)
