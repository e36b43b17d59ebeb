"""Every error is JSON: `{"error", "message", "details"?, "request_id"}` (docs/design.md, "The
bank contract"; docs/api.md), 404/405/413 and unexpected failures included. Views raise ApiError; nothing else leaks.

Cassandra being unavailable (service.storage.failures.UNAVAILABLE) is a 503 with Retry-After
on every route, decided here rather than in each view. Every 503 writes exactly one log line,
here, with the request id, the path and its internal `reason` (which the client never sees).
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import msgspec
from flask import Flask, g, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from service.http.responses import send
from service.storage.failures import UNAVAILABLE

log = logging.getLogger("tally.http")

_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 414: "uri_too_long",
          415: "unsupported_media_type", 417: "expectation_failed", 422: "invalid", 429: "too_many_requests",
          431: "header_fields_too_large", 500: "internal_error", 501: "not_implemented", 503: "unavailable"}
# What a 503 asks clients to wait: long enough for a Cassandra node to restart or a broker to
# fail over, short enough that an app retrying once does not look broken.
RETRY_AFTER_SECONDS = 5


# A refused body up to this size is read and dropped; a larger one is left and the connection
# closes (gunicorn drains only 64 KiB itself). Above nginx's 1100 KiB with room for a direct client.
REFUSED_BODY_READ_LIMIT = 4 * 1024 * 1024
_CHUNK = 64 * 1024


class Error(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Every error's body (the document derives its schema from this class)."""

    error: str
    message: str
    details: list[dict[str, Any]] | None = None
    request_id: str


def error_code(status: int, reason: str = "error") -> str:
    """The `error` of a status that has no more specific one: "not_found", "uri_too_long"…"""
    return _CODES.get(status) or "_".join(re.findall(r"[a-z]+", reason.lower())) or "error"


class ApiError(Exception):
    """An error answer. `reason` is internal: it is logged (every 503 is), never sent."""

    def __init__(self, status: int, message: str, *, error: str | None = None,
                 details: list[Any] | None = None, headers: dict[str, str] | None = None,
                 reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error = error or error_code(status)
        self.message = message
        self.details = details
        self.headers = headers or {}
        self.reason = reason


def unavailable(message: str, reason: str, error: str = "unavailable") -> ApiError:
    """A 503: the request may succeed later (Retry-After); `reason` says why, in the log only."""
    return ApiError(503, message, error=error, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}, reason=reason)


def error_response(error: ApiError) -> ResponseReturnValue:
    headers = dict(error.headers)
    if error.status == 413:
        discard_refused_body()
    if error.status == 503:
        headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
        log.warning("unavailable", extra={
            "request_id": getattr(g, "request_id", None), "method": request.method, "path": request.path,
            "status": 503, "error": error.error, "reason": error.reason or error.message})
    request_id = getattr(g, "request_id", None) or uuid.uuid4().hex
    return send(Error(error=error.error, message=error.message, details=error.details, request_id=request_id),
                error.status, headers)


def discard_refused_body(limit: int = REFUSED_BODY_READ_LIMIT) -> bool:
    """Reads and drops the unread body of a refused request; True when it was all read.

    Answering 413 without reading the body leaves it on the socket, gunicorn then closes the
    connection, and closing with unread bytes makes the kernel send a reset that can destroy
    the 413 before the client (nginx: a 502) has read it. A read body keeps the connection
    usable. wsgi.input, not request.stream: werkzeug's stream refuses a body over the limit.
    Only called while nothing of the body has been read or werkzeug stopped at its limit, so a
    declared length bounds the read and a chunked body ends with b"" from the server."""
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return True
    declared = request.content_length
    left = limit if declared is None else min(declared, limit)
    while left > 0:
        chunk = stream.read(min(_CHUNK, left))
        if not chunk:
            return True
        left -= len(chunk)
    return declared is not None and declared <= limit


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

    def storage_unavailable(exc: Exception) -> ResponseReturnValue:
        return error_response(unavailable("the service is temporarily unavailable; retry later",
                                          reason=f"cassandra: {type(exc).__name__}: {exc}"[:500]))

    for unanswered in UNAVAILABLE:
        app.register_error_handler(unanswered, storage_unavailable)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error", extra={"request_id": getattr(g, "request_id", None)})
        return error_response(ApiError(500, "an unexpected error occurred; it has been logged"))
