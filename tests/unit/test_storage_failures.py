"""Answers about another key than the one asked (service/storage/failures.py): refused by the
reads that decide who a row belongs to or who is asking, and retried like an outage."""

from __future__ import annotations

import uuid
from collections import namedtuple

import pytest

from service.repositories.accounts import _owner_of
from service.repositories.history import _row
from service.storage.failures import AnswerMismatch, answered_for, unavailable

OwnerRow = namedtuple("OwnerRow", "partner_id account_number user_id")  # noqa: PYI024


def test_an_answer_for_the_key_asked_is_returned_as_it_is() -> None:
    row = OwnerRow("bank", "DE-1", uuid.uuid4())
    assert answered_for(row, "accounts_by_partner", partner_id="bank", account_number="DE-1") is row


def test_an_answer_for_another_key_is_refused_naming_both_keys() -> None:
    row = OwnerRow("bank", "DE-2", uuid.uuid4())
    with pytest.raises(AnswerMismatch) as refused:
        answered_for(row, "accounts_by_partner", partner_id="bank", account_number="DE-1")
    assert "DE-1" in str(refused.value) and "DE-2" in str(refused.value)


def test_an_owner_read_answered_with_another_accounts_row_never_gives_its_owner() -> None:
    other = OwnerRow("bank", "DE-2", uuid.uuid4())
    with pytest.raises(AnswerMismatch):
        _owner_of(other, "bank", "DE-1")
    assert _owner_of(None, "bank", "DE-1") is None
    mine = OwnerRow("bank", "DE-1", uuid.uuid4())
    assert _owner_of(mine, "bank", "DE-1") == mine.user_id


def test_a_list_row_of_another_user_is_never_shown_as_the_askers() -> None:
    asker, other = uuid.uuid4(), uuid.uuid4()
    row = namedtuple("Row", "user_id ts")(other, None)  # noqa: PYI024
    with pytest.raises(AnswerMismatch):
        _row(asker, row)


def test_a_refused_session_answer_never_logs_the_token_hash() -> None:
    row = namedtuple("Row", "token_hash user_id")(b"\x01" * 32, uuid.uuid4())  # noqa: PYI024
    with pytest.raises(AnswerMismatch) as refused:
        answered_for(row, "sessions", token_hash=b"\x02" * 32)
    assert "<32 bytes>" in str(refused.value) and "\\x0" not in str(refused.value)


def test_a_mismatched_answer_counts_as_unavailable_so_it_is_asked_again() -> None:
    # The api answers 503 + Retry-After; a consumer holds its batch and retries it.
    assert unavailable(AnswerMismatch("a read of sessions for … was answered with the row of …"))
