"""Stateless tokens the server signs and later verifies: list cursors and device tokens.

Format: base64url(compact JSON) "." base64url(HMAC-SHA256(secret, context + payload)). The
context ("tally-cursor-v1.", "tally-device-v1.") keeps a token of one kind from ever verifying
as another kind signed with the same secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


class Malformed(ValueError):
    """Not `payload.signature`, or longer than allowed."""


class Unverified(ValueError):
    """The signature does not verify: forged, tampered or truncated."""


class Unreadable(ValueError):
    """Signed, but the payload is not JSON (another version)."""


def encode(payload: Any, secret: str, context: bytes) -> str:
    text = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{text}.{_b64(_sign(text, secret, context))}"


def decode(token: str, secret: str, context: bytes, max_chars: int) -> Any:
    """The payload, once the signature verified. Raises Malformed, Unverified or Unreadable."""
    text, dot, signature = token.partition(".")
    if not dot or len(token) > max_chars:
        raise Malformed(token[:20])
    # Compared as text, not as decoded bytes: base64 leaves bits of a last character unused, so
    # another character there decodes to the same bytes and a changed token would verify.
    try:
        valid = hmac.compare_digest(signature.encode(), _b64(_sign(text, secret, context)).encode())
    except UnicodeEncodeError:  # not ASCII
        valid = False
    if not valid:
        raise Unverified(token[:20])
    try:
        return json.loads(_unb64(text))
    except ValueError as exc:
        raise Unreadable(token[:20]) from exc


def _sign(text: str, secret: str, context: bytes) -> bytes:
    return hmac.new(secret.encode(), context + text.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
