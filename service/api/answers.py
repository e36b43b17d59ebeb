"""What the api instance answers, declared once: each JSON body is a msgspec Struct here, the
views send it through `service.http.responses.send`, and `/openapi.json` derives its schemas
from these same classes (service/api/openapi.py), so the document cannot drift from the wire.

The functions below turn the service layer's results (service.history, service.users) into
these shapes; the service layer itself knows nothing of JSON.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import msgspec
from msgspec import Meta

from service.classification.categories import CATEGORIES, CATEGORY_BY_SLUG, SOURCES
from service.history.amounts import format_amount
from service.history.budgets import THRESHOLDS
from service.history.budgets import Alert as FoundAlert
from service.history.budgets import Progress as FoundProgress
from service.history.feed import STATUSES
from service.history.rows import Labelled, instant
from service.history.summary import Summary as FoundSummary
from service.history.sync import SyncPage as FoundSyncPage
from service.repositories.budgets import Budget as FoundBudget
from service.repositories.rules import UserRule
from service.users.profile import Profile as FoundProfile

Instant = Annotated[str, Meta(extra_json_schema={"format": "date-time"})]
Money = Annotated[str, Meta(description="a decimal at the currency's scale; negative = money out")]
CategorySlug = Annotated[str, Meta(extra_json_schema={"enum": [c.slug for c in CATEGORIES]})]
SourceName = Annotated[str, Meta(extra_json_schema={"enum": [s.name for s in SOURCES]})]
Status = Annotated[str, Meta(extra_json_schema={"enum": list(STATUSES)})]


class Answer(msgspec.Struct, forbid_unknown_fields=True):
    """An answer's body: exactly these fields (the document says `additionalProperties: false`)."""


class SignedUp(Answer):
    user_id: str
    email: str
    name: str


class LoginSession(Answer):
    token: str
    expires_at: Instant
    device_token: str


class Account(Answer):
    partner_id: str
    account_number: str
    card_ids: list[str]
    linked_at: Instant | None


class Profile(Answer):
    user_id: str
    email: str
    name: str
    time_zone: str
    last_login_at: Instant | None
    last_transaction_at: Instant | None
    accounts: list[Account]


class LinkedAccount(Answer):
    partner_id: str
    account_number: str
    card_ids: list[str]


class ListedMerchant(Answer):
    name: str
    mcc: str | None


class ListedTransaction(Answer):
    partner_id: str
    transaction_id: str
    account_number: str
    card_id: str
    amount: Money
    currency: str
    status: Status
    authorized_at: Instant
    settled_at: Instant | None
    merchant: ListedMerchant
    category: CategorySlug
    category_source: SourceName
    category_confidence: Annotated[float, Meta(ge=0, le=1)]


class TransactionPage(Answer):
    transactions: list[ListedTransaction]
    next_cursor: str | None


class Rule(Answer):
    merchant_key: str
    category: str
    created_at: Instant | None
    updated_at: Instant | None


class Rules(Answer):
    rules: list[Rule]


class CategoryTotal(Answer):
    category: str
    name: str
    spend: Money
    income: Money
    transactions: int


class CurrencyTotal(Answer):
    currency: str
    spend: Money
    income: Money
    categories: list[CategoryTotal]


class BudgetProgress(Answer):
    category: str
    name: str
    currency: str
    amount: Money
    spent: Money
    remaining: Money
    percent: Annotated[float, Meta(description="spent / amount × 100, one decimal; over 100 when overspent")]


class MonthSummary(Answer):
    month: str
    time_zone: str
    currencies: list[CurrencyTotal]
    budgets: list[BudgetProgress]


class Budget(Answer):
    category: str
    name: str
    amount: Money
    currency: str
    updated_at: Instant | None


class Budgets(Answer):
    budgets: list[Budget]


class Alert(BudgetProgress):
    """A budget's progress when it crossed a threshold."""

    threshold: Annotated[int, Meta(extra_json_schema={"enum": list(THRESHOLDS)})]
    crossed_at: Instant


