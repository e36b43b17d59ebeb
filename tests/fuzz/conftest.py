"""The fuzz layer: schemathesis against each running instance's own GET /openapi.json.

Both gunicorn instances are the e2e layer's session fixtures (the test settings: own keyspace
and vhost, per-address limits raised). Every operation an instance serves (`x-instance`) is sent
generated requests, valid and invalid (schemathesis' examples, coverage and fuzzing phases):

- under a bearer token, the token of a real signed-up user (a fresh one for each logout, which
  ends the session it is sent with), except in the cases about a missing or broken token;
- every webhook body signed as sent by a real partner (Standard Webhooks), so the contract's
  checks are reached, not only the signature's;
- the user has data that took the real way (signed webhooks, ingest, a consumer) and its ids,
  and a bank simulator's link codes, are mixed into the generated ones, so PATCH, DELETE and
  linking reach their success answers too.

Checked: not_a_server_error, status_code_conformance, content_type_conformance and
response_schema_conformance (the document's answers name all their fields); 0 failures.

Reproducible by default: one fixed seed, no example database, so CI sends the same requests
every run. `TALLY_FUZZ_SEED=<integer>` explores another part of the input space, and
`TALLY_FUZZ_EXAMPLES` changes how many cases each operation's fuzzing phase sends.

Limits cannot make it flaky: sign-ups and failed logins per address are raised by the test
settings, and the per-email login windows count failures only, which no generated case can make
for the user's random email (a generated login that hits them is a documented 429).
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import AuthContext, Case, HookContext
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from service.bootstrap import Runtime
from service.settings import Settings
from tests.e2e.conftest import api, ingest  # noqa: F401 - the e2e layer's session fixtures, reused
from tests.support import webhooks
from tests.support.api import PASSWORD, HttpApi, log_in, sign_up
from tests.support.bank import SimulatedBank, start_simulated_bank
from tests.support.stack import AppProcess, running, start_consumer, wait_until
from tests.support.webhooks import BankPartner, SignedBy, transaction

SEED = int(os.environ.get("TALLY_FUZZ_SEED", "20261201"))
EXAMPLES = int(os.environ.get("TALLY_FUZZ_EXAMPLES", "60"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MIN_CASES = 1000


@dataclass
class FuzzRun:
    """What the layer sent: cases and answers per operation, and when it started."""

    started: float = field(default_factory=time.monotonic)
    cases: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    http: requests.Session = field(default_factory=requests.Session)

    def send(self, case: Case) -> None:
        """One case: sent, then every check; a failing check fails the operation's test."""
        self.cases[case.operation.label] += 1
        response = case.call(session=self.http, timeout=30)
        self.statuses[case.operation.label][response.status_code] += 1
        case.validate_response(response, checks=CHECKS)


RUN = pytest.StashKey[FuzzRun]()


@pytest.fixture(scope="session")
def fuzz_run(request: pytest.FixtureRequest) -> FuzzRun:
    run = FuzzRun()
    request.config.stash[RUN] = run
    return run


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is None:
        return
    seconds = time.monotonic() - run.started
    terminalreporter.write_sep("-", f"fuzz: {sum(run.cases.values())} cases over {len(run.cases)} operations, sent "
                                    f"in {seconds:.0f} s (seed {SEED})")
    for label, count in sorted(run.cases.items()):
        answers = " ".join(f"{status}×{n}" for status, n in sorted(run.statuses[label].items()))
        terminalreporter.write_line(f"{count:6d}  {label:52s} {answers}")


@dataclass(frozen=True)
class FuzzUser:
    """A signed-up user whose linked account has transactions, a rule and an override."""

    email: str
    token: str
    partner: BankPartner
    # Per path, path parameters of what the user has and bodies that name it: mixed into the
    # generated ones, so that PATCH, DELETE and linking reach their success answers (a
    # generated id is always someone else's, a generated link code never the bank's).
    paths: dict[str, list[dict[str, str]]]
    bodies: dict[str, list[dict[str, str]]]


def _seed_transactions() -> list[dict[str, Any]]:
    """Rows of every kind the read path formats: currencies of 0, 2 and 3 decimals, income and
    spend, each status, two cards, a merchant without an MCC, days from today to 40 days ago."""
    now = datetime.now(UTC)
    return [
        transaction(authorized_at=(now - timedelta(hours=1)).isoformat()),
        transaction(status="settled", card_id="card-2", authorized_at=(now - timedelta(days=1)).isoformat()),
        transaction(amount="-1500", currency="JPY", authorized_at=(now - timedelta(days=2)).isoformat()),
        transaction(amount="-1.250", currency="KWD", status="reversed",
                    authorized_at=(now - timedelta(days=3)).isoformat()),
        transaction(amount="2500.00", merchant={"name": "ACME PAYROLL", "mcc": None},
                    description="SALARY", authorized_at=(now - timedelta(days=5)).isoformat()),
        transaction(merchant={"name": "CORNER CAFE", "mcc": "5814"},
                    authorized_at=(now - timedelta(days=40)).isoformat()),
    ]


@pytest.fixture(scope="session")
def fuzz_bank(runtime: Runtime, log_dir: Path) -> Iterator[SimulatedBank]:
    """The partner of the run: a bank simulator, so linking reaches the bank's API."""
    bank = start_simulated_bank(runtime, log_dir)
    yield bank
    bank.sim.stop()


