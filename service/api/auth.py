"""Sign-up and sessions: POST /users, POST /auth/login, POST /auth/logout (docs/api.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from service.api import answers, parsing
from service.api.bearer import bearer_token, require_user
from service.auth.devices import MAX_TOKEN_CHARS
from service.auth.login import Credentials, InvalidCredentials, NotAnEmail, TooManyFailures, login
from service.auth.sessions import close_session
from service.auth.signup import TooManySignUps, sign_up
from service.bootstrap import Runtime, runtime
from service.history.rows import instant
from service.http.errors import ApiError
from service.http.responses import send
from service.users.registration import EmailTaken, NewUser, RegistrationError

blueprint = Blueprint("auth", __name__)


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
    device_token: Annotated[str | None, Field(max_length=MAX_TOKEN_CHARS)] = None


def prepare(rt: Runtime) -> None:
    """Called when the app is made: the dummy hash costs one bcrypt round at the real cost,
    which the first unknown-email login must not pay on its own (its timing would tell)."""
    rt.dummy_password_hash()


def _too_many(what: str, retry_after: int) -> ApiError:
    return ApiError(429, f"too many {what}; retry in {retry_after} s", headers={"Retry-After": str(retry_after)})


@blueprint.post("/users")
def create_user() -> ResponseReturnValue:
    rt = runtime(current_app)
    new = parsing.body(SignUp)
    try:
        user = sign_up(rt.users(), rt.limit_windows(),
                       NewUser(new.email, new.password, new.name, new.time_zone),
                       address=request.remote_addr or "unknown", settings=rt.settings, now=datetime.now(UTC))
    except RegistrationError as exc:
        raise parsing.invalid(exc.field, exc.message) from None
    except TooManySignUps as exc:
        raise _too_many("sign-ups from this address", exc.retry_after) from None
    except EmailTaken:
        raise ApiError(409, "this email is already registered", error="email_taken") from None
    return send(answers.SignedUp(str(user.user_id), user.email, user.name), 201)


@blueprint.post("/auth/login")
def log_in() -> ResponseReturnValue:
    rt = runtime(current_app)
    given = parsing.body(Login)
    credentials = Credentials(given.email, given.password, request.remote_addr or "unknown", given.device_token)
    try:
        done = login(rt.users(), rt.sessions(), rt.limit_windows(), credentials,
                     settings=rt.settings, dummy_hash=rt.dummy_password_hash(), now=datetime.now(UTC))
    except NotAnEmail:
        raise parsing.invalid("email", "is not an email address") from None
    except InvalidCredentials:
        raise ApiError(401, "the email or the password is wrong", error="invalid_credentials") from None
    except TooManyFailures as exc:
        raise _too_many("failed logins", exc.retry_after) from None
    return send(answers.LoginSession(done.session.token, instant(done.session.expires_at) or "", done.device_token))


@blueprint.post("/auth/logout")
def log_out() -> ResponseReturnValue:
    require_user()
    close_session(runtime(current_app).sessions(), bearer_token())
    return Response(status=204)
