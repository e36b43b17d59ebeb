"""`tally chaos`: the fault schedule, the plan's pace and pauses, and the later versions a bank sends."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chaos import schedule
from chaos.deadletters import DeadLetter, classify
from chaos.schedule import FULL_COUNTS, QUICK_COUNTS, Plan, broker_consumer_timeout
from chaos.versions import CORRECTION, NEW, SETTLE, corrected_amount, follow_up, next_version
from simulators.bank.generator import TransactionGenerator


def test_every_planned_fault_is_scheduled_once_in_order_inside_the_send() -> None:
    planned = schedule.schedule(FULL_COUNTS, 600, random.Random(1))
    assert Counter(p.kind for p in planned) == Counter(FULL_COUNTS)
    times = [p.at for p in planned]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert times[0] >= 0.08 * 600 and times[-1] <= 0.85 * 600
    for kind in FULL_COUNTS:  # occurrences of a kind are numbered in the order they come
        assert [p.occurrence for p in planned if p.kind == kind] == list(range(1, FULL_COUNTS[kind] + 1))


def test_a_kind_with_several_occurrences_is_spread_over_the_run() -> None:
    planned = schedule.schedule(FULL_COUNTS, 600, random.Random(2))
    kills = [p.at for p in planned if p.kind == schedule.KILL_INGEST_WORKER]
    assert kills[0] < 0.3 * 600 and kills[-1] > 0.6 * 600


def test_the_quick_schedule_has_every_fault_once_and_the_seed_decides_the_order() -> None:
    first = schedule.schedule(QUICK_COUNTS, 150, random.Random(3))
    assert sorted(p.kind for p in first) == sorted(schedule.FAULTS)
    assert first == schedule.schedule(QUICK_COUNTS, 150, random.Random(3))
    orders = {tuple(p.kind for p in schedule.schedule(QUICK_COUNTS, 150, random.Random(s))) for s in range(5)}
    assert len(orders) > 1


def test_the_plan_paces_the_requests_over_the_send_and_pauses_past_the_hold() -> None:
    quick, full = Plan.of(True), Plan.of(False)
    assert (quick.transactions, full.transactions) == (5_000, 50_000)
    assert quick.rate * quick.send_seconds == pytest.approx(5_000 * 1.46 / 100)
    assert full.rate <= schedule.MAX_RATE
    assert quick.pause_seconds(1, 60) > quick.hold_seconds
    assert full.pause_seconds(1, 60) > full.hold_seconds and full.pause_seconds(2, 60) > 60


def test_the_broker_timeout_is_read_from_the_brokers_configuration(tmp_path: Path) -> None:
    assert broker_consumer_timeout() > Plan.of(True).hold_seconds
    conf = tmp_path / "rabbitmq.conf"
    conf.write_text("consumer_timeout = 90000\n")
    assert broker_consumer_timeout(conf) == 90


def test_later_versions_follow_their_probabilities_and_end() -> None:
    rng = random.Random(4)
    after_new = Counter(follow_up(NEW, rng) for _ in range(10_000))
    assert after_new[SETTLE] == pytest.approx(2_500, rel=0.1)
    assert after_new[CORRECTION] == pytest.approx(1_000, rel=0.15)
    assert follow_up("settled-correction", rng) is None


def test_a_correction_raises_the_amount_at_the_currencys_scale_keeping_its_sign() -> None:
    assert corrected_amount("-12.50", "EUR") == "-13.75"
    assert corrected_amount("0.01", "USD") == "0.02"
    assert corrected_amount("-1200", "JPY") == "-1320"


def test_settling_sets_settled_at_and_keeps_identity_and_day() -> None:
    generator = TransactionGenerator(5)
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    [pending] = generator.batch({"X": ["card-1"]}, 1, now, now, now=now)
    done = next_version(generator, pending, SETTLE, now)
    assert done["status"] == "settled" and done["settled_at"] == "2026-12-01T12:00:00Z"
    assert {k: done[k] for k in ("transaction_id", "authorized_at", "amount")} == \
        {k: pending[k] for k in ("transaction_id", "authorized_at", "amount")}
    assert next_version(generator, pending, CORRECTION, now)["status"] == "pending"


def test_dead_letters_split_into_each_poisoned_message_once_and_the_unexpected() -> None:
    poisoned = DeadLetter("chaos-poison-1", "decode_error", "", "tally.ingest", ())
    webhook = DeadLetter.of("req-9", {"x-tally-reason": "processing_error", "x-tally-queue": "tally.ingest"},
                            b'{"transactions": [{"transaction_id": "tx1"}, {"transaction_id": "tx2"}]}')
    result = classify([poisoned, webhook, poisoned], {"chaos-poison-1", "chaos-poison-2"})
    assert (result.poisoned, result.poisoned_found, result.poisoned_missing) == (2, 1, ["chaos-poison-2"])
    assert result.unexpected == [webhook, poisoned]  # a second copy of a poisoned message is unexpected
    assert result.unexpected_by_reason == {"processing_error": 1, "decode_error": 1}
    assert result.unexpected_transactions == {"tx1", "tx2"} and result.failed
