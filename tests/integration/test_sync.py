"""The sync feed against the real Cassandra: two pipelines racing (as two consumers), messages
redelivered, change-log writers slowed at random, recategorisations and forgotten accounts,
while a reader replays the feed into a local copy; afterwards the copy must equal the user's
rows exactly, and no page may hold a transaction twice.

The horizon and the change log's max delay are shortened (1.0 s and 0.5 s, the same ratio of
margins as production's 15 s and 5 s) so the tests run in seconds; the writers are slowed past
the max delay on purpose, so entries are re-stamped and stale ones commit behind the reader.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.api import answers
from service.bootstrap import Runtime
from service.history import rows, sync
from service.history.cursor import InvalidCursor
from service.history.recategorise import recategorise
from service.pipeline.deliveries import Delivery, decode
from service.pipeline.processor import TransactionPipeline
from service.repositories.changes import ChangeLogRepository, SlowChangeLog
from service.users.linking import forget_account
from tests.support.users import LinkedUser, linked_user
from tests.support.webhooks import body, transaction

MAX_DELAY = timedelta(seconds=0.5)
HORIZON = timedelta(seconds=1.0)
SECRET = "test-sync-secret"
_EPOCH, _END = datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)


class JitteryLog(ChangeLogRepository):
    """A change log whose writer stalls half the time between stamping and writing (a GC pause,
    a starved CPU): mostly under the max delay, so entries commit up to 0.45 s behind their
    stamp, after later-stamped ones (what the horizon covers); sometimes past it (re-stamped)."""

    def __init__(self, rt: Runtime, rng: random.Random) -> None:
        super().__init__(rt.session, max_delay=MAX_DELAY)
        self.rng = rng
        self.lock = threading.Lock()

    def _write(self, changes: Any, stamp: datetime) -> None:
        with self.lock:
            draw = self.rng.random()
            stall = self.rng.uniform(0.1, 0.45) if draw < 0.4 else 0.7 if draw < 0.5 else 0.0
        time.sleep(stall)  # under the max delay: the horizon must cover it; over: re-stamped
        super()._write(changes, stamp)


def delivery(partner_id: str, txns: list[dict[str, Any]]) -> Delivery:
    headers = {"partner_id": partner_id, "received_at": datetime.now(UTC).isoformat(), "request_id": uuid.uuid4().hex,
               "webhook-id": f"wh-{uuid.uuid4().hex}"}
    return decode(body(txns), headers)


def persist(action: Callable[[], Any]) -> None:
    """What a consumer does with a batch whose change log was too slow: retries it whole."""
    for _ in range(20):
        try:
            action()
            return
        except SlowChangeLog:
            continue
    raise AssertionError("the change log stayed slow")


class Replica:
    """An app's local copy, kept by the sync feed in a thread of its own."""

    def __init__(self, rt: Runtime, user_id: uuid.UUID) -> None:
        self.rt, self.user_id = rt, user_id
        self.local: dict[tuple[str, str], dict[str, Any]] = {}
        self.cursor: str | None = None
        self.pages = 0
        self.stop = threading.Event()
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def sync_once(self) -> bool:
        page = sync.sync(self.rt.history(), self.rt.changes(), self.rt.overrides(), user_id=self.user_id,
                         cursor=self.cursor, count=7, secret=SECRET, now=datetime.now(UTC), horizon=HORIZON)
        keys = [(i.row.partner_id, i.row.transaction_id) for i in page.added + page.modified] + page.removed
        assert len(keys) == len(set(keys)), f"a transaction twice in one page: {keys}"
        for item in page.added + page.modified:
            self.local[(item.row.partner_id, item.row.transaction_id)] = answers.listed(item)
        for key in page.removed:
            self.local.pop(key, None)
        self.cursor = page.next_cursor
        self.pages += 1
        return page.has_more

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                self.sync_once()
                time.sleep(0.05)
        except BaseException as exc:  # noqa: BLE001 - reported by finish()
            self.failure = exc

    def start(self) -> Replica:
        self.thread.start()
        return self

    def finish(self) -> None:
        """After the writers: stop the thread, wait out the horizon, read to the end."""
        self.stop.set()
        self.thread.join()
        if self.failure is not None:
            raise self.failure
        time.sleep(HORIZON.total_seconds() + 0.3)
        while self.sync_once():
            pass


