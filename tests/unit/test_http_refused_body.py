"""discard_refused_body: how much of a refused body is read (pure logic, a BytesIO as wsgi.input)."""

from __future__ import annotations

import io

from flask import Flask

from service.http.errors import discard_refused_body


def _discard(body: bytes, limit: int, declared: bool = True) -> tuple[bool, int]:
    """(all read?, bytes left unread in wsgi.input)"""
    stream = io.BytesIO(body)
    headers = {"Content-Length": str(len(body))} if declared else {"Transfer-Encoding": "chunked"}
    with Flask(__name__).test_request_context("/", method="POST", input_stream=stream, headers=headers):
        done = discard_refused_body(limit)
    return done, len(body) - stream.tell()


def test_a_body_within_the_read_limit_is_read_to_its_end() -> None:
    assert _discard(b"x" * 300_000, limit=1_000_000) == (True, 0)


def test_a_declared_body_is_read_no_further_than_its_length() -> None:
    stream = io.BytesIO(b"x" * 100 + b"NEXT REQUEST")
    # environ_overrides: the test builder would otherwise take the length from the stream
    with Flask(__name__).test_request_context("/", method="POST", input_stream=stream,
                                              environ_overrides={"CONTENT_LENGTH": "100"}):
        assert discard_refused_body(1_000)
    assert stream.read() == b"NEXT REQUEST"


def test_a_body_over_the_read_limit_is_left_and_reported() -> None:
    assert _discard(b"x" * 300_000, limit=100_000) == (False, 200_000)


def test_a_chunked_body_is_read_until_the_server_reports_its_end() -> None:
    assert _discard(b"x" * 5_000, limit=100_000, declared=False) == (True, 0)
    assert _discard(b"x" * 300_000, limit=100_000, declared=False) == (False, 200_000)
