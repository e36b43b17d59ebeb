"""What the apps read without logging in: GET /categories (GET /openapi.json, served by both
instances, is in service/api/openapi.py)."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from service.api import answers
from service.http.responses import send

blueprint = Blueprint("catalog", __name__)


@blueprint.get("/categories")
def categories() -> ResponseReturnValue:
    return send(answers.categories())
