"""Every error is JSON: `{"error", "message", "details"?, "request_id"}` (DESIGN.md §3, §7),
404/405/413 and unexpected failures included. Views raise ApiError; nothing else leaks."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

log = logging.getLogger("tally.http")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
          415: "unsupported_media_type", 422: "invalid", 429: "too_many_requests",
          500: "internal_error", 503: "unavailable"}


class ApiError(Exception):
    def __init__(self, status: int, message: str, error: str | None = None,
                 details: list[Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error or _CODES.get(status, "error")
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_response(error: ApiError) -> ResponseReturnValue:
    body: dict[str, Any] = {"error": error.error, "message": error.message}
    if error.details is not None:
        body["details"] = error.details
    body["request_id"] = getattr(g, "request_id", None)
    return jsonify(body), error.status, error.headers


def register(app: Flask) -> None:
    app.register_error_handler(ApiError, error_response)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        messages = {404: "no such resource", 405: "method not allowed on this resource",
                    413: f"the body is larger than {app.config.get('MAX_CONTENT_LENGTH')} bytes"}
        headers = dict(exc.get_headers())
        headers.pop("Content-Type", None)
        return error_response(ApiError(status, messages.get(status, exc.description or exc.name),
                                       headers=headers))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error", extra={"request_id": getattr(g, "request_id", None)})
        return error_response(ApiError(500, "an unexpected error occurred; it has been logged"))
