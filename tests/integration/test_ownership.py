"""Once an unlink or a link has answered, no consumer writes a later transaction of that
account to anyone else: the pipeline against the real Cassandra."""

from __future__ import annotations

from datetime import UTC, datetime

from service.bootstrap import Runtime
from tests.integration.test_pipeline import delivery, held_rows
from tests.support.stored import rows_by_id
from tests.support.users import linked_user, new_user
from tests.support.webhooks import transaction


def test_unlink_then_relink_writes_the_next_transaction_to_the_new_owner(runtime: Runtime, session,  # type: ignore[no-untyped-def]
                                                                        partner) -> None:
    a = linked_user(runtime, partner.partner_id)
    consumer = runtime.build_pipeline()  # one long-lived consumer, as in production
    consumer.process([delivery(a.partner_id, [transaction(account_number=a.account_number)], datetime.now(UTC))])

    accounts = runtime.accounts()
    assert accounts.release(a.user_id, a.partner_id, a.account_number)
    b, _, _ = new_user(runtime)
    assert accounts.claim(b, a.partner_id, a.account_number, frozenset()).created

    later = transaction(account_number=a.account_number)
    consumer.process([delivery(a.partner_id, [later], datetime.now(UTC))])
    assert rows_by_id(session, a.partner_id, [later["transaction_id"]])[later["transaction_id"]].user_id == b


def test_after_an_unlink_the_next_transaction_is_held_not_written_to_the_old_owner(
        runtime: Runtime, session, partner) -> None:  # type: ignore[no-untyped-def]
    a = linked_user(runtime, partner.partner_id)
    consumer = runtime.build_pipeline()
    consumer.process([delivery(a.partner_id, [transaction(account_number=a.account_number)], datetime.now(UTC))])
    assert runtime.accounts().release(a.user_id, a.partner_id, a.account_number)

    later = transaction(account_number=a.account_number)
    outcome = consumer.process([delivery(a.partner_id, [later], datetime.now(UTC))])
    assert outcome.written == [] and [h.transaction_id for h in outcome.parked] == [later["transaction_id"]]
    assert rows_by_id(session, a.partner_id, [later["transaction_id"]]) == {}
    assert [h.transaction_id for h in held_rows(runtime, a.partner_id, a.account_number)] == [later["transaction_id"]]
