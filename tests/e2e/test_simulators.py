"""The third-party simulators over real HTTP, each a real subprocess: the bank's signed webhook
delivery (signatures, retries, forgetting), its partner API (link codes, paging, faults), and
the merchant-lookup API (fuzzy search, auth, faults)."""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from service.contract import parse_body
from simulators.catalog import COUNTRIES, merchants
from tests.support.simulators import (
    CURRENCY_SCALE,
    TEST_API_TOKEN,
    TEST_MERCHANT_KEY,
    TEST_SIGNING_SECRET,
    Received,
    SimulatorProcess,
    WebhookReceiver,
    assert_wire_shaped,
    bank_sim,
    ledger_ids,
    merchant_sim,
    received_ids,
    run_send_job,
)

pytestmark = pytest.mark.timeout(60)
AUTH = {"Authorization": f"Bearer {TEST_API_TOKEN}"}
FAST_RETRIES = ["--backoff-initial", "0.05", "--backoff-max", "0.2"]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as accepting:
        yield accepting


# --- sending side ---------------------------------------------------------------------------------


def test_send_job_delivers_signed_wire_shaped_batches(receiver: WebhookReceiver) -> None:
    with bank_sim(webhook_url=receiver.url, partner_id="bank-e2e", args=["--seed", "3"]) as bank:
        report = run_send_job(bank, accounts=["DE-1", "DE-2"], count=250, batch_size=100)
        ledger = ledger_ids(bank, "DE-1", "DE-2")

    verifier = Webhook(TEST_SIGNING_SECRET)
    assert sorted(len(r.transactions()) for r in receiver.received) == [50, 100, 100]  # sent concurrently
    for request in receiver.received:
        verifier.verify(request.body, request.headers)  # raises on a bad signature or stale timestamp
        assert len(parse_body(request.body)) == len(request.transactions())  # Tally's own contract
        assert request.headers["x-partner-id"] == "bank-e2e"
        assert request.headers["content-type"] == "application/json"
        for tx in request.transactions():
            assert_wire_shaped(tx)
            assert tx["status"] == "pending"
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 3
    assert set(received_ids(receiver)) == ledger and len(ledger) == 250
    assert report["transactions_accepted"] == 250 and report["requests_accepted"] == 3
    assert report["retried"] == 0 and report["gave_up"] == 0


def test_retries_5xx_with_a_new_timestamp_and_signature_but_the_same_webhook_id() -> None:
    def two_failures(_request: Received, n: int) -> tuple[int, dict[str, str]]:
        return (503, {"Retry-After": "1"}) if n < 2 else (202, {})

    with WebhookReceiver(two_failures) as flaky, bank_sim(webhook_url=flaky.url, args=FAST_RETRIES) as bank:
        report = run_send_job(bank, accounts=["DE-1"], count=5)

    attempts = flaky.received
    assert len(attempts) == 3
    assert len({a.headers["webhook-id"] for a in attempts}) == 1
    assert len({a.headers["webhook-timestamp"] for a in attempts}) == 3  # re-signed at every attempt
    assert len({a.headers["webhook-signature"] for a in attempts}) == 3
    assert attempts[1].at - attempts[0].at >= 0.95  # Retry-After: 1 was honoured
    for attempt in attempts:
        Webhook(TEST_SIGNING_SECRET).verify(attempt.body, attempt.headers)
    assert report["retried"] == 2 and report["requests_accepted"] == 1 and report["gave_up"] == 0


def test_4xx_is_recorded_as_rejected_and_never_retried() -> None:
    with WebhookReceiver(lambda _r, _n: (422, {})) as refusing, \
            bank_sim(webhook_url=refusing.url, args=FAST_RETRIES) as bank:
        cli = subprocess.run([sys.executable, "-m", "simulators.bank.cli", "send", "--bank", bank.url,
                              "--account", "DE-1", "--count", "30", "--rate", "100", "--batch-size", "10",
                              "--json"], capture_output=True, text=True, timeout=30)

    assert cli.returncode == 0, cli.stderr  # nothing was given up: a rejection is final, not a failure
    report = json.loads(cli.stdout)
    assert len(refusing.received) == 3  # one attempt per request
    assert report["rejected"] == {"422": 3} and report["retried"] == 0 and report["gave_up"] == 0
    assert sorted(report["transaction_ids_rejected"]) == sorted(received_ids(refusing))


