"""`GET /me/transactions.csv?from=YYYY-MM-DD&to=YYYY-MM-DD`: the user's transactions of those
local days (their time zone, both included, at most MAX_DAYS), oldest first, as CSV that a
spreadsheet opens cleanly (docs/api.md, "Export").

RFC 4180 (comma, CRLF, quotes doubled), UTF-8 with a byte-order mark (without it Excel reads
UTF-8 as the local code page: "Café" becomes "CafÃ©"). A text cell that starts with `=`, `+`,
`-`, `@`, a tab or a carriage return is prefixed with `'`, so no spreadsheet runs it as a
formula (OWASP, "CSV injection"); the amount column is exempt because Tally formats it itself
as a plain decimal, which a spreadsheet reads as a number, not a formula ("-12.50" must stay
summable).

Streamed: one day partition at a time (a few read ahead), never the whole range in memory.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from service.history.amounts import format_amount
from service.history.rows import instant, merge
from service.history.window import Window, local_midnight, utc_months
from service.repositories.history import HistoryRepository
from service.repositories.overrides import CategoryOverrideRepository

MAX_DAYS = 400
HEADER = ("date", "authorized_at", "settled_at", "merchant", "mcc", "description", "amount", "currency", "status",
          "category", "category_source", "card_id", "account_number", "partner_id", "transaction_id")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
BOM = "\ufeff"


class InvalidRange(ValueError):
    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


def cell(text: str | None) -> str:
    """A text cell, defused: a leading formula character gets a `'` before it."""
    if text is None:
        return ""
    return f"'{text}" if text.startswith(_FORMULA) else text


def window(first: str | None, last: str | None, zone: ZoneInfo) -> Window:
    """[local midnight of `first`, local midnight after `last`). Raises InvalidRange."""
    days = []
    for name, value in (("from", first), ("to", last)):
        if not value or not _DATE.match(value):
            raise InvalidRange(name, "is required, as YYYY-MM-DD")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidRange(name, "is not a calendar date") from None
        if not date(1970, 1, 2) <= day <= date(9998, 12, 31):
            raise InvalidRange(name, "must be between 1970-01-02 and 9998-12-31")
        days.append(day)
    start, end = days
    if end < start:
        raise InvalidRange("to", "is before from")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidRange("to", f"at most {MAX_DAYS} days per export")
    return Window(local_midnight(start, zone), local_midnight(end + timedelta(days=1), zone))


def lines(history: HistoryRepository, overrides: CategoryOverrideRepository, user_id: uuid.UUID,
          span: Window, zone: ZoneInfo) -> Iterator[str]:
    """The CSV, a line at a time (the header first, with the byte-order mark)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def line(values: tuple[str, ...] | list[str]) -> str:
        out.seek(0)
        out.truncate()
        writer.writerow(values)
        return out.getvalue()

    yield BOM + line(HEADER)
    found = overrides.of_months(user_id, utc_months(span))
    oldest_first = list(reversed(span.utc_days()))
    scan = history.scan(user_id, oldest_first, span.start, span.end, fetch_size=500)
    for _, day_rows in itertools.groupby(scan, key=lambda row: row.day):  # each day comes newest first
        for item in merge(reversed(list(day_rows)), found):
            row = item.row
            yield line([_local_day(row.authorized_at, zone), instant(row.authorized_at) or "",
                        instant(row.settled_at) or "", cell(row.merchant_name), cell(row.merchant_mcc),
                        cell(row.description), format_amount(row.amount, row.currency), row.currency, row.status,
                        item.category, item.source, cell(row.card_id), cell(row.account_number),
                        cell(row.partner_id), cell(row.transaction_id)])


def filename(first: str, last: str) -> str:
    return f"tally-transactions-{first}-to-{last}.csv"


def _local_day(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).date().isoformat()
