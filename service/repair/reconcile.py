"""`tally reconcile`: the bank's list of an account's transactions against what Tally has.

Matched by id through `transactions_by_id`; compared on status, amount (as decimals),
currency, authorized_at and settled_at (UTC, to the millisecond Cassandra keeps). A
transaction held for an unlinked account counts as present. "Extra" are rows Tally stored
for the account in the date range that the bank does not list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from service.banks.client import PartnerApiClient
from service.banks.listing import list_page
from service.repositories.held import HeldRepository
from service.repositories.partners import Partner
from service.repositories.reconcile import StoredFacts, TallyView


@dataclass
class Difference:
    transaction_id: str
    field: str
    bank: str | None
    tally: str | None


@dataclass
class AccountReport:
    account_number: str
    bank: int = 0
    tally: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    differing: list[Difference] = field(default_factory=list)
    repaired: int = 0

    @property
    def gaps(self) -> bool:
        return bool(self.missing or self.extra or self.differing)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "differing": [asdict(d) for d in self.differing]}


def bank_transactions(client: PartnerApiClient, partner: Partner, account: str, first: date,
                      last: date) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    token: str | None = None
    while True:
        page = list_page(client, partner, account, first, last, page_token=token)
        found.update((t["transaction_id"], t) for t in page.transactions)
        token = page.next_page_token
        if token is None:
            return found


def compare(account: str, bank: dict[str, dict[str, Any]], stored: dict[str, StoredFacts],
            held: set[str], in_range: set[str]) -> AccountReport:
    """Pure: the report for one account, from what each side has."""
    report = AccountReport(account, bank=len(bank), tally=len(in_range | held))
    for tid, theirs in sorted(bank.items()):
        ours = stored.get(tid)
        if ours is None:
            if tid not in held:
                report.missing.append(tid)
            continue
        report.differing.extend(_differences(tid, theirs, ours))
    report.extra = sorted(in_range - set(bank))
    return report


def _differences(tid: str, theirs: dict[str, Any], ours: StoredFacts) -> list[Difference]:
    pairs = [
        ("status", theirs.get("status"), ours.status),
        ("amount", _decimal(theirs.get("amount")), _decimal(ours.amount)),
        ("currency", theirs.get("currency"), ours.currency),
        ("authorized_at", _instant(theirs.get("authorized_at")), _instant(ours.authorized_at)),
        ("settled_at", _instant(theirs.get("settled_at")), _instant(ours.settled_at)),
    ]
    return [Difference(tid, name, _text(a), _text(b)) for name, a, b in pairs if a != b]


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).normalize()


def _instant(value: Any) -> datetime | None:
    """UTC, truncated to the millisecond (Cassandra's timestamp precision)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


def reconcile_account(*, partner: Partner, account: str, first: date, last: date, client: PartnerApiClient,
                      view: TallyView, held: HeldRepository) -> tuple[AccountReport, dict[str, dict[str, Any]]]:
    """The report, and the bank's transactions (for --repair)."""
    bank = bank_transactions(client, partner, account, first, last)
    stored = view.facts(partner.partner_id, bank)
    held_ids = {h.transaction_id for page in held.of_account(partner.partner_id, account) for h in page}
    start = datetime.combine(first, datetime.min.time(), UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
    in_range = view.stored_ids(partner.partner_id, account, start, end)
    return compare(account, bank, stored, held_ids, in_range), bank
