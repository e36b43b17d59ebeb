"""The pipeline proper: owners, held accounts, rules, classification, one idempotent write.

A transaction whose account nobody has linked is parked in `held_by_account`; right after
parking, the owner is read again at SERIAL, so a link committed meanwhile is seen and the
transaction is written now (the `account_linked` drain may write it too: writes are
idempotent). `drain` writes an account's held transactions and deletes only those written.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC

from cachetools import TTLCache

from service.classification.merchant_key import merchant_key
from service.contract import Transaction, parse_transaction
from service.pipeline.classify import ClassificationStep, Subject
from service.pipeline.deliveries import Delivery
from service.repositories.accounts import AccountRepository
from service.repositories.held import HeldRepository, HeldTransaction
from service.repositories.rules import UserRuleRepository
from service.repositories.transactions import TransactionRepository, TransactionRow

AccountKey = tuple[str, str]  # (partner_id, account_number)


@dataclass
class Outcome:
    written: list[TransactionRow] = field(default_factory=list)
    parked: list[HeldTransaction] = field(default_factory=list)


@dataclass(frozen=True)
class _Item:
    delivery: Delivery
    transaction: Transaction

    @property
    def account(self) -> AccountKey:
        return (self.delivery.partner_id, self.transaction.account_number)


class TransactionPipeline:
    def __init__(self, *, accounts: AccountRepository, held: HeldRepository, rules: UserRuleRepository,
                 transactions: TransactionRepository, classifier: ClassificationStep,
                 enrich_later: Callable[[Sequence[TransactionRow]], None] | None = None,
                 owner_cache_seconds: float = 30.0) -> None:
        self.accounts = accounts
        self.held = held
        self.rules = rules
        self.transactions = transactions
        self.classifier = classifier
        self.enrich_later = enrich_later  # called with rows the merchant API did not answer, once written
        # Positive answers only: a link is rare and then stable; an unlinked account is always
        # re-read, so a new link takes effect at once. Unlinking takes effect within the TTL.
        self._owners: TTLCache[AccountKey, uuid.UUID] = TTLCache(maxsize=100_000, ttl=owner_cache_seconds)

    def process(self, deliveries: Sequence[Delivery]) -> Outcome:
        """Writes (or parks) every transaction of `deliveries`; raises on any storage failure,
        after which the same call may be repeated."""
        items = [_Item(d, t) for d in deliveries for t in d.transactions]
        owners = self._owners_of({item.account for item in items})
        orphans = [item for item in items if owners.get(item.account) is None]
        parked = self._park(orphans) if orphans else []
        for key in {item.account for item in orphans}:
            owner = self.accounts.owner(*key, serial=True)  # linked while we were parking?
            if owner is not None:
                owners[key] = self._owners[key] = owner
        outcome = Outcome()
        outcome.written = self._write([item for item in items if owners.get(item.account) is not None], owners)
        outcome.parked = [h for h in parked if owners.get((h.partner_id, h.account_number)) is None]
        self.held.delete([h for h in parked if owners.get((h.partner_id, h.account_number)) is not None])
        return outcome

    def drain(self, partner_id: str, account_number: str) -> Outcome:
        """Writes the account's held transactions (if it is linked now) and deletes those."""
        held = self.held.of_account(partner_id, account_number)
        deliveries = [Delivery(partner_id, h.received_at, h.request_id,
                               [parse_transaction(h.payload)],
                               json.dumps({"transactions": [json.loads(h.payload)]}).encode())
                      for h in held]
        outcome = self.process(deliveries)
        written = {row.transaction_id for row in outcome.written}
        self.held.delete([h for h in held if h.transaction_id in written])
        return outcome

    def _owners_of(self, keys: set[AccountKey]) -> dict[AccountKey, uuid.UUID | None]:
        owners: dict[AccountKey, uuid.UUID | None] = {}
        missing = set()
        for key in keys:
            cached = self._owners.get(key)
            if cached is None:
                missing.add(key)
            else:
                owners[key] = cached
        for key, owner in self.accounts.owners(missing).items():
            owners[key] = owner
            if owner is not None:
                self._owners[key] = owner
        return owners

    def _park(self, orphans: list[_Item]) -> list[HeldTransaction]:
        payloads: dict[int, dict[str, str]] = {}
        held = []
        for item in orphans:
            by_id = payloads.setdefault(id(item.delivery), item.delivery.payloads())
            held.append(HeldTransaction(item.delivery.partner_id, item.transaction.account_number,
                                        item.transaction.transaction_id, by_id[item.transaction.transaction_id],
                                        item.delivery.received_at, item.delivery.request_id))
        self.held.park(held)
        return held

    def _write(self, items: list[_Item], owners: dict[AccountKey, uuid.UUID | None]) -> list[TransactionRow]:
        if not items:
            return []
        users = {owners[item.account] for item in items}
        rules = self.rules.categories_of(u for u in users if u is not None)
        subjects = []
        for item in items:
            user_id = owners[item.account]
            assert user_id is not None
            merchant = item.transaction.merchant
            key = merchant_key(merchant.name, merchant.city, merchant.country)
            subjects.append(Subject(item.transaction, user_id, key, rules.get(user_id, {}).get(key)))
        decisions = self.classifier.classify(subjects)
        rows = [_row(item, subject, d.classification.category, d.classification.source, d.classification.confidence)
                for item, subject, d in zip(items, subjects, decisions, strict=True)]
        self.transactions.write(rows)
        later = [row for row, d in zip(rows, decisions, strict=True) if d.enrich_later]
        if later and self.enrich_later is not None:
            self.enrich_later(later)
        return rows


def _row(item: _Item, subject: Subject, category: str, source: str, confidence: float) -> TransactionRow:
    t = item.transaction
    return TransactionRow(
        user_id=subject.user_id, partner_id=item.delivery.partner_id, transaction_id=t.transaction_id,
        account_number=t.account_number, card_id=t.card_id, amount=t.amount_decimal, currency=t.currency,
        status=t.status, authorized_at=t.authorized_utc, settled_at=t.settled_utc,
        received_at=item.delivery.received_at.astimezone(UTC), merchant_name=t.merchant.name,
        merchant_mcc=t.merchant.mcc, merchant_city=t.merchant.city, merchant_country=t.merchant.country,
        description=t.description, merchant_key=subject.merchant_key, category=category,
        category_source=source, category_confidence=confidence)
