"""Reading a request body whole, within a limit, whether its length is declared or chunked."""

from __future__ import annotations

from flask import request

from service.http.errors import ApiError

_CHUNK = 64 * 1024


def read_body(limit: int) -> bytes:
    """The body, or ApiError 413 when it is longer than `limit` bytes.

    A declared length over the limit is refused before anything is read. A chunked body has
    no declared length: werkzeug's stream (request.get_data) stops at the limit without an
    error, so an oversized body arrived cut, and the webhook's signature check then answered
    401 instead of 413. Reading wsgi.input up to limit + 1 bytes tells the two apart; the
    error handler then reads and drops the rest (service.http.errors.discard_refused_body).
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise ApiError(413, f"the body is larger than {limit} bytes")
    if declared is None and not request.environ.get("wsgi.input_terminated"):
        return b""  # neither a length nor a server that ends the stream: no body (as werkzeug)
    stream = request.environ["wsgi.input"]
    wanted = limit + 1 if declared is None else declared
    chunks: list[bytes] = []
    size = 0
    while size < wanted:
        chunk = stream.read(min(_CHUNK, wanted - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise ApiError(413, f"the body is larger than {limit} bytes")
    return b"".join(chunks)
