"""Held transactions: whatever the webhook accepted can be parked and drained, and one held row
the contract refuses no longer strands the rest of its account."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from service.bootstrap import Runtime
from service.pipeline.deliveries import decode
from service.repositories.held import HeldTransaction
from service.repositories.transactions import fact_timestamp
from tests.integration.test_pipeline import held_rows, no_reject
from tests.support.stored import rows_by_id
from tests.support.users import new_user
from tests.support.webhooks import transaction


def _raw_delivery(partner_id: str, items: list[str]) -> bytes:
    return ('{"transactions":[' + ",".join(items) + "]}").encode()


def test_numbers_pythons_json_refuses_are_parked_and_drained_byte_for_byte(runtime: Runtime, session,  # type: ignore[no-untyped-def]
                                                                           partner) -> None:
    """Unknown fields with a 5,000-digit integer and 1e999999: accepted by the webhook, so they
    must be storable, and the held payload keeps them exactly as sent."""
    account = f"ACC-{uuid.uuid4().hex[:10]}"
    big = json.dumps(transaction(account_number=account))[:-1] + ', "bank_ref": ' + "7" * 5000 + "}"
    inf = json.dumps(transaction(account_number=account))[:-1] + ', "score": 1e999999}'
    raw = _raw_delivery(partner.partner_id, [big, inf])
    message = decode(raw, {"partner_id": partner.partner_id, "received_at": datetime.now(UTC).isoformat()})
    pipeline = runtime.build_pipeline()
    assert len(pipeline.process([message]).parked) == 2
    assert sorted(h.payload for h in held_rows(runtime, partner.partner_id, account)) == sorted([big, inf])

    user_id, _, _ = new_user(runtime)
    runtime.accounts().claim(user_id, partner.partner_id, account, frozenset())
    drained = pipeline.drain(partner.partner_id, account, no_reject)
    assert len(drained.written) == 2
    ids = [json.loads(big[:big.index(', "bank_ref"')] + "}")["transaction_id"], json.loads(
        inf[:inf.index(', "score"')] + "}")["transaction_id"]]
    assert set(rows_by_id(session, partner.partner_id, ids)) == set(ids)


def test_one_refused_held_row_is_rejected_alone_and_the_rest_drain(runtime: Runtime, session,  # type: ignore[no-untyped-def]
                                                                 partner) -> None:
    account = f"ACC-{uuid.uuid4().hex[:10]}"
    good = [transaction(account_number=account) for _ in range(3)]
    pipeline = runtime.build_pipeline()
    pipeline.process([decode(json.dumps({"transactions": good}).encode(),
                             {"partner_id": partner.partner_id, "received_at": datetime.now(UTC).isoformat()})])
    # A row parked under older rules that today's contract refuses (a currency Tally dropped).
    bad = HeldTransaction(partner.partner_id, account, "tx-old-rules",
                          json.dumps(transaction(transaction_id="tx-old-rules", account_number=account,
                                                 currency="XXZ")),
                          datetime.now(UTC), "req-old", fact_timestamp("pending", datetime.now(UTC)))
    runtime.held().park([bad])
    assert len(held_rows(runtime, partner.partner_id, account)) == 4

    user_id, _, _ = new_user(runtime)
    runtime.accounts().claim(user_id, partner.partner_id, account, frozenset())
    rejected: list[tuple[str, str]] = []
    drained = pipeline.drain(partner.partner_id, account, lambda h, why: rejected.append((h.transaction_id, why)))

    assert sorted(r.transaction_id for r in drained.written) == sorted(t["transaction_id"] for t in good)
    assert [tid for tid, _ in rejected] == ["tx-old-rules"] and "currency" in rejected[0][1]
    assert held_rows(runtime, partner.partner_id, account) == []
