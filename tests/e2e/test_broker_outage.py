"""RabbitMQ stopped while the simulated bank sends 5,000 transactions: the webhook answers 503
with Retry-After within the confirm timeout, the bank retries, and once the broker is back
every transaction is in tally.ingest."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
import requests

from service.bootstrap import Runtime
from service.broker.topology import INGEST
from service.settings import Settings
from tests.support import webhooks
from tests.support.queues import body_bytes, drain
from tests.support.servers import rabbitmqctl
from tests.support.simulators import TEST_SIGNING_SECRET, ledger_ids, start_bank_sim
from tests.support.stack import AppProcess, wait_until
from tests.support.webhooks import BankPartner, transaction


@pytest.mark.disruptive
def test_503_with_retry_after_while_the_broker_is_down_and_nothing_lost(
        ingest: AppProcess, runtime: Runtime, test_settings: Settings, log_dir: Path) -> None:
    drain(test_settings, INGEST)
    partner_id = f"simbank-{uuid.uuid4().hex[:6]}"
    runtime.partners().add(partner_id, partner_id, None, None, TEST_SIGNING_SECRET)
    probe_partner = BankPartner(partner_id, TEST_SIGNING_SECRET)
    bank = start_bank_sim(partner_id=partner_id, webhook_url=f"{ingest.url}/hook/transaction", log_dir=log_dir,
                          args=["--max-attempts", "40", "--max-retry-seconds", "180", "--backoff-max", "2",
                                "--concurrency", "4"])
    try:
        job = requests.post(f"{bank.url}/sim/send", json={"accounts": ["ACC-OUTAGE"], "count": 5000, "rate": 4,
                                                          "batch_size": 100}, timeout=5).json()["job_id"]
        time.sleep(2)
        rabbitmqctl("stop_app")
        try:
            time.sleep(1)
            for _ in range(3):  # while it is down: 503 + Retry-After, within the confirm timeout
                started = time.monotonic()
                answer = webhooks.post(ingest.url, probe_partner, [transaction()])
                elapsed = time.monotonic() - started
                assert answer.status_code == 503, answer.text
                assert int(answer.headers["Retry-After"]) > 0
                assert answer.json()["error"] == "unavailable"
                assert elapsed <= test_settings.confirm_timeout + 1.0
            time.sleep(5)
        finally:
            rabbitmqctl("start_app")
        rabbitmqctl("await_startup")

        report = wait_until(lambda: (r := requests.get(f"{bank.url}/sim/jobs/{job}", timeout=5).json())
                            ["state"] == "done" and r, timeout=240, message="the send job")
        assert report["gave_up"] == 0, report
        assert report["retried"] > 0, report  # the outage was felt, and retried through
        sent = ledger_ids(bank, "ACC-OUTAGE")
        assert len(sent) == 5000
    finally:
        bank.stop()

    queued: set[str] = set()
    for message in drain(test_settings, INGEST):
        queued |= {t["transaction_id"] for t in json.loads(body_bytes(message))["transactions"]}
    assert queued >= sent  # every transaction is in the queue (some more than once: resending is safe)
    assert all(t.startswith("tx-") for t in queued - sent)  # the rest are this test's own probes
