"""Device tokens: valid only for the email they were issued for, under the secret that signed
them, within their lifetime; anything else is an unknown device (None), never an error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service import signed_payloads
from service.auth.devices import CLOCK_SKEW_SECONDS, DEVICE_TOKEN_DAYS, device_of, issue

SECRET = "s" * 40
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
EMAIL = "ada@example.com"


def test_a_token_names_its_device_for_its_email() -> None:
    token = issue(EMAIL, SECRET, NOW)
    device = device_of(token, EMAIL, SECRET, NOW + timedelta(days=30))
    assert device and len(device) >= 20
    assert device_of(issue(EMAIL, SECRET, NOW, device), EMAIL, SECRET, NOW) == device  # renewed, same device
    assert device_of(issue(EMAIL, SECRET, NOW), EMAIL, SECRET, NOW) != device  # another device


@pytest.mark.parametrize("case", ["absent", "empty", "other email", "other secret", "tampered", "truncated",
                                  "garbage", "expired", "from the future", "a cursor", "not an object"])
def test_anything_else_is_an_unknown_device(case: str) -> None:
    token = issue(EMAIL, SECRET, NOW)
    payload, _, signature = token.partition(".")
    later = NOW + timedelta(days=DEVICE_TOKEN_DAYS, seconds=1)
    presented, email, secret, now = {
        "absent": (None, EMAIL, SECRET, NOW),
        "empty": ("", EMAIL, SECRET, NOW),
        "other email": (token, "eve@example.com", SECRET, NOW),
        "other secret": (token, EMAIL, "t" * 40, NOW),
        "tampered": (issue("eve@example.com", SECRET, NOW).split(".")[0] + "." + signature, EMAIL, SECRET, NOW),
        "truncated": (token[:-4], EMAIL, SECRET, NOW),
        "garbage": ("é.%%%", EMAIL, SECRET, NOW),
        "expired": (token, EMAIL, SECRET, later),
        "from the future": (token, EMAIL, SECRET, NOW - timedelta(seconds=CLOCK_SKEW_SECONDS + 1)),
        "a cursor": (signed_payloads.encode({"e": EMAIL, "d": "x", "t": 1}, SECRET, b"tally-cursor-v1."), EMAIL,
                     SECRET, NOW),
        "not an object": (signed_payloads.encode([EMAIL], SECRET, b"tally-device-v1."), EMAIL, SECRET, NOW),
    }[case]
    assert device_of(presented, email, secret, now) is None


def test_a_token_issued_by_an_instance_a_little_ahead_is_accepted() -> None:
    token = issue(EMAIL, SECRET, NOW + timedelta(seconds=CLOCK_SKEW_SECONDS - 5))
    assert device_of(token, EMAIL, SECRET, NOW) is not None
