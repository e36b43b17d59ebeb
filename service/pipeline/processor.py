"""The pipeline proper: versions, placement, held accounts, rules, classification, one
idempotent write (docs/design.md, "A transaction's life").

Per batch of deliveries:
1. **Versions.** A webhook's time is when Tally first saw its webhook-id (`webhook_first_seen`),
   so a bank's late retry or a replayed capture of an older version keeps its old time; within
   one status the version with the later time wins (or the bank's `updated_at`, when it sends
   one). See service/repositories/transactions.py for the write timestamps that enforce it.
2. **Placement.** A transaction already stored keeps its owner and its row (one transaction
   id is one row, whatever `authorized_at` or owner a later version would give it). A new one
   belongs to its account's owner, read now and never cached: once an unlink or a link has
   answered, the next transaction of that account goes to the new owner.
3. **Held accounts.** A transaction of an account nobody owns is parked in
   `held_by_account`; right after parking the owner is read again at SERIAL, so a link
   committed meanwhile is seen and the transaction is written now (the `account_linked` drain
   may write it too: writes are idempotent).
4. **Classify and write** both transaction tables, then the sync feed's change log (an entry
   per row written, after the rows committed: service/repositories/changes.py).

`drain` writes an account's held transactions a page at a time. A held payload the contract
refuses now (rules change over the 400 days a row may wait) is handed to `reject`, which
dead-letters it with its reason, and removed; the rest of the account drains.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from service.classification.classifier import Classification
from service.classification.merchant_key import merchant_key
from service.contract import InvalidBody, Transaction, parse_transaction
from service.pipeline.classify import ClassificationStep, Subject
from service.pipeline.deliveries import Delivery, held_delivery
from service.repositories.accounts import AccountRepository
from service.repositories.changes import ADDED, MODIFIED, Change, ChangeLogRepository
from service.repositories.first_seen import FirstSeenRepository, Sighting
from service.repositories.held import HeldRepository, HeldTransaction
from service.repositories.rules import UserRuleRepository
from service.repositories.transactions import (
    STATUS_RANK,
    Placement,
    TransactionRepository,
    TransactionRow,
    fact_timestamp,
)

AccountKey = tuple[str, str]  # (partner_id, account_number)
TransactionKey = tuple[str, str]  # (partner_id, transaction_id)
Reject = Callable[[HeldTransaction, str], None]


@dataclass
class Outcome:
    written: list[TransactionRow] = field(default_factory=list)
    parked: list[HeldTransaction] = field(default_factory=list)
    rejected: list[HeldTransaction] = field(default_factory=list)


@dataclass(frozen=True)
class _Item:
    delivery: Delivery
    transaction: Transaction
    index: int  # in its delivery

    @property
    def account(self) -> AccountKey:
        return (self.delivery.partner_id, self.transaction.account_number)

    @property
    def key(self) -> TransactionKey:
        return (self.delivery.partner_id, self.transaction.transaction_id)

    @property
    def version_at(self) -> datetime:
        return self.transaction.updated_utc or self.delivery.received_at

    @property
    def write_timestamp(self) -> int:
        return fact_timestamp(self.transaction.status, self.version_at)

    def placed_with(self, owner: uuid.UUID) -> Placement:
        """Where this version would put a new transaction of `owner`."""
        authorized = self.transaction.authorized_utc
        return Placement(owner, authorized.date(), authorized)


class TransactionPipeline:
    def __init__(self, *, accounts: AccountRepository, held: HeldRepository, rules: UserRuleRepository,
                 transactions: TransactionRepository, sightings: FirstSeenRepository,
                 changes: ChangeLogRepository, classifier: ClassificationStep,
                 enrich_later: Callable[[Sequence[TransactionRow]], None] | None = None) -> None:
        self.accounts = accounts
        self.held = held
        self.rules = rules
        self.transactions = transactions
        self.sightings = sightings
        self.changes = changes
        self.classifier = classifier
        self.enrich_later = enrich_later  # called with rows the merchant API did not answer, once written

    def process(self, deliveries: Sequence[Delivery]) -> Outcome:
        """Writes (or parks) every transaction of `deliveries`; raises on any storage failure,
        after which the same call may be repeated."""
        items = [_Item(d, t, i) for d in self._first_seen(deliveries) for i, t in enumerate(d.transactions)]
        placements, stored = self._place(items)
        orphans = [item for item in items if placements[item.key] is None]
        parked = self._park(orphans) if orphans else []
        by_account: dict[AccountKey, list[_Item]] = defaultdict(list)
        for item in orphans:
            by_account[item.account].append(item)
        for account, waiting in by_account.items():
            owner = self.accounts.owner(*account, serial=True)  # linked while we were parking?
            if owner is not None:
                for item in _anchors(waiting).values():
                    placements[item.key] = item.placed_with(owner)
        outcome = Outcome()
        outcome.written = self._write([item for item in items if placements[item.key] is not None], placements,
                                      stored)
        outcome.parked = [h for h in parked if placements[(h.partner_id, h.transaction_id)] is None]
        self.held.delete([h for h in parked if placements[(h.partner_id, h.transaction_id)] is not None])
        return outcome

    def drain(self, partner_id: str, account_number: str, reject: Reject) -> Outcome:
        """Writes the account's held transactions if it is linked now, and deletes those."""
        outcome = Outcome()
        if self.accounts.owner(partner_id, account_number, serial=True) is None:
            return outcome
        for page in self.held.of_account(partner_id, account_number):
            deliveries, readable, refused = [], [], []
            for held in page:
                try:
                    transaction = parse_transaction(held.payload)
                except InvalidBody as exc:
                    reject(held, f"held payload refused by the contract: {exc.details[:3]}")
                    refused.append(held)
                    continue
                deliveries.append(held_delivery(partner_id, held.payload, transaction, held.received_at,
                                                held.request_id))
                readable.append(held)
            self.held.delete(refused)  # dead-lettered by `reject` first: never dropped
            done = self.process(deliveries)
            written = {row.transaction_id for row in done.written}
            self.held.delete([h for h in readable if h.transaction_id in written])
            outcome.written.extend(done.written)
            outcome.parked.extend(done.parked)
            outcome.rejected.extend(refused)
        return outcome

    def _first_seen(self, deliveries: Sequence[Delivery]) -> list[Delivery]:
        """Each webhook dated by the first sight of its webhook-id (a retry or a replay of an
        older version keeps that older time)."""
        seen = [(i, Sighting(d.partner_id, d.webhook_id, d.received_at))
                for i, d in enumerate(deliveries) if d.webhook_id]
        dated = list(deliveries)
        if seen:
            for (i, _), first in zip(seen, self.sightings.first_seen([s for _, s in seen]), strict=True):
                dated[i] = dated[i].first_seen_at(first)
        return dated

    def _place(self, items: list[_Item]) -> tuple[dict[TransactionKey, Placement | None], set[TransactionKey]]:
        """Stored transactions keep their place; a new one goes where its first version in
        this batch puts it, with its account's current owner (None: nobody owns it). Also
        returns the keys stored before."""
        placements: dict[TransactionKey, Placement | None] = dict(
            self.transactions.placements({item.key for item in items}))
        stored = set(placements)
        anchors = _anchors([item for item in items if item.key not in placements])
        owners = self.accounts.owners({item.account for item in anchors.values()})
        for key, item in anchors.items():
            owner = owners.get(item.account)
            placements[key] = item.placed_with(owner) if owner is not None else None
        return placements, stored

    def _park(self, orphans: list[_Item]) -> list[HeldTransaction]:
        payloads: dict[int, list[str]] = {}
        held = []
        for item in orphans:
            texts = payloads.setdefault(id(item.delivery), item.delivery.payloads())
            held.append(HeldTransaction(item.delivery.partner_id, item.transaction.account_number,
                                        item.transaction.transaction_id, texts[item.index],
                                        item.delivery.received_at, item.delivery.request_id, item.write_timestamp))
        self.held.park(held)
        return held

    def _write(self, items: list[_Item], placements: dict[TransactionKey, Placement | None],
               stored: set[TransactionKey]) -> list[TransactionRow]:
        if not items:
            return []
        placed = [(item, _placed(placements, item)) for item in items]
        rules = self.rules.categories_of({place.user_id for _, place in placed})
        subjects = []
        for item, place in placed:
            merchant = item.transaction.merchant
            key = merchant_key(merchant.name, merchant.city, merchant.country)
            subjects.append(Subject(item.transaction, place.user_id, key, rules.get(place.user_id, {}).get(key)))
        decisions = self.classifier.classify(subjects)
        rows = [_row(item, place, subject, d.classification)
                for (item, place), subject, d in zip(placed, subjects, decisions, strict=True)]
        self.transactions.write(rows)
        self.changes.record(list({(row.user_id, row.partner_id, row.transaction_id): Change(
            row.user_id, row.partner_id, row.transaction_id,
            MODIFIED if (row.partner_id, row.transaction_id) in stored else ADDED) for row in rows}.values()))
        later = [row for row, d in zip(rows, decisions, strict=True) if d.enrich_later]
        if later and self.enrich_later is not None:
            self.enrich_later(later)
        return rows


