"""Bearer authentication of the /me and /auth/logout routes: the session's user, or 401."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import current_app, g, request

from service.auth.sessions import authenticate
from service.bootstrap import Runtime, runtime
from service.http.errors import ApiError
from service.repositories.users import User


def bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "an 'Authorization: Bearer <token>' header is required (POST /auth/login)",
                       headers={"WWW-Authenticate": 'Bearer realm="tally"'})
    return token.strip()


def require_user() -> None:
    """A before_request hook: sets g.user_id from a valid token, or answers 401."""
    user_id = authenticate(runtime(current_app).sessions(), bearer_token(), datetime.now(UTC))
    if user_id is None:
        raise ApiError(401, "the token is invalid, expired or logged out", error="invalid_token",
                       headers={"WWW-Authenticate": 'Bearer realm="tally", error="invalid_token"'})
    g.user_id = user_id


def current_user_id() -> uuid.UUID:
    user_id: uuid.UUID = g.user_id
    return user_id


def current_user(rt: Runtime) -> User:
    """The token's user (its zone and profile), through a short per-process cache; 401 when
    the user no longer exists."""
    cache = rt.user_cache()
    user_id = current_user_id()
    user = cache.get(user_id)
    if user is None:
        user = rt.users().get(user_id)
        if user is None:
            raise ApiError(401, "the token's user no longer exists", error="invalid_token")
        cache[user_id] = user
    return user
