"""`tally chaos`: the campaign. Builds its own stack, signs up users and links their accounts,
sends while applying the faults on schedule, waits for the drain, then checks every
transaction the bank sent in both tables and through the user API, and tally.dead."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from chaos import schedule
from chaos.check import MISOWNED, CheckResult, check, compare_listing, expect
from chaos.deadletters import DeadLetterResult, classify
from chaos.faults import Applied, Faults
from chaos.ledger import SentLedger
from chaos.ownership import Ownership, misowning
from chaos.readback import Drain, Stored, read_dead_letters, read_stored, wait_drained
from chaos.sender import CampaignBank, SendCounts
from chaos.stack import PARTNER, Stack, chaos_stack
from chaos.users import App, User
from simulators.bank.delivery import Signer

DRAIN_TIMEOUT = 600.0
SEND_GRACE = 600.0  # after its planned end, how long the bank may still be retrying before the run gives up


@dataclass
class Outcome:
    plan: schedule.Plan
    seed: int
    counts: SendCounts
    transactions_sent: int
    planned: list[schedule.Planned]
    applied: list[Applied]
    ownership: Ownership
    users: list[User]
    send_seconds: float
    drain: Drain
    stored: Stored
    result: CheckResult
    dead: DeadLetterResult
    listing: dict[str, dict[str, list[str]]]  # user id → compare_listing's differences
    misowned_causes: Counter[str]
    started_at: datetime  # t = 0 of every time in the outcome, to read the logs beside it
    duration: float = 0.0

    @property
    def faults_ok(self) -> bool:
        return len(self.applied) == len(self.planned) and all(a.ok for a in self.applied)

    @property
    def listing_failed(self) -> bool:
        return any(ids for differences in self.listing.values() for ids in differences.values())

    @property
    def passed(self) -> bool:
        return not (self.result.failed or self.dead.failed or self.listing_failed or not self.faults_ok
                    or self.counts.client_errors or not self.drain.drained)


def run(plan: schedule.Plan, seed: int, say: Callable[[str], None],
        report: Callable[[Outcome, Stack], None]) -> Outcome:
    """The whole campaign; `report` gets the outcome while the stack still runs (to print it,
    and to let an operator look around before everything is stopped)."""
    consumer_timeout = schedule.broker_consumer_timeout()
    if plan.hold_seconds >= consumer_timeout:
        raise ValueError(f"the consumers' hold ({plan.hold_seconds} s) must be below consumer_timeout")
    began, started_at = time.monotonic(), datetime.now(UTC)

    def clock() -> float:
        return time.monotonic() - began

    rng = random.Random(seed)
    with chaos_stack(plan.hold_seconds, say, cluster=plan.cluster) as stack:
        app = App(stack.url("api"), stack.url("bank-sim"), PARTNER)
        users, ownership, cards = _people(app, plan, say)
        ledger, stop = SentLedger(), threading.Event()
        bank = CampaignBank(url=f"{stack.url('ingest')}/hook/transaction", signer=Signer(PARTNER, stack.secret),
                            cards=cards, plan=plan, seed=seed, clock=clock, ledger=ledger, stop=stop)
        faults = Faults(stack, app, users, ownership, plan, consumer_timeout, rng, clock)
        planned = schedule.schedule(plan.counts, plan.send_seconds, rng)
        send_seconds = _send(bank, faults, planned, clock, say)
        drain = wait_drained(stack.settings, DRAIN_TIMEOUT, say)
        say(f"drained in {drain.seconds:.0f} s; reading every row back" if drain.drained
            else f"NOT drained after {DRAIN_TIMEOUT:.0f} s: {drain.left}; checking anyway")
        stored = read_stored(stack.settings)
        result = check([expect(history, ownership) for history in ledger.histories()], stored.by_id, stored.by_day)
        causes = _explain_misowned(result, ledger, ownership, stored)
        dead = classify(read_dead_letters(stack.settings), faults.poisoned)
        listing = {u.user_id: compare_listing(app.listing(u), stored.by_user.get(u.user_id, {})) for u in users}
        outcome = Outcome(plan, seed, bank.counts, len(ledger), planned, faults.applied, ownership, users,
                          send_seconds, drain, stored, result, dead, listing, causes, started_at, duration=clock())
        report(outcome, stack)
    return outcome


def _send(bank: CampaignBank, faults: Faults, planned: list[schedule.Planned], clock: Callable[[], float],
          say: Callable[[str], None]) -> float:
    """Runs the bank while the faults are applied on schedule; returns how long the bank sent.
    A bank still retrying SEND_GRACE after the planned end is stopped (its rest is unsent)."""
    plan = bank.plan
    say(f"sending {plan.transactions:,} transactions (and later versions of some) at {plan.rate:.2f} "
        f"webhooks/s over about {plan.send_seconds:.0f} s; {len(planned)} faults")
    sender = threading.Thread(target=bank.run, name="chaos-bank", daemon=True)
    send_started = clock()
    try:
        sender.start()
        _apply_faults(faults, planned, send_started, clock, say)
        sender.join(max(0.0, send_started + plan.send_seconds + SEND_GRACE - clock()))
    finally:
        bank.stop.set()  # no-op when the bank is done; else (Ctrl-C, too late) its requests stop
        sender.join(60)
    seconds = clock() - send_started
    say(f"bank done in {seconds:.0f} s: {bank.counts.accepted} of {bank.counts.webhooks} webhooks accepted; "
        "waiting for the drain")
    return seconds


def _people(app: App, plan: schedule.Plan, say: Callable[[str], None]
            ) -> tuple[list[User], Ownership, dict[str, list[str]]]:
    """Users signed up through the API, each linking `accounts_per_user` bank accounts."""
    run_id = uuid.uuid4().hex[:6]
    users = [app.sign_up(i, run_id) for i in range(plan.users)]
    owners, cards = {}, {}
    for i, user in enumerate(users):
        for j in range(plan.accounts_per_user):
            number = f"CHAOS-{i:02d}-{j}"
            cards[number] = app.link(user, number)
            owners[number] = user.user_id
    say(f"{len(users)} users signed up, {len(owners)} accounts linked")
    return users, Ownership(owners), cards


def _apply_faults(faults: Faults, planned: list[schedule.Planned], send_started: float,
                  clock: Callable[[], float], say: Callable[[str], None]) -> None:
    for fault in planned:
        due = send_started + fault.at
        time.sleep(max(0.0, due - clock()))
        applied = faults.apply(fault, due)
        say(f"fault {fault.kind} #{fault.occurrence}: {'applied' if applied.ok else 'FAILED'} in "
            f"{applied.ended - applied.started:.1f} s: {applied.detail}")


def _explain_misowned(result: CheckResult, ledger: SentLedger, ownership: Ownership, stored: Stored) -> Counter[str]:
    """Why each misowned transaction is (chaos.ownership.misowning), counted; each misowned
    sample also gets its sends and its account's relinks, for a reader to check."""
    histories = {h.transaction_id: h for h in ledger.histories()}
    causes: dict[str, str] = {}
    for tid in result.ids.get(MISOWNED, []):
        history = histories[tid]
        users = {row.user_id for row in (*stored.by_id.get(tid, []), *stored.by_day.get(tid, []))}
        relinks = [r for r in ownership.relinks if r.account_number == history.account_number]
        causes[tid] = misowning(users, history.windows(), relinks)
    for sample in result.samples.get(MISOWNED, []):
        history = histories[sample["transaction_id"]]
        sample["cause"] = causes[sample["transaction_id"]]
        sample["sends"] = [(round(start, 1), round(end, 1)) for start, end in history.windows()]
        sample["relinks"] = [{"from": r.from_user, "to": r.to_user, "started": round(r.started, 1),
                              "answered": round(r.answered, 1)}
                             for r in ownership.relinks if r.account_number == history.account_number]
    return Counter(causes.values())
