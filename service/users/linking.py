"""Linking a bank account to a user: `tally link-account` and `POST /me/accounts` both call
`link_account`. The link is written first (LWT claim), then `account_linked` is published to
`tally.links` so a consumer drains the transactions held for the account (DESIGN.md §4)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from service.broker.publisher import PublisherPool
from service.broker.topology import LINKS
from service.repositories.accounts import AccountRepository


class AccountTaken(Exception):
    """Another user owns this account."""


@dataclass(frozen=True)
class LinkResult:
    partner_id: str
    account_number: str
    card_ids: frozenset[str]
    created: bool   # False: this user had it already (a repeat)


def link_account(accounts: AccountRepository, publishers: PublisherPool, *, user_id: uuid.UUID, partner_id: str,
                 account_number: str, card_ids: frozenset[str]) -> LinkResult:
    """Raises AccountTaken, or PublishError when the event could not be queued (the link stays;
    calling again republishes, and draining twice is harmless)."""
    claim = accounts.claim(user_id, partner_id, account_number, card_ids)
    if claim.owner != user_id:
        raise AccountTaken(f"{partner_id}/{account_number}")
    event = {"type": "account_linked", "partner_id": partner_id, "account_number": account_number,
             "user_id": str(user_id)}
    publishers.publish(json.dumps(event).encode(), LINKS, message_id=uuid.uuid4().hex,
                       headers={"partner_id": partner_id, "kind": "account_linked"})
    return LinkResult(partner_id, account_number, card_ids, claim.created)


def unlink_account(accounts: AccountRepository, user_id: uuid.UUID, partner_id: str, account_number: str) -> bool:
    """False when the user does not own the account."""
    return accounts.release(user_id, partner_id, account_number)
