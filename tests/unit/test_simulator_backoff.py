"""The bank simulator's retry wait: exponential with jitter, capped, never under Retry-After."""

from __future__ import annotations

import warnings

from tenacity import Future, RetryCallState, Retrying

from simulators.bank.delivery import RetryPolicy, _BackoffOrRetryAfter, _Retryable

POLICY = RetryPolicy(max_attempts=10, max_retry_seconds=30.0, backoff_initial=0.5, backoff_max=5.0,
                     request_timeout=1.0)


def after(attempt: int, failure: Exception) -> RetryCallState:
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    future = Future(attempt)
    future.set_exception(failure)
    state.outcome = future
    return state


def test_waits_grow_from_the_initial_backoff_with_jitter_up_to_the_cap() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecated tenacity parameters
        wait = _BackoffOrRetryAfter(POLICY)
    for attempt, low in ((1, 0.5), (2, 1.0), (3, 2.0)):
        seen = [wait(after(attempt, _Retryable("503"))) for _ in range(200)]
        assert low <= min(seen) and max(seen) <= low + 0.5
    assert {wait(after(9, _Retryable("503"))) for _ in range(50)} == {5.0}


def test_a_retry_after_longer_than_the_backoff_is_obeyed_up_to_the_retry_budget() -> None:
    wait = _BackoffOrRetryAfter(POLICY)
    assert wait(after(1, _Retryable("429", retry_after=7.0))) == 7.0
    assert wait(after(1, _Retryable("429", retry_after=300.0))) == 30.0