class Alerts(Answer):
    month: str
    time_zone: str
    alerts: list[Alert]


class Removed(Answer):
    partner_id: str
    transaction_id: str


class SyncPage(Answer):
    added: list[ListedTransaction]
    modified: list[ListedTransaction]
    removed: list[Removed]
    next_cursor: str
    has_more: bool


class Category(Answer):
    slug: CategorySlug
    name: str


class Categories(Answer):
    categories: list[Category]


SCHEMAS: tuple[type[Answer], ...] = (SignedUp, LoginSession, Profile, LinkedAccount, TransactionPage, Rules,
                                     MonthSummary, Categories, Budget, Budgets, Alerts, SyncPage)


def listed(item: Labelled) -> ListedTransaction:
    row = item.row
    return ListedTransaction(
        partner_id=row.partner_id, transaction_id=row.transaction_id, account_number=row.account_number,
        card_id=row.card_id, amount=format_amount(row.amount, row.currency), currency=row.currency,
        status=row.status, authorized_at=instant(row.authorized_at) or "", settled_at=instant(row.settled_at),
        merchant=ListedMerchant(row.merchant_name, row.merchant_mcc), category=item.category,
        category_source=item.source,
        # stored as a 32-bit float: 0.95 reads back as 0.949999988…
        category_confidence=round(item.confidence, 3))


def profile(found: FoundProfile) -> Profile:
    user = found.user
    accounts = sorted(found.accounts, key=lambda a: (a.partner_id, a.account_number))
    return Profile(
        user_id=str(user.user_id), email=user.email, name=user.name, time_zone=user.time_zone,
        last_login_at=instant(found.activity.last_login_at),
        last_transaction_at=instant(found.activity.last_transaction_at),
        accounts=[Account(a.partner_id, a.account_number, sorted(a.card_ids), instant(a.linked_at)) for a in accounts])


def rules(found: list[UserRule]) -> Rules:
    return Rules([Rule(r.merchant_key, r.category, instant(r.created_at), instant(r.updated_at))
                  for r in sorted(found, key=lambda r: r.merchant_key)])


def summary(found: FoundSummary, progress: list[FoundProgress]) -> MonthSummary:
    def money(amount: Decimal, currency: str) -> str:
        return format_amount(amount, currency)

    return MonthSummary(found.month, found.time_zone, [
        CurrencyTotal(c.currency, money(c.spend, c.currency), money(c.income, c.currency), [
            CategoryTotal(t.category, _name(t.category), money(t.spend, c.currency), money(t.income, c.currency),
                          t.transactions) for t in c.categories])
        for c in found.currencies], [budget_progress(p) for p in progress])


def budget(found: FoundBudget) -> Budget:
    return Budget(found.category, _name(found.category), format_amount(found.amount, found.currency),
                  found.currency, instant(found.updated_at))


def budget_progress(p: FoundProgress) -> BudgetProgress:
    currency = p.budget.currency
    return BudgetProgress(p.budget.category, _name(p.budget.category), currency,
                          format_amount(p.budget.amount, currency), format_amount(p.spent, currency),
                          format_amount(p.remaining, currency), p.percent)


def alert(found: FoundAlert) -> Alert:
    p = budget_progress(found.progress)
    return Alert(p.category, p.name, p.currency, p.amount, p.spent, p.remaining, p.percent, found.threshold,
                 instant(found.crossed_at) or "")


def sync_page(page: FoundSyncPage) -> SyncPage:
    return SyncPage([listed(item) for item in page.added], [listed(item) for item in page.modified],
                    [Removed(p, t) for p, t in page.removed], page.next_cursor, page.has_more)


def categories() -> Categories:
    return Categories([Category(c.slug, c.name) for c in CATEGORIES])


def _name(slug: str) -> str:
    category = CATEGORY_BY_SLUG.get(slug)
    return category.name if category else slug
