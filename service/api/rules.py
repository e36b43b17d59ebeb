"""The user's merchant rules: GET /me/rules, DELETE /me/rules/{merchant_key}."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from flask.typing import ResponseReturnValue

from service.api.bearer import current_user_id, require_user
from service.bootstrap import runtime
from service.history.rows import instant
from service.http.errors import ApiError

blueprint = Blueprint("rules", __name__)
blueprint.before_request(require_user)


@blueprint.get("/me/rules")
def list_rules() -> ResponseReturnValue:
    rules = runtime(current_app).rules().of_user(current_user_id())
    return jsonify({"rules": [{"merchant_key": r.merchant_key, "category": r.category,
                               "created_at": instant(r.created_at), "updated_at": instant(r.updated_at)}
                              for r in sorted(rules, key=lambda r: r.merchant_key)]})


@blueprint.delete("/me/rules/<path:merchant_key>")
def delete_rule(merchant_key: str) -> ResponseReturnValue:
    if not runtime(current_app).rules().delete(current_user_id(), merchant_key):
        raise ApiError(404, "you have no rule for this merchant")
    return Response(status=204)
