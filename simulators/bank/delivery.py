"""One signed webhook request, delivered the way docs/design.md, "The bank contract" expects a partner to.

Every attempt carries the same `webhook-id` but a NEW `webhook-timestamp` and signature
(Standard Webhooks). Only 5xx answers, timeouts and connection errors are retried, with
exponential backoff plus jitter (tenacity), waiting at least what a `Retry-After` asks; after
`max_attempts` or `max_retry_seconds` the request is given up and reported. A 4xx is final,
unless the policy says `retry_any_failure` (a bank that retries every non-2xx, as `tally
chaos` plays one). `on_attempt` sees each attempt's answer, for callers that count them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from standardwebhooks.webhooks import Webhook
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    stop_when_event_set,
    wait_exponential_jitter,
)

CONNECT_TIMEOUT = 3.0


class Signer:
    """Standard Webhooks headers for one attempt; the key is the base64 text after 'whsec_'."""

    def __init__(self, partner_id: str, secret: str) -> None:
        self.partner_id = partner_id
        self._webhook = Webhook(secret)

    def headers(self, msg_id: str, body: str) -> dict[str, str]:
        now = datetime.now(UTC)
        return {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self._webhook.sign(msg_id, now, body),
            "x-partner-id": self.partner_id,
        }


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    max_retry_seconds: float
    backoff_initial: float
    backoff_max: float
    request_timeout: float
    retry_any_failure: bool = False  # also retry 1xx, 3xx and 4xx answers


# One attempt's answer: the HTTP status, or None and the exception's name (timeout, connection).
AttemptObserver = Callable[[int | None, str], None]


@dataclass(frozen=True)
class Outcome:
    """status: the final HTTP status, or None when the request was given up."""

    status: int | None
    attempts: int
    reason: str = ""


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class _Stopped(Exception):
    pass


class _BackoffOrRetryAfter:
    """Exponential backoff with jitter, but never shorter than the server's Retry-After."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = wait_exponential_jitter(multiplier=policy.backoff_initial, max=policy.backoff_max,
                                                jitter=policy.backoff_initial)
        self._cap = policy.max_retry_seconds

    def __call__(self, state: RetryCallState) -> float:
        wait = self._backoff(state)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self._cap))
        return wait


def deliver(session: requests.Session, url: str, signer: Signer, msg_id: str, body: str, *,
            policy: RetryPolicy, stop: threading.Event, on_attempt: AttemptObserver | None = None) -> Outcome:
    """Posts `body` until it gets a final answer (non-5xx; with `retry_any_failure`, 2xx) or
    the policy gives up (or `stop` is set)."""
    attempts = 0
    observe = on_attempt or (lambda status, reason: None)

    def attempt() -> int:
        nonlocal attempts
        if stop.is_set():  # the interrupted backoff returns early: no further attempt
            raise _Stopped("stopped: the simulator is shutting down")
        attempts += 1
        try:
            response = session.post(url, data=body.encode(), headers=signer.headers(msg_id, body),
                                    timeout=(CONNECT_TIMEOUT, policy.request_timeout))
        # A connection broken in the middle of the answer (the server process died) is a
        # connection error too: the request may or may not have been handled.
        except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            observe(None, type(exc).__name__)
            raise _Retryable(type(exc).__name__) from exc
        status = response.status_code
        observe(status, "")
        if status >= 500 or (policy.retry_any_failure and not 200 <= status < 300):
            raise _Retryable(f"HTTP {status}", _retry_after(response.headers))
        return status

    def pause(seconds: float) -> None:
        stop.wait(seconds)  # a stopping simulator interrupts the backoff at once

    retrying = Retrying(
        stop=(stop_after_attempt(policy.max_attempts) | stop_before_delay(policy.max_retry_seconds)
              | stop_when_event_set(stop)),
        wait=_BackoffOrRetryAfter(policy),
        retry=retry_if_exception_type(_Retryable),
        sleep=pause,
        reraise=True,
    )
    try:
        return Outcome(retrying(attempt), attempts)
    except (_Retryable, _Stopped) as exc:
        return Outcome(None, attempts, str(exc))
    except requests.RequestException as exc:  # a bad URL or header: retrying cannot help
        return Outcome(None, attempts, f"{type(exc).__name__}: {exc}")


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
