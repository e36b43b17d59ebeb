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
from service.users.linking import LinkResult, link_account


class UnknownPartner(LookupError):
    """No such partner, disabled, or without an API to exchange codes with."""


def link_with_code(partners: PartnerRepository, bank: PartnerApiClient, accounts: AccountRepository,
                   outbox: LinkOutboxRepository, publishers: PublisherPool, *, user_id: uuid.UUID, partner_id: str,
                   link_code: str) -> LinkResult:
    """Raises UnknownPartner; the bank client's UnknownLinkCode, BankUnavailable, BankError;
    link_account's AccountTaken."""
    partner = partners.get(partner_id)
    if partner is None or not partner.enabled or not partner.api_base_url:
        raise UnknownPartner(partner_id)
    exchanged = bank.exchange_link_code(partner, link_code)
    return link_account(accounts, outbox, publishers, user_id=user_id, partner_id=partner_id,
                        account_number=exchanged.account_number, card_ids=exchanged.card_ids)
