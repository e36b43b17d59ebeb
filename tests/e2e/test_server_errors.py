"""What gunicorn answers itself, before the app sees a request, is JSON in the app's error
shape on both instances (it was gunicorn's HTML page), over raw sockets."""

from __future__ import annotations

import http.client
import json
import socket

import pytest

from tests.support.stack import AppProcess

CASES = {
    "request line too long": (414, "uri_too_long", b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    "header too long": (431, "header_fields_too_large",
                        b"GET /livez HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n"),
    "too many headers": (431, "header_fields_too_large",
                         b"GET /livez HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % n for n in range(120))
                         + b"\r\n"),
    "malformed request line": (400, "bad_request", b"GARBAGE\r\n\r\n"),
    "bad header name": (400, "bad_request", b"GET /livez HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n"),
    "unsupported transfer coding": (501, "not_implemented",
                                    b"POST /users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: foo\r\n\r\n"),
}


@pytest.mark.parametrize("instance", ["api", "ingest"])
@pytest.mark.parametrize("case", list(CASES))
def test_gunicorns_own_errors_are_json_in_the_error_shape(instance: str, case: str,
                                                          request: pytest.FixtureRequest) -> None:
    app: AppProcess = request.getfixturevalue(instance)
    status, code, raw = CASES[case]
    with socket.create_connection(("127.0.0.1", app.port), timeout=10) as sock:
        sock.sendall(raw)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
    assert response.status == status, (case, response.status, body[:200])
    assert response.getheader("Content-Type") == "application/json", body[:200]
    error = json.loads(body)
    assert error["error"] == code and error["message"]
    assert error["request_id"] == response.getheader("X-Request-Id")
    assert response.getheader("X-Content-Type-Options") == "nosniff"