def test_gives_up_after_max_attempts_and_the_cli_exits_1() -> None:
    with WebhookReceiver(lambda _r, _n: (500, {})) as broken, \
            bank_sim(webhook_url=broken.url, args=[*FAST_RETRIES, "--max-attempts", "3"]) as bank:
        cli = subprocess.run([sys.executable, "-m", "simulators.bank.cli", "send", "--bank", bank.url,
                              "--account", "DE-9", "--count", "20", "--rate", "100", "--batch-size", "10",
                              "--json"], capture_output=True, text=True, timeout=30)
        given_up = ledger_ids(bank, "DE-9")

    assert cli.returncode == 1, cli.stderr
    assert len(broken.received) == 2 * 3
    assert '"gave_up": 2' in cli.stdout and "HTTP 500" in cli.stdout
    assert all(tid in cli.stdout for tid in given_up)


def test_timeouts_and_connection_errors_are_retried() -> None:
    def slow_first(_request: Received, n: int) -> tuple[int, dict[str, str]]:
        if n == 0:
            time.sleep(0.8)  # longer than the bank's read timeout
        return 202, {}

    with WebhookReceiver(slow_first) as slow, \
            bank_sim(webhook_url=slow.url, args=[*FAST_RETRIES, "--request-timeout", "0.3"]) as bank:
        timed_out = run_send_job(bank, accounts=["DE-1"], count=3)
    closed_port_url = "http://127.0.0.1:9/hook/transaction"  # discard port: connection refused
    with bank_sim(webhook_url=closed_port_url, args=[*FAST_RETRIES, "--max-attempts", "2"]) as bank:
        refused = run_send_job(bank, accounts=["DE-1"], count=3)

    assert timed_out["retried"] == 1 and timed_out["requests_accepted"] == 1 and len(slow.received) == 2
    assert refused["gave_up"] == 1 and refused["attempts"] == 2
    assert "ConnectionError" in refused["last_failure"]
    assert len(refused["transaction_ids_given_up"]) == 3


def test_forget_rate_drops_exactly_the_reported_requests(receiver: WebhookReceiver) -> None:
    with bank_sim(webhook_url=receiver.url, args=["--seed", "11"]) as bank:
        cli = subprocess.run([sys.executable, "-m", "simulators.bank.cli", "config", "--bank", bank.url,
                              "--forget-rate", "0.5"], capture_output=True, text=True, timeout=20)
        assert cli.returncode == 0 and '"forget_rate": 0.5' in cli.stdout, cli.stderr
        report = run_send_job(bank, accounts=["DE-1"], count=400, batch_size=10)
        ledger = ledger_ids(bank, "DE-1")
        stats = requests.get(f"{bank.url}/sim/stats", timeout=5).json()

    delivered, forgotten = set(received_ids(receiver)), set(report["transaction_ids_forgotten"])
    assert 0 < report["forgotten"] < 40
    assert len(forgotten) == 10 * report["forgotten"]
    assert delivered.isdisjoint(forgotten) and delivered | forgotten == ledger
    assert stats["webhook_requests_forgotten"] == report["forgotten"]


def test_settle_after_sends_a_later_settled_version_of_accepted_transactions(receiver: WebhookReceiver) -> None:
    with bank_sim(webhook_url=receiver.url) as bank:
        report = run_send_job(bank, accounts=["DE-1"], count=40, batch_size=20, settle_after=1.0)
        ledger = requests.get(f"{bank.url}/sim/accounts/DE-1/transactions", timeout=5).json()["transactions"]

    versions: dict[str, list[dict[str, Any]]] = {}
    for tx in (t for r in receiver.received for t in r.transactions()):
        assert_wire_shaped(tx)
        versions.setdefault(tx["transaction_id"], []).append(tx)
    assert len(versions) == 40 and report["settle_updates"] == 40
    assert all([v["status"] for v in seen] == ["pending", "settled"] for seen in versions.values())
    assert all(tx["status"] == "settled" for tx in ledger)


