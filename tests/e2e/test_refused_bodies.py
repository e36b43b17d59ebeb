"""A body refused with 413 is still read by the app, over a raw socket against gunicorn.

gunicorn drains at most 64 KiB of an unread body after a response and otherwise closes the
connection; closing with unread bytes makes the kernel send a TCP reset, which can destroy the
413 before the client reads it. Behind nginx that was a 502 instead of the app's 413 (a CI
failure of tests/e2e/test_nginx.py). Here: the whole body is accepted, the JSON 413 arrives and
the same connection serves the next request.
"""

from __future__ import annotations

import http.client
import json
import socket

import pytest

from service.app import API_BODY_LIMIT
from service.settings import Settings
from tests.support import webhooks
from tests.support.stack import AppProcess
from tests.support.webhooks import BankPartner


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()


def _request(host: str, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}",
             *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.mark.parametrize("instance", ["ingest", "api"])
def test_a_refused_body_is_read_so_its_413_arrives_and_the_connection_serves_the_next_request(
        instance: str, request: pytest.FixtureRequest, partner: BankPartner, test_settings: Settings) -> None:
    app: AppProcess = request.getfixturevalue(instance)
    host = f"127.0.0.1:{app.port}"
    if instance == "ingest":  # just over the webhook limit, as a bank's oversized batch would be
        body = b'{"transactions": [' + b" " * (test_settings.max_body_bytes + 50 * 1024) + b"]}"
        path, headers = "/hook/transaction", webhooks.signed_headers(partner, body)
        limit = test_settings.max_body_bytes
    else:
        body = json.dumps({"email": "a@example.com", "password": "x" * (2 * API_BODY_LIMIT)}).encode()
        path, headers, limit = "/auth/login", {"Content-Type": "application/json"}, API_BODY_LIMIT

    with socket.create_connection(("127.0.0.1", app.port), timeout=15) as sock:
        # Before the fix this sendall could fail with a reset, or the 413 could be lost.
        sock.sendall(_request(host, "POST", path, headers, body))
        status, response_headers, raw = _read_response(sock)
        assert status == 413, raw
        error = json.loads(raw)
        assert error["error"] == "payload_too_large"
        assert str(limit) in error["message"]
        assert error["request_id"] == response_headers["x-request-id"]
        assert response_headers.get("connection", "").lower() != "close"

        # The same connection: only possible if the refused body was consumed, not left unread.
        sock.sendall(_request(host, "GET", "/livez", {}))
        status, _, raw = _read_response(sock)
        assert status == 200, raw
