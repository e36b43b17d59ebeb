"""Everything the simulated bank "has": accounts, their cards, every transaction in its current
status, and the one-time link codes customers hand to Tally. In memory, thread-safe.

Per account, transactions are kept ordered by (authorized_at in UTC, transaction_id), the order
of the partner list API. Bulk inserts append and sort lazily on the next read, so generating
50,000 transactions costs one sort instead of 50,000 ordered inserts.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from simulators.bank.generator import utc_key

Key = tuple[str, str]  # (authorized_at as UTC 'YYYY-MM-DDTHH:MM:SS', transaction_id)
LINK_CODE_ALPHABET = string.ascii_uppercase + string.digits


@dataclass
class Account:
    number: str
    cards: list[str]
    keys: list[Key] = field(default_factory=list)
    ordered: bool = True


@dataclass(frozen=True)
class LinkCode:
    code: str
    account_number: str
    card_ids: tuple[str, ...]
    expires_at: float  # time.time()


class Ledger:
    def __init__(self, link_code_ttl: float = 600.0) -> None:
        self._lock = threading.Lock()
        self._accounts: dict[str, Account] = {}
        self._transactions: dict[str, dict[str, Any]] = {}
        self._link_codes: dict[str, LinkCode] = {}
        self.link_code_ttl = link_code_ttl

    # accounts and cards

    def account(self, number: str) -> Account | None:
        with self._lock:
            return self._accounts.get(number)

    def open_account(self, number: str, new_cards: list[str]) -> list[str]:
        """Creates the account if needed and gives it `new_cards`; returns all its cards."""
        with self._lock:
            account = self._accounts.setdefault(number, Account(number, []))
            account.cards.extend(c for c in new_cards if c not in account.cards)
            return list(account.cards)

    def cards_by_account(self, numbers: list[str]) -> dict[str, list[str]]:
        with self._lock:
            return {n: list(self._accounts[n].cards) for n in numbers}

    def accounts_summary(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"account_number": a.number, "card_ids": a.cards, "transactions": len(a.keys)}
                    for a in self._accounts.values()]

    # transactions

    def add(self, transactions: list[dict[str, Any]]) -> None:
        """Records new transactions (ids must be new; their accounts must exist)."""
        with self._lock:
            for tx in transactions:
                tid = tx["transaction_id"]
                if tid in self._transactions:
                    raise ValueError(f"duplicate transaction id {tid}")
                self._transactions[tid] = tx
                account = self._accounts[tx["account_number"]]
                key = (_key_time(tx), tid)
                if account.ordered and account.keys and key < account.keys[-1]:
                    account.ordered = False
                account.keys.append(key)

    def replace(self, transaction: dict[str, Any]) -> None:
        """Stores a new version (e.g. settled) of a known transaction; its order never changes
        because authorized_at never does."""
        with self._lock:
            tid = transaction["transaction_id"]
            if tid not in self._transactions:
                raise KeyError(tid)
            self._transactions[tid] = transaction

    def get(self, transaction_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._transactions.get(transaction_id)

    def page(self, number: str, start: str, end: str, after: Key | None,
             limit: int) -> tuple[list[dict[str, Any]], Key | None]:
        """Up to `limit` transactions of the account with start <= UTC time < end (text keys),
        after the key `after` if given, in order; and the key to resume from (None: no more)."""
        with self._lock:
            account = self._accounts[number]
            keys = self._ordered_keys(account)
            first = bisect_right(keys, after) if after else bisect_left(keys, (start, ""))
            stop = bisect_left(keys, (end, ""))
            chosen = keys[first:min(first + limit, stop)]
            more = first + limit < stop
            return [self._transactions[k[1]] for k in chosen], (chosen[-1] if more and chosen else None)

    def all(self, number: str) -> list[dict[str, Any]]:
        with self._lock:
            account = self._accounts[number]
            return [self._transactions[k[1]] for k in self._ordered_keys(account)]

    def __len__(self) -> int:
        with self._lock:
            return len(self._transactions)

    # link codes

    def issue_link_code(self, number: str, card_ids: list[str]) -> LinkCode:
        code = "-".join("".join(secrets.choice(LINK_CODE_ALPHABET) for _ in range(4)) for _ in range(3))
        link = LinkCode(code, number, tuple(card_ids), time.time() + self.link_code_ttl)
        with self._lock:
            self._link_codes[code] = link
        return link

    def redeem_link_code(self, code: str) -> LinkCode | None:
        """The code's account and cards, once: a used or expired code gives None."""
        with self._lock:
            link = self._link_codes.pop(code, None)
        if link is None or link.expires_at < time.time():
            return None
        return link

    @staticmethod
    def _ordered_keys(account: Account) -> list[Key]:
        if not account.ordered:
            account.keys.sort()
            account.ordered = True
        return account.keys


def _key_time(tx: dict[str, Any]) -> str:
    return utc_key(datetime.fromisoformat(tx["authorized_at"]))


def day_bounds(first: datetime | None, last: datetime | None) -> tuple[str, str]:
    """Text keys [start, end) covering the inclusive UTC dates first..last (None: unbounded)."""
    start = first.strftime("%Y-%m-%d") if first else ""
    end = (last + timedelta(days=1)).strftime("%Y-%m-%d") if last else "~"  # '~' sorts after digits
    return start, end


def link_expiry_iso(link: LinkCode) -> str:
    return datetime.fromtimestamp(link.expires_at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