def truth(rt: Runtime, user_id: uuid.UUID) -> dict[tuple[str, str], dict[str, Any]]:
    """The user's rows as the API shows them (overrides merged), read whole."""
    history = rt.history()
    stored = list(history.scan(user_id, history.days_of(user_id), _EPOCH, _END, fetch_size=500))
    months = {r.authorized_at.strftime("%Y-%m") for r in stored}
    merged = rows.merge(stored, rt.overrides().of_months(user_id, months))
    return {(i.row.partner_id, i.row.transaction_id): answers.listed(i) for i in merged}


def versions(owner: LinkedUser, rng: random.Random, count: int) -> list[list[dict[str, Any]]]:
    """Per transaction its versions in the bank's order: pending, maybe an amount correction,
    settled, maybe reversed; each with its own updated_at."""
    start = datetime.now(UTC) - timedelta(minutes=30)
    made = []
    for n in range(count):
        base = transaction(account_number=owner.account_number, amount=f"-{rng.randint(100, 9999) / 100:.2f}",
                           authorized_at=(start - timedelta(days=rng.randint(0, 3), minutes=n)).isoformat(),
                           updated_at=start.isoformat())
        steps = [base]
        if rng.random() < 0.5:
            steps.append(dict(base, amount=f"-{rng.randint(100, 9999) / 100:.2f}",
                              updated_at=(start + timedelta(seconds=1)).isoformat()))
        steps.append(dict(base, status="settled", settled_at=start.isoformat(),
                          updated_at=(start + timedelta(seconds=2)).isoformat()))
        if rng.random() < 0.2:
            steps.append(dict(base, status="reversed", updated_at=(start + timedelta(seconds=3)).isoformat()))
        made.append(steps)
    return made


