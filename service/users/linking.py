"""Linking a bank account to a user: `tally link-account` and `POST /me/accounts` both call
`link_account` (docs/api.md, "Linking").

The order keeps held transactions from ever being stranded: (1) the link is recorded in the
outbox, (2) the account is claimed (LWT), (3) `account_linked` is published to `tally.links`
so a consumer drains the transactions held for the account. If (3) fails — the broker is down
or a connection went stale — the link stands and the consumers' outbox sweep publishes the
event again; if the process dies between (1) and (2), the outbox row only causes one harmless
drain of whoever owns the account."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from service.broker.publisher import PublisherPool, PublishError
from service.broker.topology import LINKS
from service.repositories.accounts import AccountRepository
from service.repositories.changes import REMOVED, Change, ChangeLogRepository
from service.repositories.history import HistoryRepository
from service.repositories.link_outbox import LinkOutboxRepository

log = logging.getLogger("tally.linking")


class AccountTaken(Exception):
    """Another user owns this account."""


@dataclass(frozen=True)
class LinkResult:
    partner_id: str
    account_number: str
    card_ids: frozenset[str]
    created: bool   # False: this user had it already (a repeat)
    unqueued: str | None = None  # why account_linked was not queued (the outbox sweep publishes it)


def link_account(accounts: AccountRepository, outbox: LinkOutboxRepository, publishers: PublisherPool, *,
                 user_id: uuid.UUID, partner_id: str, account_number: str, card_ids: frozenset[str]) -> LinkResult:
    """Raises AccountTaken. A failed publish of the event does not fail the link (see above)."""
    hour = outbox.add(partner_id, account_number, user_id, datetime.now(UTC))
    claim = accounts.claim(user_id, partner_id, account_number, card_ids)
    if claim.owner != user_id:
        raise AccountTaken(f"{partner_id}/{account_number}")
    try:
        publish_linked(publishers, partner_id, account_number, user_id, hour)
    except PublishError as exc:
        return LinkResult(partner_id, account_number, card_ids, claim.created, str(exc))
    return LinkResult(partner_id, account_number, card_ids, claim.created)


def publish_linked(publishers: PublisherPool, partner_id: str, account_number: str, user_id: uuid.UUID,
                   hour: datetime) -> None:
    """The `account_linked` event; `outbox_hour` lets the draining consumer mark the outbox row."""
    event = {"type": "account_linked", "partner_id": partner_id, "account_number": account_number,
             "user_id": str(user_id), "outbox_hour": hour.isoformat()}
    publishers.publish(json.dumps(event).encode(), LINKS, message_id=uuid.uuid4().hex,
                       headers={"partner_id": partner_id, "kind": "account_linked"})


def unlink_account(accounts: AccountRepository, user_id: uuid.UUID, partner_id: str, account_number: str) -> bool:
    """False when the user does not own the account. The account's transactions stay the
    user's (they were theirs when stored); `forget_account` removes them too."""
    return accounts.release(user_id, partner_id, account_number)


def forget_account(accounts: AccountRepository, history: HistoryRepository, changes: ChangeLogRepository, *,
                   user_id: uuid.UUID, partner_id: str, account_number: str) -> int | None:
    """Unlinks the account and deletes its transactions from the user's history, each with a
    `removed` entry in the sync feed's change log. None when the user does not own the account;
    else how many transactions went. Unlinking first: from then on the bank's transactions for
    the account are held, not written to this user."""
    if not accounts.release(user_id, partner_id, account_number):
        return None
    gone = history.forget_account(user_id, history.days_of(user_id), partner_id, account_number)
    changes.record([Change(user_id, p, t, REMOVED) for p, t in gone])
    return len(gone)


def republish_pending(outbox: LinkOutboxRepository, publishers: PublisherPool, now: datetime,
                      grace: timedelta) -> int:
    """The outbox sweep: publishes `account_linked` again for every link not drained within
    `grace` (its first publish failed, or its consumer died) nor republished within twice that.
    Returns how many."""
    due = outbox.due(now, older_than=grace, republish_after=2 * grace)
    for link in due:
        publish_linked(publishers, link.partner_id, link.account_number, link.user_id, link.hour)
    outbox.mark_published(due, now)
    if due:
        log.info("account_linked republished from the outbox", extra={"links": len(due)})
    return len(due)
