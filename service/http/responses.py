"""Sending a declared answer: a msgspec Struct encoded as the JSON body (its class is also what
`/openapi.json` documents, so what is sent and what is documented are one declaration)."""

from __future__ import annotations

import msgspec
from flask import Response

_ENCODER = msgspec.json.Encoder()


def send(answer: msgspec.Struct, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(_ENCODER.encode(answer), status=status, headers=headers, mimetype="application/json")
