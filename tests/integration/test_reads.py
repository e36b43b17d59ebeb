"""GET /me/transactions against rows written the way the consumers write them (real
Cassandra, in-process app): order, keyset paging, the 31-partition cap, time-zone windows,
filters, amounts, and the signed cursor."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from service.bootstrap import Runtime
from service.history.window import last_days
from service.repositories.transactions import TransactionRow
from service.settings import Settings
from tests.support.api import InProcessApi, in_process, new_session


@pytest.fixture(scope="module")
def api(test_settings: Settings) -> Iterator[InProcessApi]:
    with in_process(test_settings) as client:
        yield client


def stored(user_id: uuid.UUID, at: datetime, **fields: Any) -> TransactionRow:
    values: dict[str, Any] = {
        "user_id": user_id, "partner_id": "bank-a", "transaction_id": f"tx-{uuid.uuid4().hex[:12]}",
        "account_number": "ACC-1", "card_id": "card-1", "amount": Decimal("-12.5"), "currency": "EUR",
        "status": "pending", "authorized_at": at, "settled_at": None, "received_at": datetime.now(UTC),
        "merchant_name": "ACME MARKET 123", "merchant_mcc": "5411", "merchant_city": "Berlin",
        "merchant_country": "DE", "description": None, "merchant_key": "acme market", "category": "groceries",
        "category_source": "mcc", "category_confidence": 0.8}
    values.update(fields)
    return TransactionRow(**values)


def write(runtime: Runtime, rows: list[TransactionRow]) -> None:
    runtime.transactions().write(rows)


def pages(api: InProcessApi, token: str, **params: Any) -> Iterator[dict[str, Any]]:
    cursor = None
    for _ in range(100):
        answer = api.call("GET", "/me/transactions", token=token, params={**params, **({"cursor": cursor} if cursor
                                                                                     else {})})
        assert answer.status == 200, answer.body
        yield answer.body
        cursor = answer.body["next_cursor"]
        if cursor is None:
            return
    raise AssertionError("more than 100 pages")


def _key(t: dict[str, Any]) -> tuple[Any, ...]:
    return (t["authorized_at"], t["partner_id"], t["transaction_id"])


def test_equal_timestamps_on_two_days_and_two_partners_page_exactly_once_in_order(
        api: InProcessApi, runtime: Runtime) -> None:
    user_id, _, token = new_session(api)
    now = datetime.now(UTC).replace(microsecond=0)
    moments = (now - timedelta(hours=1), now - timedelta(days=3))
    rows = [stored(user_id, moment, partner_id=("bank-a", "bank-b")[n % 2], transaction_id=f"tx-{n:03d}")
            for moment in moments for n in range(50)]
    write(runtime, rows)

    seen = [t for page in pages(api, token, limit=7) for t in page["transactions"]]
    assert len(seen) == 100 and len({(t["partner_id"], t["transaction_id"], t["authorized_at"]) for t in seen}) == 100
    expected = sorted(rows, key=lambda r: (-r.authorized_at.timestamp(), r.partner_id, r.transaction_id))
    assert [(t["partner_id"], t["transaction_id"]) for t in seen] == [(r.partner_id, r.transaction_id)
                                                                      for r in expected]
    first = seen[0]
    assert first["authorized_at"] == moments[0].isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert first["amount"] == "-12.50" and first["merchant"] == {"name": "ACME MARKET 123", "mcc": "5411"}
    assert (first["category"], first["category_source"], first["category_confidence"]) == ("groceries", "mcc", 0.8)


def test_a_page_reads_at_most_31_partitions_and_may_be_empty_with_a_cursor(
        api: InProcessApi, runtime: Runtime) -> None:
    user_id, _, token = new_session(api)
    now = datetime.now(UTC)
    old = [stored(user_id, now - timedelta(days=45)), stored(user_id, now - timedelta(days=50))]
    write(runtime, old)
    got = list(pages(api, token, days=60, limit=50))
    assert got[0]["transactions"] == [] and got[0]["next_cursor"] is not None
    assert [t["transaction_id"] for page in got for t in page["transactions"]] == [r.transaction_id for r in old]
    assert len(got) == 2  # 60 local days cover at most 62 UTC partitions: two requests
    assert list(pages(api, token, days=30)) == [{"transactions": [], "next_cursor": None}]


def test_the_window_starts_at_local_midnight_in_the_users_zone(api: InProcessApi, runtime: Runtime) -> None:
    zone = "America/Los_Angeles"
    user_id, _, token = new_session(api, time_zone=zone)
    window = last_days(2, ZoneInfo(zone), datetime.now(UTC))
    tick = timedelta(milliseconds=1)
    inside = [stored(user_id, window.start, transaction_id="first-instant"),
              stored(user_id, window.end - tick, transaction_id="last-instant")]
    outside = [stored(user_id, window.start - tick, transaction_id="before"),
               stored(user_id, window.end, transaction_id="after")]
    write(runtime, inside + outside)
    ids = [t["transaction_id"] for page in pages(api, token, days=2) for t in page["transactions"]]
    assert ids == ["last-instant", "first-instant"]
    assert "before" in [t["transaction_id"] for page in pages(api, token, days=3) for t in page["transactions"]]


def test_filters_by_card_and_status_and_formats_each_currency(api: InProcessApi, runtime: Runtime) -> None:
    user_id, _, token = new_session(api)
    at = datetime.now(UTC) - timedelta(hours=2)
    rows = [stored(user_id, at - timedelta(minutes=n), card_id=f"card-{n % 2}",
                   status=("pending", "settled")[n % 2], settled_at=at if n % 2 else None,
                   amount=Decimal(1500 + n), currency="JPY") for n in range(10)]
    rows.append(stored(user_id, at, amount=Decimal("1.25"), currency="KWD", card_id="card-9"))
    write(runtime, rows)
    card = [t for page in pages(api, token, card_id="card-1", limit=2) for t in page["transactions"]]
    assert [t["transaction_id"] for t in card] == [r.transaction_id for r in rows[1:10:2]]
    assert all(t["status"] == "settled" and t["settled_at"] for t in card)
    assert card[0]["amount"] == "1501"
    pending = [t for page in pages(api, token, status="pending") for t in page["transactions"]]
    assert {t["card_id"] for t in pending} == {"card-0", "card-9"}
    kwd = [t for t in pending if t["currency"] == "KWD"]
    assert kwd[0]["amount"] == "1.250"


@pytest.mark.parametrize("params", [
    {"days": "0"}, {"days": "401"}, {"days": "x"}, {"days": "-1"}, {"limit": "0"}, {"limit": "10000"},
    {"limit": "1.5"}, {"status": "done"}, {"card_id": "a b"}, {"cursor": "garbage"},
])
def test_bad_parameters_are_400(api: InProcessApi, params: dict[str, str]) -> None:
    _, _, token = new_session(api)
    answer = api.call("GET", "/me/transactions", token=token, params=params)
    assert answer.status == 400, answer.body
    assert answer.body["request_id"]


def test_forged_tampered_foreign_or_rebound_cursors_are_400(
        api: InProcessApi, runtime: Runtime, test_settings: Settings) -> None:
    user_id, _, token = new_session(api)
    at = datetime.now(UTC) - timedelta(hours=1)
    write(runtime, [stored(user_id, at - timedelta(seconds=n)) for n in range(3)])
    first = next(pages(api, token, limit=1))
    cursor = first["next_cursor"]
    assert cursor

    def status(**params: Any) -> int:
        return api.call("GET", "/me/transactions", token=token, params={"limit": 1, **params}).status

    assert status(cursor=cursor) == 200
    payload, signature = cursor.split(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    assert status(cursor=f"{flipped}.{signature}") == 400
    assert status(cursor=f"{payload}.{signature[:-1]}") == 400
    assert status(cursor=payload) == 400
    assert status(cursor=cursor, days=31) == 400
    assert status(cursor=cursor, status="settled") == 400
    _, _, stranger = new_session(api)
    answer = api.call("GET", "/me/transactions", token=stranger, params={"cursor": cursor})
    assert answer.status == 400 and answer.body["error"] == "invalid_cursor"
    with in_process(test_settings.replace(cursor_secret="another-secret-of-another-deployment")) as other:
        assert other.call("GET", "/me/transactions", token=token, params={"limit": 1, "cursor": cursor}).status == 400