def race(pipelines: list[TransactionPipeline], batches: list[list[Delivery]]) -> None:
    """Each pipeline processes its own list at the same time, batch after batch."""
    barrier = threading.Barrier(len(pipelines))
    errors: list[BaseException] = []

    def run(pipeline: TransactionPipeline, mine: list[Delivery]) -> None:
        barrier.wait()
        try:
            for d in mine:
                persist(lambda d=d: pipeline.process([d]))  # type: ignore[misc]
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p, b)) for p, b in zip(pipelines, batches, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.fixture
def owner(runtime: Runtime, partner: Any) -> LinkedUser:
    return linked_user(runtime, partner.partner_id)


def test_two_racing_pipelines_and_redeliveries_reach_the_replica_exactly(runtime: Runtime, owner: LinkedUser) -> None:
    rng = random.Random(20261204)
    log = JitteryLog(runtime, rng)
    pipelines = [runtime.build_pipeline(log), runtime.build_pipeline(log)]
    replica = Replica(runtime, owner.user_id).start()
    sent = [delivery(owner.partner_id, [v]) for steps in versions(owner, rng, 24) for v in steps]
    redelivered = rng.sample(sent, len(sent) // 2)
    mixed = sent + redelivered
    rng.shuffle(mixed)
    race(pipelines, [mixed[0::2], mixed[1::2]])
    race(pipelines, [redelivered, list(reversed(redelivered))])  # the same messages, again, both at once
    replica.finish()

    expected = truth(runtime, owner.user_id)
    assert len(expected) == 24
    assert replica.local == expected
    assert {row.status for row in expected.values()} <= {"settled", "reversed"}


def test_a_long_random_interleaving_replays_into_the_users_rows(runtime: Runtime, owner: LinkedUser) -> None:
    """Rounds of racing pipelines (new transactions, corrections, settlements, reversals,
    redeliveries), with recategorisations, apply-to-past and an account forgotten and linked
    again between them, while the replica syncs throughout."""
    rng = random.Random(7)
    log = JitteryLog(runtime, rng)
    pipelines = [runtime.build_pipeline(log), runtime.build_pipeline(log)]
    replica = Replica(runtime, owner.user_id).start()
    planned = versions(owner, rng, 60)
    pending = [list(steps) for steps in planned]
    delivered: list[Delivery] = []
    for round_number in range(8):
        batch: list[Delivery] = []
        for steps in rng.sample(pending, min(len(pending), 12)):
            if steps:
                batch.append(delivery(owner.partner_id, [steps.pop(0)]))
        batch += rng.sample(delivered, min(len(delivered), 5))  # redeliveries of earlier messages
        delivered += batch
        rng.shuffle(batch)
        race(pipelines, [batch[0::2], batch[1::2]])
        stored = list(truth(runtime, owner.user_id))
        if stored:
            partner_id, transaction_id = rng.choice(stored)
            persist(lambda p=partner_id, t=transaction_id: recategorise(  # type: ignore[misc]
                runtime.history(), runtime.overrides(), runtime.rules(), log, user_id=owner.user_id,
                partner_id=p, transaction_id=t, category=rng.choice(["fuel", "travel", "cash"]),
                apply_to_past=rng.random() < 0.3, now=datetime.now(UTC)))
        if round_number == 4:  # the account goes, its rows with it; linked again, what comes next is stored
            assert forget_account(runtime.accounts(), runtime.history(), log, user_id=owner.user_id,
                                  partner_id=owner.partner_id, account_number=owner.account_number)
            assert truth(runtime, owner.user_id) == {}
            runtime.accounts().claim(owner.user_id, owner.partner_id, owner.account_number, frozenset({"card-1"}))
            persist(lambda: pipelines[0].drain(owner.partner_id, owner.account_number, _no_reject))
    replica.finish()

    expected = truth(runtime, owner.user_id)
    assert expected, "something was stored after the account came back"
    assert replica.local == expected
    assert replica.pages > 20


def test_the_first_call_pages_the_history_then_the_log_and_a_cursor_is_bound_to_its_user(
        runtime: Runtime, owner: LinkedUser) -> None:
    pipeline = runtime.build_pipeline()
    txns = [transaction(account_number=owner.account_number,
                        authorized_at=(datetime.now(UTC) - timedelta(days=n % 5, hours=1)).isoformat())
            for n in range(17)]
    pipeline.process([delivery(owner.partner_id, txns)])
    later = datetime.now(UTC) + sync.HORIZON + timedelta(seconds=1)  # a reader past the horizon
    seen: list[tuple[str, str]] = []
    cursor = None
    calls = 0
    while True:
        page = sync.sync(runtime.history(), runtime.changes(), runtime.overrides(), user_id=owner.user_id,
                         cursor=cursor, count=5, secret=SECRET, now=later)
        calls += 1
        seen += [(i.row.partner_id, i.row.transaction_id) for i in page.added + page.modified]
        cursor = page.next_cursor
        if not page.has_more:
            break
    # history: 17 in 4 pages; then the log, where the same 17 were added after the first call began
    assert sorted(set(seen)) == sorted((owner.partner_id, t["transaction_id"]) for t in txns)
    assert calls >= 5
    with pytest.raises(InvalidCursor):
        sync.sync(runtime.history(), runtime.changes(), runtime.overrides(), user_id=uuid.uuid4(),
                  cursor=cursor, count=5, secret=SECRET, now=later)
    with pytest.raises(sync.CursorExpired):
        sync.sync(runtime.history(), runtime.changes(), runtime.overrides(), user_id=owner.user_id,
                  cursor=cursor, count=5, secret=SECRET, now=later + timedelta(days=32))


def _no_reject(held: Any, why: str) -> None:
    raise AssertionError(f"{held.transaction_id} rejected: {why}")
