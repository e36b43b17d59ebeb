"""A consumer's small HTTP side on TALLY_METRICS_PORT (internal): `/livez`, `/readyz`
(connected to the broker, not paused by a storage outage, Cassandra answers) and `/metrics`;
plus a poller that publishes the queue depths of docs/operators.md as a gauge."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import make_wsgi_app
from werkzeug.serving import make_server

from service import metrics
from service.broker.management import Management
from service.broker.topology import BACKFILL, DEAD, ENRICH, INGEST
from service.merchants.lookup import MerchantLookupClient, MerchantLookupStats

log = logging.getLogger("tally.consumer.health")
DEPTH_QUEUES = (INGEST, BACKFILL, ENRICH, DEAD)


def serve(addr: str, port: int, ready: Callable[[], tuple[bool, str]]) -> Any:
    """Starts the HTTP server in a daemon thread; returns it (call .shutdown() to stop)."""
    prometheus = make_wsgi_app()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return prometheus(environ, start_response)
        if path == "/livez":
            status, body = "200 OK", {"status": "ok"}
        elif path == "/readyz":
            ok, reason = ready()
            status, body = ("200 OK", {"status": "ready"}) if ok else (
                "503 Service Unavailable", {"status": "not ready", "reason": reason})
        else:
            status, body = "404 Not Found", {"error": "not_found", "message": "no such resource"}
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    server = make_server(addr, port, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server


def poll_queue_depths(management: Management, stop: threading.Event, interval: float = 5.0) -> None:
    """Runs in a daemon thread: ready + unacked messages of each queue, every `interval` s."""
    while not stop.wait(interval):
        try:
            for queue in management.queues():
                if queue.get("name") in DEPTH_QUEUES:
                    metrics.QUEUE_DEPTH.labels(queue["name"]).set(queue.get("messages", 0))
        except Exception as exc:  # noqa: BLE001 - metrics must never stop a consumer
            log.debug("queue depth poll failed: %s", exc)


def export_merchant_stats(client: MerchantLookupClient, stop: threading.Event, interval: float = 5.0) -> None:
    """Runs in a daemon thread: the client's cumulative counters → Prometheus, by delta."""
    last = MerchantLookupStats()
    while not stop.wait(interval):
        now = client.stats
        for outcome, value, before in (("found", now.api_found, last.api_found),
                                       ("not_found", now.api_not_found, last.api_not_found),
                                       ("error", now.api_errors, last.api_errors),
                                       ("breaker_open", now.breaker_rejections, last.breaker_rejections)):
            metrics.MERCHANT_CALLS.labels(outcome).inc(max(0, value - before))
        metrics.MERCHANT_CACHE_HITS.labels("lru").inc(max(0, now.lru_hits - last.lru_hits))
        metrics.MERCHANT_CACHE_HITS.labels("cassandra").inc(max(0, now.cassandra_hits - last.cassandra_hits))
        metrics.MERCHANT_BREAKER_OPEN.set(1 if client.breaker_state == "open" else 0)
        last = now
