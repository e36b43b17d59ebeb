"""`tally backfill`: page a bank's list API and publish every transaction to `tally.backfill`.

A checkpoint (the next page token) is written after each page whose messages the broker
confirmed, so a run that is killed resumes at the page it had not finished; that page may be
published twice, which is harmless: consumers write idempotently, keyed by the bank's id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from service.banks.client import PartnerApiClient
from service.banks.listing import PAGE_SIZE, list_page
from service.repair.publishing import BackfillPublisher
from service.repositories.backfill import Checkpoint, CheckpointRepository
from service.repositories.partners import Partner


@dataclass(frozen=True)
class AccountProgress:
    account_number: str
    pages: int
    transactions: int
    resumed_at_page: int  # 0: a fresh start
    done: bool


Progress = Callable[[AccountProgress], None]


def backfill_account(*, partner: Partner, account: str, first: date, last: date, client: PartnerApiClient,
                     publisher: BackfillPublisher, checkpoints: CheckpointRepository, restart: bool = False,
                     page_size: int = PAGE_SIZE, progress: Progress | None = None) -> AccountProgress:
    """Backfills one account (resuming from its checkpoint unless `restart`); raises the
    bank's or the broker's error when a page cannot be fetched or confirmed."""
    if restart:
        checkpoints.clear(partner.partner_id, account, first, last)
    state = checkpoints.get(partner.partner_id, account, first, last)
    resumed = state.pages
    current = AccountProgress(account, state.pages, state.transactions, resumed, state.done)
    while not current.done:
        page = list_page(client, partner, account, first, last, page_token=state.next_page_token,
                         page_size=page_size)
        published = publisher.publish(page.transactions)
        state = Checkpoint(page.next_page_token, state.pages + 1, state.transactions + published,
                           page.next_page_token is None)
        checkpoints.put(partner.partner_id, account, first, last, state)
        current = AccountProgress(account, state.pages, state.transactions, resumed, state.done)
        if progress:
            progress(current)
    return current
