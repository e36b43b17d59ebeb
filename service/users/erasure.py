"""`DELETE /me`: erasing a user, everything Tally keeps of them (docs/api.md, "Erasing an account").

The password is checked first (limited per user: service.auth.ratelimit.erase_windows). Then,
in an order where a crash at any step leaves a user who can still log in and erase again
(every step is idempotent), and no request or consumer racing the erase can leave anything:

1. Sessions revoked; every account released (LWT): from now on the bank's transactions for
   those accounts are held for whoever links them next, never written to this user.
2. The transactions (each `transactions_by_id` row as of its stored version, every (user, day)
   partition and `user_days`), overrides, rules, budgets, the sync feed's change log and the
   link outbox rows.
3. The user row and the activity row; then sessions revoked and accounts released again (a
   login or a link that raced step 1 re-checks the user row after writing, and either sees it
   gone and undoes itself, or wrote before step 3 and is found here); the user's account list,
   session index and own failed-attempt window; last, the email claim (LWT, only if still
   this user's), so the email is free for a new sign-up.

User-keyed partitions are deleted USING TIMESTAMP of ERASED_RANK (service/repositories/
transactions.py): above every write timestamp the pipeline or the api uses, so a write that
read the owner before step 1 and lands after step 2 stays invisible. User ids are never reused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from service.auth.passwords import check_password
from service.auth.ratelimit import FixedWindows, erase_windows
from service.history.window import utc_month
from service.repositories.accounts import AccountRepository
from service.repositories.budgets import BudgetRepository
from service.repositories.changes import ChangeLogRepository
from service.repositories.history import HistoryRepository
from service.repositories.link_outbox import LinkOutboxRepository
from service.repositories.overrides import CategoryOverrideRepository
from service.repositories.rules import UserRuleRepository
from service.repositories.sessions import SessionRepository
from service.repositories.transactions import erase_timestamp
from service.repositories.users import UserRepository
from service.settings import Settings

CHANGE_LOG_DAYS = 33  # the change log's TTL (32 days) and a day of clock skew


class WrongPassword(Exception):
    pass


class TooManyAttempts(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class UserGone(LookupError):
    """The token's user does not exist (any more)."""


@dataclass(frozen=True)
class Erased:
    transactions: int
    accounts: int
    sessions: int


@dataclass(frozen=True)
class UserErasure:
    users: UserRepository
    sessions: SessionRepository
    accounts: AccountRepository
    history: HistoryRepository
    overrides: CategoryOverrideRepository
    rules: UserRuleRepository
    budgets: BudgetRepository
    changes: ChangeLogRepository
    outbox: LinkOutboxRepository
    windows: FixedWindows
    settings: Settings

    def erase_with_password(self, user_id: uuid.UUID, password: str, now: datetime) -> Erased:
        """Raises UserGone, TooManyAttempts (checked before the password) or WrongPassword."""
        user = self.users.get(user_id)
        if user is None:
            raise UserGone(str(user_id))
        check = self.windows.check(erase_windows(self.settings, str(user_id)), now)
        if check.retry_after is not None:
            raise TooManyAttempts(check.retry_after)
        if not check_password(password, user.password_hash):
            self.windows.record(check)
            raise WrongPassword()
        erased = self.erase(user_id, user.email, now)
        self.windows.forget(check)
        return erased

    def erase(self, user_id: uuid.UUID, email: str, now: datetime) -> Erased:
        """Erases the user (the steps above); safe to repeat after a failure at any step."""
        gone = erase_timestamp(now)
        sessions = self.sessions.revoke_all(user_id)
        accounts = self._release_accounts(user_id)
        days = self.history.days_of(user_id)
        transactions = self.history.erase(user_id, days, gone)
        self.overrides.erase(user_id, {utc_month(datetime.combine(d, datetime.min.time(), UTC)) for d in days}, gone)
        self.rules.erase(user_id, gone)
        self.budgets.erase(user_id, gone)
        self.changes.erase(user_id, now.astimezone(UTC).date(), CHANGE_LOG_DAYS, gone)
        self.outbox.forget_user(user_id, now)
        self.users.erase(user_id, gone)
        sessions += self.sessions.revoke_all(user_id)
        accounts += self._release_accounts(user_id)
        self.accounts.erase(user_id, gone)
        self.sessions.erase(user_id, gone)
        self.users.release_email(email, user_id)
        return Erased(transactions, accounts, sessions)

    def _release_accounts(self, user_id: uuid.UUID) -> int:
        mine = self.accounts.of_user(user_id)
        for account in mine:
            self.accounts.release(user_id, account.partner_id, account.account_number)
        return len(mine)
