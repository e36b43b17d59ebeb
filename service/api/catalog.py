"""What the apps read without logging in: GET /categories (GET /openapi.json, served by both
instances, is in service/api/openapi.py)."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from service.classification.categories import CATEGORIES

blueprint = Blueprint("catalog", __name__)


@blueprint.get("/categories")
def categories() -> ResponseReturnValue:
    return jsonify({"categories": [{"slug": c.slug, "name": c.name} for c in CATEGORIES]})
