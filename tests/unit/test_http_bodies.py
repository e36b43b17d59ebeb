"""read_body: a body within the limit whole, one byte more refused, declared or chunked (pure
logic, a BytesIO as wsgi.input)."""

from __future__ import annotations

import io

import pytest
from flask import Flask

from service.http.bodies import read_body
from service.http.errors import ApiError


def _read(body: bytes, limit: int, chunked: bool) -> bytes:
    environ = {"wsgi.input_terminated": True} if chunked else {"CONTENT_LENGTH": str(len(body))}
    headers = {"Transfer-Encoding": "chunked"} if chunked else {}
    with Flask(__name__).test_request_context("/", method="POST", input_stream=io.BytesIO(body), headers=headers,
                                              environ_overrides=environ):
        return read_body(limit)


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_of_exactly_the_limit_is_read_whole(chunked: bool) -> None:
    assert _read(b"x" * 100_000, 100_000, chunked) == b"x" * 100_000


@pytest.mark.parametrize("chunked", [False, True])
def test_one_byte_over_the_limit_is_413(chunked: bool) -> None:
    with pytest.raises(ApiError) as refused:
        _read(b"x" * 100_001, 100_000, chunked)
    assert refused.value.status == 413 and "100000" in refused.value.message


def test_an_empty_chunked_body_is_empty() -> None:
    assert _read(b"", 10, chunked=True) == b""


def test_without_a_length_or_a_terminating_server_there_is_no_body() -> None:
    with Flask(__name__).test_request_context("/", method="POST", input_stream=io.BytesIO(b"never read"),
                                              headers={"Transfer-Encoding": "chunked"}):
        assert read_body(1000) == b""