def _placed(placements: dict[TransactionKey, Placement | None], item: _Item) -> Placement:
    place = placements[item.key]
    if place is None:
        raise ValueError(f"{item.key} has no owner to be written to")
    return place


def _anchors(items: Sequence[_Item]) -> dict[TransactionKey, _Item]:
    """Per transaction, the version that places it: the first seen (then the lowest status)."""
    anchors: dict[TransactionKey, _Item] = {}
    for item in sorted(items, key=lambda i: (i.delivery.received_at, STATUS_RANK[i.transaction.status])):
        anchors.setdefault(item.key, item)
    return anchors


def _row(item: _Item, place: Placement, subject: Subject, classification: Classification) -> TransactionRow:
    t = item.transaction
    return TransactionRow(
        user_id=place.user_id, partner_id=item.delivery.partner_id, transaction_id=t.transaction_id,
        account_number=t.account_number, card_id=t.card_id, amount=t.amount_decimal, currency=t.currency,
        status=t.status, authorized_at=place.ts, settled_at=t.settled_utc,
        received_at=item.delivery.received_at.astimezone(UTC), merchant_name=t.merchant.name,
        merchant_mcc=t.merchant.mcc, merchant_city=t.merchant.city, merchant_country=t.merchant.country,
        description=t.description, merchant_key=subject.merchant_key, category=classification.category,
        category_source=classification.source, category_confidence=classification.confidence,
        version_at=item.version_at)