@pytest.fixture(scope="session")
def fuzz_user(api: AppProcess, ingest: AppProcess, fuzz_bank: SimulatedBank, runtime: Runtime,  # noqa: F811
              test_settings: Settings, log_dir: Path) -> FuzzUser:
    """Its transactions took the real way: signed webhooks to ingest, a consumer, Cassandra.
    Then one is recategorised through the api, which makes a rule and an override."""
    http = HttpApi(api.url or "")
    user_id, email = sign_up(http)
    token = log_in(http, email, PASSWORD)
    partner = fuzz_bank.partner
    account = f"ACC-{uuid.uuid4().hex[:12]}"
    runtime.accounts().claim(user_id, partner.partner_id, account, frozenset({"card-1", "card-2"}))
    sent = [dict(t, account_number=account) for t in _seed_transactions()]
    with running(start_consumer(test_settings, log_dir, "fuzz")):
        assert webhooks.post(ingest.url or "", partner, sent).status_code == 202
        # the last week's rows came in the same message, so in the same batch as the older one
        recent = len(sent) - 1
        wait_until(lambda: len(http.call("GET", "/me/transactions", token=token, params={"days": 7}
                                         ).body["transactions"]) == recent, message="the seeded transactions")
    first = sent[0]
    answer = http.call("PATCH", f"/me/transactions/{partner.partner_id}/{first['transaction_id']}",
                       json={"category": "dining_out"}, token=token)
    assert answer.status == 200, answer.body
    rules = http.call("GET", "/me/rules", token=token).body["rules"]
    # one-time codes: the first case sending one links an account (201), later ones are 422
    codes = [fuzz_bank.link_code(f"ACC-{uuid.uuid4().hex[:12]}") for _ in range(3)] + ["no-such-code"]
    return FuzzUser(email, token, partner, paths={
        "/me/transactions/{partner_id}/{transaction_id}": [
            {"partner_id": partner.partner_id, "transaction_id": t["transaction_id"]} for t in sent],
        "/me/rules/{merchant_key}": [{"merchant_key": rule["merchant_key"]} for rule in rules],
        "/me/accounts/{partner_id}/{account_number}": [{"partner_id": partner.partner_id, "account_number": account}],
        "/me/budgets/{category}": [{"category": "groceries"}, {"category": "dining_out"}],
    }, bodies={"/me/accounts": [{"partner_id": partner.partner_id, "link_code": code} for code in codes],
               "/me/budgets/{category}": [{"amount": "120.00", "currency": "EUR"},
                                          {"amount": "1500", "currency": "JPY"}]})


class Sessions:
    """Bearer tokens of the fuzz user: its session for every operation that declares the bearer
    scheme, and a new one for each logout, which ends the session it is sent with."""

    def __init__(self, base_url: str, user: FuzzUser) -> None:
        self.http = HttpApi(base_url)
        self.user = user

    def get(self, case: Case, context: AuthContext) -> str | None:
        if not context.operation.definition.raw.get("security"):
            return None
        if context.operation.path == "/auth/logout":
            return log_in(self.http, self.user.email, PASSWORD)
        return self.user.token

    def set(self, case: Case, data: str, context: AuthContext) -> None:
        case.headers["Authorization"] = f"Bearer {data}"


def served_by(instance: str) -> Callable[[Any], bool]:
    """An operation filter: the path items whose `x-instance` names `instance`."""
    def matches(ctx: Any) -> bool:
        operation = ctx.operation
        return instance in operation.schema.raw_schema["paths"][operation.path]["x-instance"]
    return matches


def _schema(app: AppProcess) -> OpenApiSchema:
    """The instance's own document (the test narrows it to the operations the instance serves)."""
    config = schemathesis.Config.from_dict({
        # Generation speed is not under test, and a shared 2-core machine makes it vary.
        "suppress-health-check": ["too_slow"],
        "seed": SEED,
        "base-url": app.url,
        "generation": {"mode": "all", "max-examples": EXAMPLES, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    })
    return schemathesis.openapi.from_url(f"{app.url}/openapi.json", config=config, timeout=10)


@pytest.fixture(scope="session")
def api_schema(api: AppProcess, fuzz_user: FuzzUser) -> OpenApiSchema:  # noqa: F811 - `api` is the imported fixture
    schema = _schema(api)
    schema.auth.providers.append(Sessions(api.url or "", fuzz_user))

    def with_known(known: dict[str, list[dict[str, str]]], context: HookContext,
                   strategy: st.SearchStrategy) -> st.SearchStrategy:
        values = known.get(context.operation.path) if context.operation else None
        return st.one_of(strategy, st.sampled_from(values)) if values else strategy

    @schema.hook
    def before_generate_path_parameters(context: HookContext, strategy: st.SearchStrategy) -> st.SearchStrategy:
        return with_known(fuzz_user.paths, context, strategy)

    @schema.hook
    def before_generate_body(context: HookContext, strategy: st.SearchStrategy) -> st.SearchStrategy:
        return with_known(fuzz_user.bodies, context, strategy)

    return schema


@pytest.fixture(scope="session")
def ingest_schema(ingest: AppProcess, fuzz_user: FuzzUser) -> OpenApiSchema:  # noqa: F811
    schema = _schema(ingest)
    schema.auth.set_from_requests(SignedBy(fuzz_user.partner))
    return schema
