"""/metrics of ingest, api and a consumer: the metrics of docs/operators.md, moving as webhooks flow."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from service.bootstrap import Runtime
from service.broker.publisher import PublisherPool
from service.broker.topology import INGEST
from service.settings import Settings
from tests.support import webhooks
from tests.support.metrics import scrape, total
from tests.support.simulators import TEST_MERCHANT_KEY, start_merchant_sim
from tests.support.stack import AppProcess, free_port, start_consumer, start_gunicorn, wait_until
from tests.support.stored import rows_by_id
from tests.support.users import linked_user
from tests.support.webhooks import BankPartner, transaction


@pytest.fixture(scope="module")
def instrumented(test_settings: Settings, log_dir: Path, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[dict[str, tuple[AppProcess, int]]]:
    merchant = start_merchant_sim(log_dir=log_dir)
    settings = test_settings.replace(merchant_api_url=merchant.url, merchant_api_key=TEST_MERCHANT_KEY)
    apps: dict[str, tuple[AppProcess, int]] = {}
    for instance in ("ingest", "api"):
        port = free_port()
        multiproc = tmp_path_factory.mktemp(f"prom-{instance}")
        (multiproc / "stale_from_last_run.db").write_bytes(b"x")  # must be wiped at start
        apps[instance] = (start_gunicorn(instance, settings, log_dir, PROMETHEUS_MULTIPROC_DIR=str(multiproc),
                                         TALLY_METRICS_PORT=str(port)), port)
    consumer = start_consumer(settings.replace(slow_query_ms=1), log_dir, "metrics")
    apps["consumer"] = (consumer, consumer.port)
    yield apps
    for app, _ in apps.values():
        app.stop()
    merchant.stop()


def test_metrics_of_every_process_move_with_the_traffic(
        instrumented: dict[str, tuple[AppProcess, int]], partner: BankPartner, runtime: Runtime, session,  # type: ignore[no-untyped-def]
        test_settings: Settings) -> None:
    (ingest, ingest_port), (api, api_port), (_, consumer_port) = (instrumented[k] for k in ("ingest", "api",
                                                                                            "consumer"))
    before = {name: scrape(port) for name, port in (("ingest", ingest_port), ("api", api_port),
                                                     ("consumer", consumer_port))}
    owner = linked_user(runtime, partner.partner_id)
    txns = [transaction(account_number=owner.account_number) for _ in range(30)]
    for chunk in (txns[:10], txns[10:20], txns[20:]):
        assert webhooks.post(ingest.url, partner, chunk).status_code == 202
    assert webhooks.post(ingest.url, partner, [transaction(amount="12,00")]).status_code == 422
    assert requests.get(f"{api.url}/livez", timeout=5).ok
    pool = PublisherPool(test_settings, 1)
    try:  # one message that can only be dead-lettered
        pool.publish(b"not json", INGEST, message_id=uuid.uuid4().hex,
                     headers={"partner_id": partner.partner_id, "received_at": datetime.now(UTC).isoformat()})
    finally:
        pool.close()
    wait_until(lambda: len(rows_by_id(session, partner.partner_id, [t["transaction_id"] for t in txns])) == 30)

    ingest_after = scrape(ingest_port)
    hook = {"instance": "ingest", "route": "/hook/transaction"}
    assert total(ingest_after, "tally_http_request_duration_seconds_count", **hook, status="202") - total(
        before["ingest"], "tally_http_request_duration_seconds_count", **hook, status="202") == 3
    assert total(ingest_after, "tally_publish_total", queue=INGEST, outcome="confirmed") - total(
        before["ingest"], "tally_publish_total", queue=INGEST, outcome="confirmed") == 3
    assert total(ingest_after, "tally_webhook_transactions_total", partner_id=partner.partner_id) == 30
    assert total(ingest_after, "tally_webhook_rejections_total", status="422") >= 1

    api_after = scrape(api_port)
    assert total(api_after, "tally_http_request_duration_seconds_count", instance="api", route="/livez") > total(
        before["api"], "tally_http_request_duration_seconds_count", instance="api", route="/livez")

    def consumer_ready() -> dict | None:  # type: ignore[type-arg]
        after = scrape(consumer_port)
        wanted = [("tally_rows_written_total", 30), ("tally_transaction_lag_seconds_count", 30),
                  ("tally_dead_letters_total", 1), ("tally_merchant_api_calls_total", 1)]
        if all(total(after, n) - total(before["consumer"], n) >= v for n, v in wanted) and any(
                n == "tally_queue_depth" and dict(ls).get("queue") == "tally.ingest" for n, ls in after):
            return after
        return None

    after = wait_until(consumer_ready, timeout=30, message="the consumer's metrics")
    assert total(after, "tally_messages_total", outcome="acked") >= 3
    assert total(after, "tally_dead_letters_total", reason="decode_error") >= 1
    assert {dict(ls)["queue"] for n, ls in after if n == "tally_queue_depth"} >= {
        "tally.ingest", "tally.backfill", "tally.enrich", "tally.dead"}
    assert any(n == "tally_merchant_breaker_open" for n, _ in after)
    assert total(after, "tally_merchant_cache_hits_total") >= 0

    log = (Path(test_settings.log_dir) / "consumer-metrics.log").read_text()
    assert '"slow_query"' in log  # TALLY_SLOW_QUERY_MS=1: statements over it are logged with their CQL
