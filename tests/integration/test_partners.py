"""The partner repository against the real Cassandra: secrets stay ordered newest first even
when they are added within the same millisecond."""

from __future__ import annotations

import uuid

from service.bootstrap import Runtime
from service.repositories.partners import new_secret


def test_secrets_added_back_to_back_sort_newest_first(runtime: Runtime) -> None:
    partners = runtime.partners()
    partner_id = f"bank-{uuid.uuid4().hex[:8]}"
    assert partners.add(partner_id, "Back to back", None, None, new_secret())

    added = [partners.add_secret(partner_id, new_secret()) for _ in range(5)]

    partner = partners.get(partner_id)
    assert partner is not None
    assert len(partner.secrets) == 6
    assert [s.secret_id for s in partner.secrets[:5]] == [s.secret_id for s in reversed(added)]
    assert len({s.created_at for s in partner.secrets}) == 6


def test_retiring_all_but_newest_keeps_the_one_just_rotated_in(runtime: Runtime) -> None:
    partners = runtime.partners()
    partner_id = f"bank-{uuid.uuid4().hex[:8]}"
    assert partners.add(partner_id, "Rotated", None, None, new_secret())
    rotated = partners.add_secret(partner_id, new_secret())

    partner = partners.get(partner_id)
    assert partner is not None
    for old in partner.secrets[1:]:
        partners.retire_secret(partner, old.secret_id)

    after = partners.get(partner_id)
    assert after is not None
    assert [s.secret for s in after.secrets] == [rotated.secret]
