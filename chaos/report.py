"""The campaign's figures: a table for the terminal, and everything as JSON (`--json FILE`)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from chaos.campaign import Outcome
from chaos.check import DUPLICATED, MISOWNED, MISSING, UNCATEGORISED, UNSENT, WRONG_VERSION

FAILING = "  <-- FAIL"


def table(outcome: Outcome) -> str:
    c, r, d = outcome.counts, outcome.result, outcome.dead
    lines = [
        f"tally chaos {'--quick ' if outcome.plan.quick else ''}{'--cluster ' if outcome.plan.cluster else ''}"
        f"(seed {outcome.seed}): "
        f"{'PASSED' if outcome.passed else 'FAILED'} in {outcome.duration:.0f} s (t=0 at "
        f"{outcome.started_at:%Y-%m-%dT%H:%M:%S}Z)",
        "",
        _row("transactions sent", outcome.transactions_sent),
        _row("versions accepted (later versions included)", c.versions),
        _row("webhook requests / accepted", f"{c.webhooks} / {c.accepted}"),
        _row("attempts / retries", f"{c.attempts} / {c.retries}"),
        _row("503 answers", c.http_503),
        _row("other 5xx answers", c.other_5xx),
        _row("4xx answers (valid requests)", c.client_errors or 0, bool(c.client_errors)),
        _row("no answer (connection errors, timeouts)", dict(c.errors) or 0),
        _row("deliveries started again after the retry policy gave up", c.redelivered),
        _row("stored exactly once in both tables", r.stored),
        _row("missing", r.counts[MISSING], bool(r.counts[MISSING])),
        *_in_dead_letters(outcome, MISSING),
        _row("duplicated", r.counts[DUPLICATED], bool(r.counts[DUPLICATED])),
        _row("wrong version", r.counts[WRONG_VERSION], bool(r.counts[WRONG_VERSION])),
        *_in_dead_letters(outcome, WRONG_VERSION),
        _row("uncategorised", r.counts[UNCATEGORISED], bool(r.counts[UNCATEGORISED])),
        _row("misowned", r.counts[MISOWNED], bool(r.counts[MISOWNED])),
        *[f"      {n:>5} {cause}" for cause, n in sorted(outcome.misowned_causes.items())],
        _row("never accepted (unsent)", r.counts[UNSENT], bool(r.counts[UNSENT])),
        _row("rows of transactions never sent", r.unknown_rows, bool(r.unknown_rows)),
        _row("rows left in held_by_account", outcome.stored.held),
        _row("dead letters poisoned / found", f"{d.poisoned} / {d.poisoned_found}", bool(d.poisoned_missing)),
        _row("unexpected dead letters", f"{len(d.unexpected)} {d.unexpected_by_reason or ''} carrying "
             f"{len(d.unexpected_transactions)} transactions", bool(d.unexpected)),
        _row("user API listings differing from the stored rows", _listing_summary(outcome), outcome.listing_failed),
        _row("send / drain time", f"{outcome.send_seconds:.0f} s / "
             f"{outcome.drain.seconds:.0f} s{'' if outcome.drain.drained else ' (NOT drained)'}",
             not outcome.drain.drained),
        "",
        "fault timeline (seconds since the campaign started):",
    ]
    for a in outcome.applied:
        lines.append(f"  t={a.started:6.1f}  {a.kind} #{a.occurrence:<2} {'ok    ' if a.ok else 'FAILED'} "
                     f"{a.ended - a.started:5.1f} s  {a.detail}")
    missing_faults = len(outcome.planned) - len(outcome.applied)
    if missing_faults:
        lines.append(f"  {missing_faults} planned fault(s) never applied{FAILING}")
    for kind, samples in r.samples.items():
        lines.append(f"{kind}, first {len(samples)}:")
        lines += [f"  {s['transaction_id']}: {s['detail']}" for s in samples[:5]]
    return "\n".join(lines)


def _in_dead_letters(outcome: Outcome, kind: str) -> list[str]:
    """How many transactions of a finding a message in tally.dead carries (a version of them)."""
    ids = outcome.result.ids.get(kind, [])
    if not ids:
        return []
    carried = len(set(ids) & outcome.dead.unexpected_transactions)
    return [f"      {carried:>5} of them in a message of tally.dead"]


def _row(label: str, value: Any, failing: bool = False) -> str:
    return f"  {label:<58} {value}{FAILING if failing else ''}"


def _listing_summary(outcome: Outcome) -> str:
    totals = {kind: sum(len(d[kind]) for d in outcome.listing.values()) for kind in ("missing", "extra",
                                                                                      "duplicated", "differing")}
    return ", ".join(f"{k} {v}" for k, v in totals.items())


def write_json(outcome: Outcome, path: Path) -> None:
    c, d = outcome.counts, outcome.dead
    document = {
        "passed": outcome.passed, "seed": outcome.seed, "started_at": outcome.started_at.isoformat(),
        "duration_seconds": round(outcome.duration, 1),
        "plan": dataclasses.asdict(outcome.plan) | {"rate_webhooks_per_second": round(outcome.plan.rate, 3)},
        "sent": {"transactions": outcome.transactions_sent, "versions_accepted": c.versions, "webhooks": c.webhooks,
                 "accepted": c.accepted, "attempts": c.attempts, "retries": c.retries, "http_503": c.http_503,
                 "other_5xx": c.other_5xx, "client_errors": c.client_errors,
                 "statuses": {str(k): v for k, v in c.statuses.items()}, "no_answer": dict(c.errors),
                 "redelivered": c.redelivered, "send_seconds": round(outcome.send_seconds, 1)},
        "check": {"stored": outcome.result.stored, **dict(outcome.result.counts),
                  "misowned_causes": dict(outcome.misowned_causes),
                  "unknown_rows": outcome.result.unknown_rows, "held_left": outcome.stored.held,
                  "samples": outcome.result.samples, "ids": outcome.result.ids},
        "dead_letters": {"poisoned": d.poisoned, "poisoned_found": d.poisoned_found,
                         "poisoned_missing": d.poisoned_missing, "unexpected": len(d.unexpected),
                         "unexpected_by_reason": d.unexpected_by_reason,
                         "unexpected_transactions": len(d.unexpected_transactions),
                         "missing_in_dead_letters": len(set(outcome.result.ids.get(MISSING, []))
                                                        & d.unexpected_transactions),
                         "wrong_version_in_dead_letters": len(set(outcome.result.ids.get(WRONG_VERSION, []))
                                                              & d.unexpected_transactions),
                         "unexpected_samples": [dataclasses.asdict(x) | {"transaction_ids": len(x.transaction_ids)}
                                                for x in d.unexpected[:20]]},
        "user_api": outcome.listing,
        "drain": dataclasses.asdict(outcome.drain),
        "faults": [dataclasses.asdict(a) for a in outcome.applied],
        "planned_faults": [dataclasses.asdict(p) for p in outcome.planned],
        "ownership": {"initial": outcome.ownership.initial,
                      "relinks": [dataclasses.asdict(r) for r in outcome.ownership.relinks]},
        "users": [u.user_id for u in outcome.users],
    }
    path.write_text(json.dumps(document, indent=2, default=str))
