"""`GET /me`: who the user is, their time zone, last login and last transaction, and their
linked accounts with cards."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from service.history.rows import instant
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


def to_json(found: Profile) -> dict[str, Any]:
    user = found.user
    return {
        "user_id": str(user.user_id), "email": user.email, "name": user.name, "time_zone": user.time_zone,
        "last_login_at": instant(found.activity.last_login_at),
        "last_transaction_at": instant(found.activity.last_transaction_at),
        "accounts": [{"partner_id": a.partner_id, "account_number": a.account_number,
                      "card_ids": sorted(a.card_ids), "linked_at": instant(a.linked_at)}
                     for a in sorted(found.accounts, key=lambda a: (a.partner_id, a.account_number))],
    }
