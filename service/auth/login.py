"""`POST /auth/login`: limits first, then the password, then a session and a device token.

Unknown email and wrong password give the same answer after the same work: the same reads
(a second, empty user read for an unknown email), one bcrypt check at the configured cost
(against a dummy hash for an unknown email) and the same failure writes. A device token
changes which limits apply (service.auth.ratelimit), never the work done. A login writes only
its own session row and its own `user_activity.last_login_at` cell: nothing ingestion locks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from service import metrics
from service.auth import devices
from service.auth.passwords import check_password
from service.auth.ratelimit import FixedWindows, login_windows
from service.auth.sessions import IssuedSession, close_session, open_session
from service.repositories.sessions import SessionRepository
from service.repositories.users import UserRepository
from service.settings import Settings
from service.users.registration import is_email, normalize_email

_NOBODY = uuid.UUID(int=0)  # read for an unknown email, to match the reads of a known one


class InvalidCredentials(Exception):
    pass


class NotAnEmail(ValueError):
    """The email cannot be any account's (registration refuses it): no account is looked up.
    Answering so reveals nothing about accounts, only the public rule of what an email is, and
    an empty email never reaches Cassandra (an empty partition key is an error there)."""


class TooManyFailures(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str
    client_address: str
    device_token: str | None = None


@dataclass(frozen=True)
class LoggedIn:
    session: IssuedSession
    device_token: str  # for the next login from this device


def login(users: UserRepository, sessions: SessionRepository, windows: FixedWindows, credentials: Credentials, *,
          settings: Settings, dummy_hash: str, now: datetime) -> LoggedIn:
    """A new session, or NotAnEmail, InvalidCredentials, or TooManyFailures (checked before the
    password, and for a correct password too: the limit bounds guessing)."""
    email = normalize_email(credentials.email)
    if not is_email(email):
        raise NotAnEmail(email)
    device_id = devices.device_of(credentials.device_token, email, settings.device_secret, now)
    check = windows.check(login_windows(settings, email, credentials.client_address, device_id), now)
    if check.retry_after is not None:
        metrics.LOGINS.labels("limited").inc()
        raise TooManyFailures(check.retry_after)
    user = users.by_email(email)
    if user is None:
        users.get(_NOBODY)
    matches = check_password(credentials.password, user.password_hash if user is not None else dummy_hash)
    if user is None or not matches:
        windows.record(check)
        metrics.LOGINS.labels("failed").inc()
        raise InvalidCredentials()
    issued = open_session(sessions, user.user_id, settings.session_ttl_seconds, now)
    if users.get(user.user_id) is None:  # erased meanwhile (service/users/erasure.py): undo the session
        close_session(sessions, issued.token)
        raise InvalidCredentials()
    users.record_login(user.user_id, now)
    metrics.LOGINS.labels("ok").inc()
    return LoggedIn(issued, devices.issue(email, settings.device_secret, now, device_id))
