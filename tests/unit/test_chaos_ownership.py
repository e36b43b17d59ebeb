"""`tally chaos`: who may own a transaction, from its sends and its account's relinks."""

from __future__ import annotations

import math

from chaos.ownership import LATE, STALE, STRANGER, TWO_USERS, Ownership, Relink, misowning

A, B, C = "user-a", "user-b", "user-c"


def moved(answered: float = 20.0) -> Ownership:
    """Account X moves from A to B: unlink sent at t=10, link answered at t=20."""
    return Ownership({"X": A, "Y": C}, [Relink("X", A, B, started=10.0, answered=answered)])


def test_a_transaction_sent_and_accepted_before_the_unlink_is_the_old_owners() -> None:
    assert moved().owners_during("X", [(1.0, 9.9)]) == {A}


def test_a_transaction_first_sent_after_the_link_answered_is_the_new_owners() -> None:
    assert moved().owners_during("X", [(20.1, 25.0)]) == {B}


def test_a_send_overlapping_the_change_may_be_either_owners_but_no_one_elses() -> None:
    assert moved().owners_during("X", [(12.0, 13.0)]) == {A, B}
    assert moved().owners_during("X", [(5.0, 11.0)]) == {A, B}   # accepted while the unlink was under way
    assert moved().owners_during("X", [(19.0, 30.0)]) == {A, B}  # started before the link answered


def test_a_later_version_sent_after_the_move_lets_either_owner_keep_it() -> None:
    # pending sent while A owned X, settled after B linked it: one row, A's or B's
    assert moved().owners_during("X", [(1.0, 2.0), (40.0, 41.0)]) == {A, B}


def test_other_accounts_are_not_affected_by_a_relink() -> None:
    assert moved().owners_during("Y", [(12.0, 13.0)]) == {C}


def test_a_link_that_never_answered_keeps_ownership_changing_for_ever() -> None:
    assert moved(answered=math.inf).owners_during("X", [(500.0, 501.0)]) == {A, B}


def test_a_second_relink_continues_from_the_first_ones_new_owner() -> None:
    twice = Ownership({"X": A}, [Relink("X", B, C, started=50.0, answered=60.0),
                                 Relink("X", A, B, started=10.0, answered=20.0)])
    assert twice.owners_during("X", [(30.0, 40.0)]) == {B}
    assert twice.owners_during("X", [(70.0, 71.0)]) == {C}
    assert [w.owners for w in twice.timeline("X")] == [{A}, {A, B}, {B}, {B, C}, {C}]


def test_a_misowned_row_is_explained_by_the_timeline() -> None:
    relinks = moved().relinks
    assert misowning({A, B}, [(1.0, 2.0)], relinks) == TWO_USERS
    assert misowning({B}, [(1.0, 2.0), (5.0, 9.0)], relinks) == LATE   # accepted before the unlink
    assert misowning({A}, [(21.0, 22.0)], relinks) == STALE            # sent after B's link answered
    assert misowning({C}, [(1.0, 2.0)], relinks) == STRANGER
