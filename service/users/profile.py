"""`GET /me`: who the user is, their time zone, last login and last transaction, and their
linked accounts with cards."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from service.repositories.accounts import AccountRepository, LinkedAccount
from service.repositories.users import Activity, User, UserRepository


@dataclass(frozen=True)
class Profile:
    user: User
    activity: Activity
    accounts: list[LinkedAccount]


def profile(users: UserRepository, accounts: AccountRepository, user_id: uuid.UUID) -> Profile | None:
    user = users.get(user_id)
    if user is None:
        return None
    return Profile(user, users.activity(user_id), accounts.of_user(user_id))
