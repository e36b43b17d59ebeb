"""Users and linked accounts for tests, made through the same functions the API uses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from service.bootstrap import Runtime
from service.users.registration import NewUser, register


@dataclass(frozen=True)
class LinkedUser:
    user_id: uuid.UUID
    email: str
    password: str
    partner_id: str
    account_number: str


def new_user(rt: Runtime, time_zone: str = "UTC") -> tuple[uuid.UUID, str, str]:
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    password = "correct horse battery"
    user = register(rt.users(), NewUser(email, password, "Test User", time_zone),
                    rt.settings.bcrypt_cost)
    return user.user_id, email, password


def linked_user(rt: Runtime, partner_id: str, time_zone: str = "UTC") -> LinkedUser:
    """A user owning a fresh account at `partner_id` (linked directly: no event needed)."""
    user_id, email, password = new_user(rt, time_zone)
    account = f"ACC-{uuid.uuid4().hex[:12]}"
    rt.accounts().claim(user_id, partner_id, account, frozenset({"card-1"}))
    return LinkedUser(user_id, email, password, partner_id, account)
