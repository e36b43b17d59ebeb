"""Who may own a transaction, given when the bank sent it and when its account changed hands.

An account moves from user A to user B in two API calls: `DELETE /me/accounts/...` by A, then
`POST /me/accounts` by B with a fresh link code. From the moment the unlink is sent until the
link has answered, ownership is changing: a transaction sent then may land with A (already
routed) or with B (held, then drained on the link), but never both and never anyone else.

Tally's rule (docs/design.md, "Reliability"): a transaction belongs to whoever owns its account
when its first version is stored, and keeps that owner for every later version. So once a link
has answered, nothing the bank sends after goes to an earlier owner; a transaction sent before
the move but stored after it (it waited in the queue) goes to the new owner, as held ones do.
A transaction is sent once per version (pending, a correction, settled…); each send lasts from
its first attempt to the answer that accepted it. It may be owned by whoever owned its account
at some moment from its first send on.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Relink:
    """Account `account_number` moved from `from_user` to `to_user`. Times are seconds since
    the campaign started; `answered` is math.inf when the link never answered 2xx."""

    account_number: str
    from_user: str
    to_user: str
    started: float   # the unlink request was sent
    answered: float  # the link request answered 2xx


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    owners: frozenset[str]


@dataclass
class Ownership:
    initial: dict[str, str]  # account number → its owner when the campaign started
    relinks: list[Relink] = field(default_factory=list)

    def timeline(self, account_number: str) -> list[Window]:
        """The account's owners over time: stable windows with one owner, changing ones with two."""
        windows = []
        owner, since = self.initial[account_number], -math.inf
        for relink in sorted((r for r in self.relinks if r.account_number == account_number),
                             key=lambda r: r.started):
            windows.append(Window(since, relink.started, frozenset({owner})))
            windows.append(Window(relink.started, relink.answered, frozenset({relink.from_user, relink.to_user})))
            owner, since = relink.to_user, relink.answered
        windows.append(Window(since, math.inf, frozenset({owner})))
        return windows

    def owners_during(self, account_number: str, sends: Iterable[tuple[float, float]]) -> frozenset[str]:
        """Every user who owned the account at some moment of one of `sends` ((start, end) pairs)."""
        allowed: set[str] = set()
        timeline = self.timeline(account_number)
        for start, end in sends:
            for window in timeline:
                if window.start <= end and start <= window.end:
                    allowed |= window.owners
        return frozenset(allowed)


TWO_USERS = "rows for two users"
LATE = "stored for the new owner, though every send was accepted before the unlink was sent (allowed)"
STALE = "stored for the old owner, though first sent after the link had answered"
STRANGER = "stored for a user who never owned the account"


def misowning(stored_users: set[str], sends: list[tuple[float, float]], relinks: list[Relink]) -> str:
    """Why a misowned transaction's rows name the users they do: the two known ways (a message
    processed after the relink though sent before it; an owner read before the relink used
    after it) or a third."""
    if len(stored_users) > 1:
        return TWO_USERS
    user = next(iter(stored_users))
    for relink in relinks:
        if user == relink.to_user and all(end < relink.started for _, end in sends):
            return LATE
        if user == relink.from_user and all(start > relink.answered for start, _ in sends):
            return STALE
    return STRANGER
