"""`POST /me/accounts`: the bank issued its customer a one-time link code; Tally exchanges it
with the bank's API for the account and cards, then links them through the same
`link_account` as `tally link-account` (LWT claim, then the `account_linked` event)."""

from __future__ import annotations

import uuid

from service.banks.client import PartnerApiClient
from service.broker.publisher import PublisherPool
from service.repositories.accounts import AccountRepository
from service.repositories.link_outbox import LinkOutboxRepository
from service.repositories.partners import PartnerRepository
from service.repositories.users import UserRepository
from service.users.linking import LinkResult, link_account


class UnknownPartner(LookupError):
    """No such partner, disabled, or without an API to exchange codes with."""


class UserErased(LookupError):
    """The user was erased while the link was being made; the claim was undone."""


def link_with_code(partners: PartnerRepository, bank: PartnerApiClient, accounts: AccountRepository,
                   outbox: LinkOutboxRepository, publishers: PublisherPool, *, users: UserRepository,
                   user_id: uuid.UUID, partner_id: str, link_code: str) -> LinkResult:
    """Raises UnknownPartner; the bank client's UnknownLinkCode, BankUnavailable, BankError;
    link_account's AccountTaken; UserErased.

    The user row is read again after the claim: an erase that raced this link either finds the
    claim when it releases the accounts a second time, or deleted the user row first, and then
    the claim is undone here (service/users/erasure.py)."""
    partner = partners.get(partner_id)
    if partner is None or not partner.enabled or not partner.api_base_url:
        raise UnknownPartner(partner_id)
    exchanged = bank.exchange_link_code(partner, link_code)
    linked = link_account(accounts, outbox, publishers, user_id=user_id, partner_id=partner_id,
                          account_number=exchanged.account_number, card_ids=exchanged.card_ids)
    if users.get(user_id) is None:
        accounts.release(user_id, partner_id, exchanged.account_number)
        raise UserErased(str(user_id))
    return linked