def test_sigterm_stops_a_bank_with_a_job_in_backoff() -> None:
    with WebhookReceiver(lambda _r, _n: (503, {"Retry-After": "30"})) as down, \
            bank_sim(webhook_url=down.url) as bank:
        requests.post(f"{bank.url}/sim/send", json={"accounts": ["DE-1"], "count": 1, "rate": 10}, timeout=5)
        time.sleep(0.5)
        started = time.monotonic()
        assert bank.stop(timeout=8) == 0  # SIGTERM: exit status 0
        assert time.monotonic() - started < 7
    assert len(down.received) == 1  # the 30 s Retry-After was being waited out
    assert "stopped" in bank.log_tail()


# --- partner API ------------------------------------------------------------------------------------


def test_link_code_exchange_is_one_time_and_authenticated() -> None:
    with bank_sim(args=["--link-code-ttl", "1"]) as bank:
        cli = subprocess.run([sys.executable, "-m", "simulators.bank.cli", "link-code", "--bank", bank.url,
                              "--account", "DE-77", "--card", "card-a", "--card", "card-b"],
                             capture_output=True, text=True, timeout=20, check=True)
        code = cli.stdout.strip()
        exchange = f"{bank.url}/api/v1/link-codes/exchange"
        assert requests.post(exchange, json={"link_code": code}, timeout=5).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert requests.post(exchange, json={"link_code": code}, headers=wrong, timeout=5).status_code == 401
        first = requests.post(exchange, json={"link_code": code}, headers=AUTH, timeout=5)
        second = requests.post(exchange, json={"link_code": code}, headers=AUTH, timeout=5)
        expiring = requests.post(f"{bank.url}/sim/link-codes", json={"account_number": "DE-78"}, timeout=5).json()
        time.sleep(1.2)
        expired = requests.post(exchange, json={"link_code": expiring["link_code"]}, headers=AUTH, timeout=5)
        empty = requests.post(exchange, json={}, headers=AUTH, timeout=5)

    assert first.status_code == 200 and first.json() == {"account_number": "DE-77", "card_ids": ["card-a", "card-b"]}
    assert second.status_code == 404 and second.json()["error"] == "unknown_link_code"
    assert len(expiring["card_ids"]) == 2
    assert expired.status_code == 404 and expired.json()["error"] == "unknown_link_code"
    assert empty.status_code == 400 and "link_code" in empty.json()["message"]


def test_list_api_pages_through_the_ledger_in_order_with_every_id_once() -> None:
    with bank_sim(args=["--seed", "5"]) as bank:
        made = requests.post(f"{bank.url}/sim/accounts/DE-5/generate",
                             json={"count": 2345, "from": "2026-01-01", "to": "2026-03-31"}, timeout=30)
        assert made.status_code == 201 and made.json()["generated"] == 2345
        pages, listed = list_all(bank, "DE-5", {"from": "2026-01-01", "to": "2026-03-31", "page_size": 100})
        _, february = list_all(bank, "DE-5", {"from": "2026-02-01", "to": "2026-02-28", "page_size": 1000})
        ledger = ledger_ids(bank, "DE-5")
        stats = requests.get(f"{bank.url}/sim/stats", timeout=5).json()

    keys = [(utc(t["authorized_at"]), t["transaction_id"]) for t in listed]
    assert keys == sorted(keys)
    assert Counter(t["transaction_id"] for t in listed) == Counter(ledger)
    assert pages == 24 and stats["list_pages_served"] == pages + 1
    expected_february = {t["transaction_id"] for t in listed if utc(t["authorized_at"]).startswith("2026-02")}
    assert {t["transaction_id"] for t in february} == expected_february and expected_february


