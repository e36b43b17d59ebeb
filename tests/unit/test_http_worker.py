"""gunicorn's own error answers in the app's JSON shape (service.http.worker): the page
writer, and the worker's handle_error on a socket pair (no server, no network)."""

from __future__ import annotations

import http.client
import json
import logging
import socket

import pytest
from gunicorn import util
from gunicorn.config import Config
from gunicorn.http.errors import InvalidRequestLine, LimitRequestHeaders, LimitRequestLine

from service.http.worker import JsonErrorWorker, _PageCatcher, json_error_page


def _parse(raw: bytes) -> tuple[int, dict[str, str], dict[str, str]]:
    left, right = socket.socketpair()
    with left, right:
        left.sendall(raw)
        left.shutdown(socket.SHUT_WR)
        response = http.client.HTTPResponse(right)  # type: ignore[arg-type]
        response.begin()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(response.read())


def test_the_page_is_the_error_shape_with_its_length_and_request_id() -> None:
    status, headers, body = _parse(json_error_page(414, "URI Too Long", "URI Too Long: 5000 > 4094", "abc123"))
    assert status == 414
    assert body == {"error": "uri_too_long", "message": "URI Too Long: 5000 > 4094", "request_id": "abc123"}
    assert headers["content-type"] == "application/json" and headers["x-request-id"] == "abc123"
    assert headers["connection"] == "close" and headers["x-content-type-options"] == "nosniff"


def test_a_status_without_a_code_of_ours_takes_its_reason() -> None:
    assert _parse(json_error_page(418, "I'm a Teapot", "m", "r"))[2]["error"] == "i_m_a_teapot"


def test_the_catcher_keeps_the_status_line_gunicorn_writes() -> None:
    catcher = _PageCatcher()
    util.write_error(catcher, 431, "Request Header Fields Too Large", "<b>too many</b>")
    assert catcher.status() == (431, "Request Header Fields Too Large")
    assert _PageCatcher().status() == (500, "Internal Server Error")  # nothing written


def _worker() -> JsonErrorWorker:
    worker = JsonErrorWorker.__new__(JsonErrorWorker)  # handle_error needs only cfg and log
    worker.cfg = Config()
    worker.log = logging.getLogger("test.gunicorn")  # type: ignore[assignment]
    return worker


@pytest.mark.parametrize(("error", "status", "code"), [
    (LimitRequestLine(5000, 4094), 414, "uri_too_long"),
    (LimitRequestHeaders("too many headers"), 431, "header_fields_too_large"),
    (InvalidRequestLine("GARBAGE"), 400, "bad_request"),
    (RuntimeError("the app broke"), 500, "internal_error"),
])
def test_handle_error_answers_json_with_gunicorns_status(error: Exception, status: int, code: str) -> None:
    server, client = socket.socketpair()
    with server, client:
        _worker().handle_error(None, server, ("127.0.0.1", 1), error)
        server.shutdown(socket.SHUT_WR)
        raw = client.recv(65536)
    answered, headers, body = _parse(raw)
    assert (answered, body["error"]) == (status, code)
    assert body["request_id"] == headers["x-request-id"] and body["message"]
    assert "the app broke" not in body["message"]  # a 500 never shows what failed
