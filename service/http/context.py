"""Per-request context: the request id (X-Request-Id, accepted from a proxy when well-formed)
and one JSON log line per request (method, path, status, duration, request_id, partner)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from service import metrics

log = logging.getLogger("tally.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def register(app: Flask, instance: str) -> None:
    @app.before_request
    def start() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        request_id = getattr(g, "request_id", None) or uuid.uuid4().hex
        response.headers["X-Request-Id"] = request_id
        elapsed = time.perf_counter() - getattr(g, "started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.HTTP_LATENCY.labels(instance, request.method, route, str(response.status_code)).observe(elapsed)
        if request.path not in ("/livez", "/readyz"):
            log.info("request", extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2), "request_id": request_id,
                "partner_id": getattr(g, "partner_id", None), "remote_addr": request.remote_addr,
                "instance": instance})
        return response
