"""What the apps read without logging in: GET /categories, GET /openapi.json."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from service.api.openapi import document
from service.classification.categories import CATEGORIES

blueprint = Blueprint("catalog", __name__)


@blueprint.get("/categories")
def categories() -> ResponseReturnValue:
    return jsonify({"categories": [{"slug": c.slug, "name": c.name} for c in CATEGORIES]})


@blueprint.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return jsonify(document())
