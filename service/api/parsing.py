"""Reading requests of the app API into typed values, or ApiError: 415 for a body that is not
declared JSON, 400 for malformed JSON or query parameters, 422 for a well-formed but invalid
body (with `details`, one `{"field", "message"}` per problem)."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from flask import current_app, request
from pydantic import BaseModel, ValidationError

from service.http.bodies import read_body
from service.http.errors import ApiError

M = TypeVar("M", bound=BaseModel)


def json_object() -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise ApiError(415, "Content-Type must be application/json")
    raw = read_body(current_app.config["MAX_CONTENT_LENGTH"])
    try:
        body = json.loads(raw or b"")
    except ValueError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}", error="invalid_json") from None
    except RecursionError:  # "[[[[…" deeper than the parser's stack: cannot be read, so malformed to us
        raise ApiError(400, "the body is nested too deeply to be read as JSON", error="invalid_json") from None
    if not isinstance(body, dict):
        raise ApiError(422, "the body must be a JSON object",
                       details=[{"field": "", "message": "must be a JSON object"}])
    return body


def body(model: type[M]) -> M:
    """The JSON body as `model` (strict types: no coercion of numbers to strings)."""
    try:
        return model.model_validate(json_object())
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        raise ApiError(422, "the request body is invalid", details=details) from None


def invalid(field: str, message: str, status: int = 422, error: str = "invalid") -> ApiError:
    return ApiError(status, f"{field}: {message}", error=error, details=[{"field": field, "message": message}])


def bad_parameter(name: str, message: str) -> ApiError:
    return ApiError(400, f"{name}: {message}", error="invalid_parameter",
                    details=[{"parameter": name, "message": message}])


def query_int(name: str, default: int, lowest: int, highest: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,9}", raw.strip()):
        raise bad_parameter(name, f"must be an integer from {lowest} to {highest}")
    value = int(raw)
    if not lowest <= value <= highest:
        raise bad_parameter(name, f"must be an integer from {lowest} to {highest}")
    return value


def query_text(name: str, pattern: str, meaning: str) -> str | None:
    """An optional parameter that must match `pattern` when present (empty = absent)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(pattern, raw):
        raise bad_parameter(name, f"must be {meaning}")
    return raw
