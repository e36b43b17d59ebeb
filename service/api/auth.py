"""Sign-up and sessions: POST /users, POST /auth/login, POST /auth/logout (DESIGN.md §7)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from service.api import parsing
from service.api.bearer import bearer_token, require_user
from service.auth.login import Credentials, InvalidCredentials, NotAnEmail, TooManyFailures, login
from service.auth.passwords import dummy_hash
from service.auth.ratelimit import LoginLimiter, login_limits
from service.auth.sessions import close_session
from service.bootstrap import Runtime, runtime
from service.history.rows import instant
from service.http.errors import ApiError
from service.repositories.ratelimits import LoginAttemptRepository
from service.repositories.sessions import SessionRepository
from service.repositories.users import UserRepository
from service.users.registration import EmailTaken, NewUser, RegistrationError, register

blueprint = Blueprint("auth", __name__)
DUMMY_HASH = "auth.dummy_password_hash"


class SignUp(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    email: Annotated[str, Field(max_length=320)]
    password: Annotated[str, Field(max_length=1024)]
    name: Annotated[str, Field(max_length=200)]
    time_zone: Annotated[str, Field(max_length=64)] = "UTC"


class Login(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    email: Annotated[str, Field(max_length=320)]
    password: Annotated[str, Field(max_length=1024)]


def prepare(rt: Runtime) -> None:
    """Called when the app is made: the dummy hash costs one bcrypt round at the real cost,
    which the first unknown-email login must not pay on its own (its timing would tell)."""
    _dummy_hash(rt)


def _dummy_hash(rt: Runtime) -> str:
    return rt.singleton(DUMMY_HASH, lambda: dummy_hash(rt.settings.bcrypt_cost))


def _limiter(rt: Runtime) -> LoginLimiter:
    return rt.singleton(LoginLimiter, lambda: LoginLimiter(rt.repository(LoginAttemptRepository),
                                                           login_limits(rt.settings)))


@blueprint.post("/users")
def sign_up() -> ResponseReturnValue:
    rt = runtime(current_app)
    new = parsing.body(SignUp)
    try:
        user = register(rt.repository(UserRepository), NewUser(new.email, new.password, new.name, new.time_zone),
                        rt.settings.bcrypt_cost)
    except RegistrationError as exc:
        raise parsing.invalid(exc.field, exc.message) from None
    except EmailTaken:
        raise ApiError(409, "this email is already registered", error="email_taken") from None
    return jsonify({"user_id": str(user.user_id), "email": user.email, "name": user.name}), 201


@blueprint.post("/auth/login")
def log_in() -> ResponseReturnValue:
    rt = runtime(current_app)
    given = parsing.body(Login)
    credentials = Credentials(given.email, given.password, request.remote_addr or "unknown")
    try:
        issued = login(rt.repository(UserRepository), rt.repository(SessionRepository), _limiter(rt), credentials,
                       ttl_seconds=rt.settings.session_ttl_seconds, dummy_hash=_dummy_hash(rt),
                       now=datetime.now(UTC))
    except NotAnEmail:
        raise parsing.invalid("email", "is not an email address") from None
    except InvalidCredentials:
        raise ApiError(401, "the email or the password is wrong", error="invalid_credentials") from None
    except TooManyFailures as exc:
        raise ApiError(429, f"too many failed logins; retry in {exc.retry_after} s",
                       headers={"Retry-After": str(exc.retry_after)}) from None
    return jsonify({"token": issued.token, "expires_at": instant(issued.expires_at)})


@blueprint.post("/auth/logout")
def log_out() -> ResponseReturnValue:
    require_user()
    close_session(runtime(current_app).repository(SessionRepository), bearer_token())
    return Response(status=204)
