"""Device tokens (OWASP's "device cookies"): proof that this device logged in to this account
before. A login that presents one is limited per device only, never by the per-email limit,
which anyone can fill by failing logins with someone else's email: the victim's known devices
keep logging in while an attacker's guesses stay bounded (docs/api.md, "Login limits").

Stateless: service.signed_payloads under TALLY_DEVICE_SECRET with its own context, carrying
the normalised email it was issued for (one account per email), a random device id and the
issue time. Every successful login returns a fresh token, for the same device when it
presented a valid one, so a device in use never reaches DEVICE_TOKEN_DAYS.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from service import signed_payloads

_CONTEXT = b"tally-device-v1."
DEVICE_TOKEN_DAYS = 365
MAX_TOKEN_CHARS = 1024
CLOCK_SKEW_SECONDS = 300  # another api instance may have issued it with its clock a little ahead


def issue(email: str, secret: str, now: datetime, device_id: str | None = None) -> str:
    """A token for `email` on this device (a new device id unless one is given)."""
    payload = {"e": email, "d": device_id or secrets.token_urlsafe(16), "t": int(now.timestamp())}
    return signed_payloads.encode(payload, secret, _CONTEXT)


def device_of(token: str | None, email: str, secret: str, now: datetime) -> str | None:
    """The device id of a valid, unexpired token issued for `email`; None for anything else
    (absent, forged, tampered, another account's, expired): such a client is not trusted."""
    if not token:
        return None
    try:
        payload = signed_payloads.decode(token, secret, _CONTEXT, MAX_TOKEN_CHARS)
    except ValueError:
        return None
    if not isinstance(payload, dict) or payload.get("e") != email:
        return None
    device_id, issued = payload.get("d"), payload.get("t")
    if not isinstance(device_id, str) or not device_id or not isinstance(issued, int):
        return None
    age = now.timestamp() - issued
    if not -CLOCK_SKEW_SECONDS <= age <= DEVICE_TOKEN_DAYS * 86400:
        return None
    return device_id
