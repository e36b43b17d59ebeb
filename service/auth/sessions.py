"""Bearer tokens: 256 random bits (secrets.token_urlsafe(32)), sent to the app once and stored
only as their SHA-256, so a copy of the `sessions` table opens no session."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from service.repositories.sessions import SessionRepository

TOKEN_BYTES = 32
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # what token_urlsafe(32) makes


@dataclass(frozen=True)
class IssuedSession:
    token: str
    user_id: uuid.UUID
    expires_at: datetime


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def open_session(sessions: SessionRepository, user_id: uuid.UUID, ttl_seconds: int, now: datetime) -> IssuedSession:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + timedelta(seconds=ttl_seconds)
    sessions.create(token_hash(token), user_id, now, expires_at, ttl_seconds)
    return IssuedSession(token, user_id, expires_at)


def authenticate(sessions: SessionRepository, token: str, now: datetime) -> uuid.UUID | None:
    """The token's user, or None: malformed, unknown, logged out or expired. expires_at is
    checked too, because an expired TTL'd cell may still be served until it is purged."""
    if not _TOKEN.match(token):
        return None
    stored = sessions.get(token_hash(token))
    if stored is None or stored.expires_at <= now:
        return None
    return stored.user_id


def close_session(sessions: SessionRepository, token: str) -> None:
    sessions.delete(token_hash(token))