def list_all(bank: SimulatorProcess, account: str, params: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """Every page, each fetched with a fresh session (as a client restarting between pages)."""
    out: list[dict[str, Any]] = []
    token, pages = None, 0
    while True:
        query = params | ({"page_token": token} if token else {})
        with requests.Session() as fresh:
            answer = fresh.get(f"{bank.url}/api/v1/accounts/{account}/transactions", params=query,
                               headers=AUTH, timeout=10)
        assert answer.status_code == 200, answer.text
        pages += 1
        out.extend(answer.json()["transactions"])
        token = answer.json()["next_page_token"]
        if token is None:
            return pages, out


def utc(instant: str) -> str:
    return datetime.fromisoformat(instant).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def test_list_api_rejects_bad_parameters_with_json_400() -> None:
    with bank_sim() as bank:
        requests.post(f"{bank.url}/sim/accounts/DE-6/generate", json={"count": 5}, timeout=10)
        listing = f"{bank.url}/api/v1/accounts/DE-6/transactions"
        token = requests.get(listing, params={"page_size": 2}, headers=AUTH, timeout=5).json()["next_page_token"]
        bad = {
            "page_size": {"page_size": "0"}, "from": {"from": "2026-13-01"},
            "to": {"from": "2026-02-02", "to": "2026-02-01"}, "page_token": {"page_token": "garbage!"},
        }
        answers = {name: requests.get(listing, params=q, headers=AUTH, timeout=5) for name, q in bad.items()}
        other_query = requests.get(listing, params={"page_token": token, "from": "2026-01-01"}, headers=AUTH,
                                   timeout=5)
        unknown = requests.get(f"{bank.url}/api/v1/accounts/NOPE/transactions", headers=AUTH, timeout=5)

    for name, answer in answers.items():
        assert answer.status_code == 400, name
        assert name.replace("to", "from") in answer.json()["message"] or name in answer.json()["message"]
    assert other_query.status_code == 400 and other_query.json()["error"] == "invalid_page_token"
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_account"


def test_partner_api_error_injection_is_settable_at_runtime() -> None:
    with bank_sim(args=["--error-rate", "1", "--seed", "2"]) as bank:
        listing = f"{bank.url}/api/v1/accounts/DE-1/transactions"
        requests.post(f"{bank.url}/sim/link-codes", json={"account_number": "DE-1"}, timeout=5)
        failing = [requests.get(listing, headers=AUTH, timeout=5) for _ in range(10)]
        requests.post(f"{bank.url}/sim/config", json={"error_rate": 0.3}, timeout=5)
        mixed = [requests.get(listing, headers=AUTH, timeout=5).status_code for _ in range(200)]
        requests.post(f"{bank.url}/sim/config", json={"error_rate": 0}, timeout=5)
        healthy = [requests.get(listing, headers=AUTH, timeout=5).status_code for _ in range(10)]
        stats = requests.get(f"{bank.url}/sim/stats", timeout=5).json()

    assert {r.status_code for r in failing} <= {500, 503} and all(r.json()["error"] for r in failing)
    assert all(r.headers.get("Retry-After") == "1" for r in failing if r.status_code == 503)
    assert 30 <= sum(s != 200 for s in mixed) <= 90
    assert healthy == [200] * 10
    assert stats["api_errors_injected"] == 10 + sum(s != 200 for s in mixed)


def test_generating_50000_transactions_takes_seconds_and_the_seed_makes_it_reproducible() -> None:
    def generate(bank: SimulatorProcess, count: int) -> float:
        started = time.monotonic()
        answer = requests.post(f"{bank.url}/sim/accounts/DE-1/generate",
                               json={"count": count, "from": "2026-01-01", "to": "2026-06-30"}, timeout=60)
        assert answer.status_code == 201 and answer.json()["generated"] == count
        return time.monotonic() - started

    def everything(bank: SimulatorProcess) -> list[dict[str, Any]]:
        return list(requests.get(f"{bank.url}/sim/accounts/DE-1/transactions", timeout=10).json()["transactions"])

    with bank_sim(args=["--seed", "42"]) as big, bank_sim(args=["--seed", "7"]) as first, \
            bank_sim(args=["--seed", "7"]) as second:
        elapsed = generate(big, 50_000)
        accounts = requests.get(f"{big.url}/sim/accounts", timeout=5).json()["accounts"]
        page = requests.get(f"{big.url}/api/v1/accounts/DE-1/transactions", params={"page_size": 1000},
                            headers=AUTH, timeout=10).json()["transactions"]
        generate(first, 300)
        generate(second, 300)
        assert everything(first) == everything(second)

    assert elapsed < 15 and accounts[0]["transactions"] == 50_000
    currencies = Counter(t["currency"] for t in page)
    assert currencies.most_common(1)[0][0] == "EUR" and currencies["GBP"] and currencies["USD"]
    assert any(not t["amount"].startswith("-") for t in page)  # refunds and income
    for tx in page:
        assert_wire_shaped(tx)


def test_simulation_control_rejects_bad_input_with_json_errors() -> None:
    with bank_sim() as bank:
        cases = {
            "count": ("/sim/send", {"accounts": ["A"], "count": 0, "rate": 1}),
            "batch_size": ("/sim/send", {"accounts": ["A"], "count": 1, "rate": 1, "batch_size": 101}),
            "accounts": ("/sim/send", {"accounts": ["bad account!"], "count": 1, "rate": 1}),
            "rate": ("/sim/send", {"accounts": ["A"], "count": 1, "rate": -1}),
            "error_rate": ("/sim/config", {"error_rate": 2}),
            "webhook_url": ("/sim/config", {"webhook_url": "ftp://x"}),
            "unknown fields": ("/sim/config", {"colour": "red"}),
            "card_ids": ("/sim/link-codes", {"account_number": "A", "card_ids": ["no spaces"]}),
        }
        answers = {name: requests.post(bank.url + path, json=body, timeout=5) for name, (path, body) in cases.items()}
        missing_job = requests.get(f"{bank.url}/sim/jobs/job-999", timeout=5)
        no_route = requests.get(f"{bank.url}/nope", timeout=5)
        config = requests.get(f"{bank.url}/sim/config", timeout=5).json()

    for name, answer in answers.items():
        assert answer.status_code == 400 and name in answer.json()["message"], (name, answer.text)
    assert missing_job.status_code == 404 and missing_job.json()["error"] == "unknown_job"
    assert no_route.status_code == 404 and no_route.json()["error"] == "not_found"
    assert config["error_rate"] == 0 and config["webhook_url"].startswith("http://")


def test_serve_refuses_to_start_without_a_valid_signing_secret() -> None:
    for secret in ("", "whsec_%%%"):
        run = subprocess.run([sys.executable, "-m", "simulators.bank.cli", "serve", "--port", "0",
                              "--signing-secret", secret], capture_output=True, text=True, timeout=20,
                             env={"PATH": "/usr/bin:/bin"})
        assert run.returncode == 2 and "--signing-secret" in run.stderr


# --- merchant-lookup API ------------------------------------------------------------------------------


def search(sim: SimulatorProcess, name: str, key: str | None = TEST_MERCHANT_KEY, **params: str) -> requests.Response:
    headers = {"X-Api-Key": key} if key else {}
    return requests.get(f"{sim.url}/v1/merchants/search", params={"name": name, **params}, headers=headers,
                        timeout=5)


def test_merchant_search_finds_known_merchants_by_name_or_descriptor_and_404s_the_rest() -> None:
    rng = random.Random(0)
    with merchant_sim() as sim, requests.Session() as http:
        http.headers["X-Api-Key"] = TEST_MERCHANT_KEY
        for merchant in merchants():
            country = rng.choice(merchant.countries)
            city = None if merchant.online else rng.choice(COUNTRIES[country].cities)[1]
            for name in (merchant.name, merchant.render_descriptor(rng, country, city)):
                answer = http.get(f"{sim.url}/v1/merchants/search", params={"name": name, "country": country},
                                  timeout=5)
                if merchant.known_to_api:
                    assert answer.status_code == 200, (name, answer.text)
                    found = answer.json()["merchant"]
                    assert (found["id"], found["name"], found["category"]) == (
                        merchant.merchant_id, merchant.name, merchant.api_category)
                else:
                    assert answer.status_code == 404 and answer.json()["error"] == "not_found", name
        stats = http.get(f"{sim.url}/admin/stats", timeout=5).json()

    known = sum(m.known_to_api for m in merchants())
    assert stats["by_outcome"] == {"found": 2 * known, "not_found": 2 * (len(merchants()) - known)}


def test_merchant_search_needs_the_api_key_and_a_name() -> None:
    with merchant_sim() as sim:
        assert search(sim, "Lidl", key=None).status_code == 401
        assert search(sim, "Lidl", key="wrong").json()["error"] == "unauthorized"
        assert "name" in search(sim, " ").json()["message"]
        assert search(sim, "Lidl", mcc="54x1").status_code == 400
        assert search(sim, "SQ *BLUE BOTTLE COFFEE", mcc="5814", city="Oakland", country="US").status_code == 200


def test_merchant_faults_errors_slowness_outage_and_latency() -> None:
    with merchant_sim(latency_ms=40, args=["--seed", "1"]) as sim:
        timings = []
        for _ in range(15):
            started = time.monotonic()
            assert search(sim, "Lidl").status_code == 200
            timings.append(time.monotonic() - started)
        faults = f"{sim.url}/admin/faults"
        requests.post(faults, json={"error_rate": 1, "latency_ms": 0}, timeout=5)
        errors = {search(sim, "Lidl").status_code for _ in range(10)}
        requests.post(faults, json={"error_rate": 0, "slow_rate": 1, "slow_ms": 300}, timeout=5)
        started = time.monotonic()
        assert search(sim, "Lidl").status_code == 200
        slow = time.monotonic() - started
        cli = subprocess.run([sys.executable, "-m", "simulators.merchant.cli", "faults", "--url", sim.url,
                              "--outage", "on"], capture_output=True, text=True, timeout=20)
        outage = search(sim, "Lidl")
        requests.post(faults, json={"outage": False, "slow_rate": 0}, timeout=5)
        recovered = search(sim, "Lidl")
        bad = requests.post(faults, json={"error_rate": 3}, timeout=5)
        stats = requests.get(f"{sim.url}/admin/stats", timeout=5).json()
        reset = requests.post(f"{sim.url}/admin/stats/reset", timeout=5).json()

    assert 0.02 < statistics.median(timings) < 0.15
    assert errors <= {500, 503} and errors
    assert slow >= 0.3
    assert cli.returncode == 0 and '"outage": true' in cli.stdout
    assert outage.status_code == 503 and outage.json()["error"] == "outage"
    assert recovered.status_code == 200
    assert bad.status_code == 400 and "error_rate" in bad.json()["message"]
    assert stats["by_outcome"] == {"found": 15 + 1 + 1, "error": 10, "outage": 1} and stats["slow"] == 1
    assert reset["requests"] == 0


def test_amounts_are_decimal_strings_at_the_currency_scale(receiver: WebhookReceiver) -> None:
    with bank_sim(webhook_url=receiver.url, args=["--seed", "9"]) as bank:
        run_send_job(bank, accounts=["DE-1"], count=300, days_back=30)
    amounts = [(t["amount"], t["currency"]) for r in receiver.received for t in r.transactions()]
    assert all(len(a.partition(".")[2]) == CURRENCY_SCALE[c] for a, c in amounts)
    assert all(Decimal(a) != 0 for a, _ in amounts)
    statuses = Counter(t["status"] for r in receiver.received for t in r.transactions())
    assert statuses["settled"] and statuses["pending"]  # 30 days back: most already settled
