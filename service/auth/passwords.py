"""Password checks that take the same time whether or not the account exists."""

from __future__ import annotations

import secrets

import bcrypt

from service.users.registration import MAX_PASSWORD_BYTES, hash_password


def dummy_hash(cost: int) -> str:
    """A hash of a random password at the real cost: checking a password against it for an
    unknown email costs what a real check costs, so timing does not reveal who is registered."""
    return hash_password(secrets.token_urlsafe(16), cost)


def check_password(password: str, password_hash: str) -> bool:
    """True when `password` matches. A password longer than bcrypt's 72 bytes can never match
    (registration refuses them) but is still hashed, for the same timing."""
    candidate = password.encode()
    too_long = len(candidate) > MAX_PASSWORD_BYTES
    try:
        matches = bcrypt.checkpw(candidate[:MAX_PASSWORD_BYTES], password_hash.encode())
    except ValueError:  # a malformed stored hash: no password matches it
        return False
    return matches and not too_long
