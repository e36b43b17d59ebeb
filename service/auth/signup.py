"""`POST /users`: a sign-up is counted against its client address after its input is checked
and before its bcrypt (about a third of a core-second at cost 12), so one client cannot keep
the api's cores busy with sign-ups. The count lives in Cassandra: every api instance shares it.
`tally create-user` (operators) calls `register` and is not limited."""

from __future__ import annotations

from datetime import datetime

from service.auth.ratelimit import FixedWindows, signup_windows
from service.repositories.users import User, UserRepository
from service.settings import Settings
from service.users.registration import NewUser, check, create


class TooManySignUps(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


def sign_up(users: UserRepository, windows: FixedWindows, new: NewUser, *, address: str, settings: Settings,
            now: datetime) -> User:
    """The new user. Raises RegistrationError (nothing counted), TooManySignUps or EmailTaken."""
    checked = check(new)
    retry_after = windows.take(signup_windows(settings, address), now)
    if retry_after is not None:
        raise TooManySignUps(retry_after)
    return create(users, checked, settings.bcrypt_cost)
