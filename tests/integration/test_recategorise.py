"""PATCH /me/transactions/…, merchant rules, apply_to_past, and GET /me/summary (in-process
app, rows written the way the consumers write them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from service.bootstrap import Runtime
from service.history.window import month_window
from service.settings import Settings
from tests.integration.test_reads import pages, stored, write
from tests.support.api import InProcessApi, in_process, new_session


@pytest.fixture(scope="module")
def api(test_settings: Settings) -> Iterator[InProcessApi]:
    with in_process(test_settings) as client:
        yield client


def _listed(api: InProcessApi, token: str, **params: Any) -> dict[str, dict[str, Any]]:
    return {t["transaction_id"]: t for page in pages(api, token, **params) for t in page["transactions"]}


def test_patch_overrides_one_row_and_makes_a_rule(api: InProcessApi, runtime: Runtime) -> None:
    user_id, _, token = new_session(api)
    at = datetime.now(UTC) - timedelta(hours=3)
    target, sibling = stored(user_id, at), stored(user_id, at - timedelta(days=2))
    write(runtime, [target, sibling])
    answer = api.call("PATCH", f"/me/transactions/{target.partner_id}/{target.transaction_id}", token=token,
                      json={"category": "dining_out"})
    assert answer.status == 200, answer.body
    assert (answer.body["category"], answer.body["category_source"], answer.body["category_confidence"]) == (
        "dining_out", "user", 1.0)
    assert answer.body["transaction_id"] == target.transaction_id and answer.body["amount"] == "-12.50"
    listed = _listed(api, token, days=5)
    assert listed[target.transaction_id]["category_source"] == "user"
    assert listed[sibling.transaction_id]["category_source"] == "mcc"  # no apply_to_past: the past stays
    rules = api.call("GET", "/me/rules", token=token).body["rules"]
    assert [(r["merchant_key"], r["category"]) for r in rules] == [("acme market", "dining_out")]
    assert rules[0]["created_at"] and rules[0]["updated_at"]


def test_apply_to_past_relabels_the_merchant_and_lower_layers_cannot_undo_it(
        api: InProcessApi, runtime: Runtime) -> None:
    user_id, _, token = new_session(api)
    now = datetime.now(UTC)
    same = [stored(user_id, now - timedelta(days=d, hours=1)) for d in (0, 10, 100, 390)]
    other = stored(user_id, now - timedelta(days=10), merchant_name="Zeta Fuel", merchant_key="zeta fuel",
                   category="fuel")
    write(runtime, [*same, other])
    answer = api.call("PATCH", f"/me/transactions/{same[0].partner_id}/{same[0].transaction_id}", token=token,
                      json={"category": "entertainment", "apply_to_past": True})
    assert answer.status == 200, answer.body

    listed = _listed(api, token, days=400)
    assert listed[same[0].transaction_id]["category_source"] == "user"
    for row in same[1:]:
        assert (listed[row.transaction_id]["category"], listed[row.transaction_id]["category_source"]) == (
            "entertainment", "user_rule")
        assert listed[row.transaction_id]["category_confidence"] == 0.95
    assert (listed[other.transaction_id]["category"], listed[other.transaction_id]["category_source"]) == (
        "fuel", "mcc")

    # a redelivery classified by a lower layer (newer received_at) writes with a lower timestamp
    write(runtime, [stored(user_id, r.authorized_at, transaction_id=r.transaction_id, status="settled",
                           settled_at=now, received_at=datetime.now(UTC)) for r in same[1:]])
    listed = _listed(api, token, days=400)
    for row in same[1:]:
        assert listed[row.transaction_id]["category_source"] == "user_rule"
        assert listed[row.transaction_id]["status"] == "settled"  # the facts did move on


def test_patch_errors(api: InProcessApi, runtime: Runtime) -> None:
    user_id, _, token = new_session(api)
    row = stored(user_id, datetime.now(UTC) - timedelta(hours=1))
    write(runtime, [row])
    path = f"/me/transactions/{row.partner_id}/{row.transaction_id}"
    unknown = api.call("PATCH", path, token=token, json={"category": "yachts"})
    assert unknown.status == 422 and unknown.body["details"][0]["field"] == "category"
    assert api.call("PATCH", path, token=token, json={"category": "fuel", "apply_to_past": "yes"}).status == 422
    assert api.call("PATCH", path, token=token, json={}).status == 422
    assert api.call("PATCH", path, token=token, data=b"{", headers={"Content-Type": "application/json"}).status == 400
    assert api.call("PATCH", f"/me/transactions/{row.partner_id}/nope", token=token,
                    json={"category": "fuel"}).status == 404
    _, _, stranger = new_session(api)
    assert api.call("PATCH", path, token=stranger, json={"category": "fuel"}).status == 404
    assert _listed(api, token)[row.transaction_id]["category"] == "groceries"


def test_rules_can_be_deleted_once(api: InProcessApi, runtime: Runtime) -> None:
    user_id, _, token = new_session(api)
    row = stored(user_id, datetime.now(UTC) - timedelta(hours=1), merchant_key="joe's pizza & co")
    write(runtime, [row])
    assert api.call("PATCH", f"/me/transactions/{row.partner_id}/{row.transaction_id}", token=token,
                    json={"category": "dining_out"}).status == 200
    path = f"/me/rules/{quote(row.merchant_key, safe='')}"
    _, _, stranger = new_session(api)
    assert api.call("DELETE", path, token=stranger).status == 404
    assert api.call("DELETE", path, token=token).status == 204
    assert api.call("DELETE", path, token=token).status == 404
    assert api.call("GET", "/me/rules", token=token).body == {"rules": []}


def test_summary_nets_refunds_counts_pending_skips_reversed_in_the_users_month(
        api: InProcessApi, runtime: Runtime) -> None:
    zone = "Asia/Tokyo"
    user_id, _, token = new_session(api, time_zone=zone)
    window = month_window("2026-03", ZoneInfo(zone))
    mid = window.start + timedelta(days=10)
    rows = [
        stored(user_id, window.start, amount=Decimal("-40.00")),                       # first instant: in
        stored(user_id, mid, amount=Decimal("-20.00"), status="settled", settled_at=mid),
        stored(user_id, mid, amount=Decimal("5.50")),                                  # a refund
        stored(user_id, mid, amount=Decimal("-99.00"), status="reversed"),             # out
        stored(user_id, mid, amount=Decimal("2500.00"), category="income", merchant_key="employer"),
        stored(user_id, mid, amount=Decimal("-1000"), currency="JPY", category="dining_out"),
        stored(user_id, window.end - timedelta(milliseconds=1), amount=Decimal("-1.00"), category="fuel"),
        stored(user_id, window.start - timedelta(milliseconds=1), amount=Decimal("-7.00")),   # February
        stored(user_id, window.end, amount=Decimal("-8.00")),                                # April
    ]
    moved = stored(user_id, mid, amount=Decimal("-3.00"))
    write(runtime, [*rows, moved])
    assert api.call("PATCH", f"/me/transactions/{moved.partner_id}/{moved.transaction_id}", token=token,
                    json={"category": "health"}).status == 200

    answer = api.call("GET", "/me/summary", token=token, params={"month": "2026-03"})
    assert answer.status == 200, answer.body
    assert answer.body["month"] == "2026-03" and answer.body["time_zone"] == zone
    by_currency = {c["currency"]: c for c in answer.body["currencies"]}
    eur, jpy = by_currency["EUR"], by_currency["JPY"]
    categories = {c["category"]: (c["spend"], c["income"], c["transactions"]) for c in eur["categories"]}
    assert categories == {"groceries": ("54.50", "0.00", 3), "fuel": ("1.00", "0.00", 1),
                          "health": ("3.00", "0.00", 1), "income": ("0.00", "2500.00", 1)}
    assert (eur["spend"], eur["income"]) == ("58.50", "2500.00")
    assert (jpy["spend"], jpy["income"], jpy["categories"][0]["name"]) == ("1000", "0", "Dining out")


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "26-01", "2026-1", "march", "1969-12"])
def test_bad_months_are_400(api: InProcessApi, month: str) -> None:
    _, _, token = new_session(api)
    answer = api.call("GET", "/me/summary", token=token, params={"month": month})
    assert answer.status == 400 and answer.body["error"] == "invalid_parameter", answer.body


def test_the_default_month_is_the_current_one(api: InProcessApi) -> None:
    _, _, token = new_session(api, time_zone="Pacific/Kiritimati")
    answer = api.call("GET", "/me/summary", token=token)
    expected = datetime.now(ZoneInfo("Pacific/Kiritimati")).strftime("%Y-%m")
    assert answer.status == 200 and answer.body == {"month": expected, "time_zone": "Pacific/Kiritimati",
                                                    "currencies": [], "budgets": []}
