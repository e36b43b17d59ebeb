"""Creating a user: `tally create-user` and `POST /users` both call `register`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import bcrypt

from service.repositories.users import User, UserRepository

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_BYTES, MAX_PASSWORD_BYTES = 8, 72  # bcrypt reads at most 72 bytes (bcrypt 5 refuses more)


class RegistrationError(ValueError):
    """Invalid input; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class EmailTaken(Exception):
    pass


@dataclass(frozen=True)
class NewUser:
    email: str
    password: str
    name: str
    time_zone: str = "UTC"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def is_email(normalized: str) -> bool:
    """Whether a normalised email can be an account's: every account's email passed this."""
    return len(normalized) <= 254 and EMAIL.match(normalized) is not None


def check(new: NewUser) -> NewUser:
    """The input, normalised, or RegistrationError naming the first bad field."""
    email = normalize_email(new.email)
    if not is_email(email):
        raise RegistrationError("email", "is not an email address")
    size = len(new.password.encode())
    if not MIN_PASSWORD_BYTES <= size <= MAX_PASSWORD_BYTES:
        raise RegistrationError("password", f"must be {MIN_PASSWORD_BYTES} to {MAX_PASSWORD_BYTES} bytes long")
    name = new.name.strip()
    if not 1 <= len(name) <= 100:
        raise RegistrationError("name", "must be 1 to 100 characters")
    if not valid_time_zone(new.time_zone):
        raise RegistrationError("time_zone", f"{new.time_zone!r} is not an IANA time zone")
    return NewUser(email, new.password, name, new.time_zone)


def valid_time_zone(name: str) -> bool:
    if name not in available_timezones() and name != "UTC":
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def hash_password(password: str, cost: int) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=cost)).decode()


def register(users: UserRepository, new: NewUser, bcrypt_cost: int) -> User:
    """Creates the user (users row first, then the LWT email claim). Raises RegistrationError
    or EmailTaken."""
    return create(users, check(new), bcrypt_cost)


def create(users: UserRepository, new: NewUser, bcrypt_cost: int) -> User:
    """`register` for input `check` accepted already. Raises EmailTaken."""
    user = users.create(new.email, new.name, hash_password(new.password, bcrypt_cost), new.time_zone)
    if user is None:
        raise EmailTaken(new.email)
    return user
