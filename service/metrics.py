"""Prometheus metrics of every process (docs/operators.md), defined once.

gunicorn instances run prometheus_client in multiprocess mode (PROMETHEUS_MULTIPROC_DIR is
set and wiped by whoever starts gunicorn; see service/gunicorn_conf.py); consumers serve
their own registry on TALLY_METRICS_PORT. docs/operators.md lists alert thresholds.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_LATENCY = Histogram(
    "tally_http_request_duration_seconds", "HTTP request latency", ["instance", "method", "route", "status"],
    buckets=LATENCY_BUCKETS)
PUBLISHES = Counter(
    "tally_publish_total", "Messages published, by outcome (confirmed, failed, unroutable)",
    ["queue", "outcome"])
WEBHOOK_TRANSACTIONS = Counter(
    "tally_webhook_transactions_total", "Transactions accepted by the webhook (202)", ["partner_id"])
WEBHOOK_REJECTIONS = Counter(
    "tally_webhook_rejections_total", "Webhook requests refused, by status", ["status"])
LOGINS = Counter("tally_logins_total", "Login attempts by outcome", ["outcome"])

# Consumers (single process each).
ROWS_WRITTEN = Counter("tally_rows_written_total", "Transaction rows written to Cassandra", ["queue"])
MESSAGES = Counter("tally_messages_total", "Messages consumed, by outcome (acked, dead, requeued)",
                   ["queue", "outcome"])
BATCH_SECONDS = Histogram("tally_consumer_batch_seconds", "Time to classify and write one batch",
                          buckets=LATENCY_BUCKETS)
LAG_SECONDS = Histogram(
    "tally_transaction_lag_seconds", "received_at (webhook) to stored in Cassandra",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900))
DEAD_LETTERS = Counter("tally_dead_letters_total", "Messages sent to tally.dead", ["reason"])
QUEUE_DEPTH = Gauge("tally_queue_depth", "Messages in a queue (ready + unacked)", ["queue"],
                    multiprocess_mode="max")
CASSANDRA_AVAILABLE = Gauge("tally_cassandra_available", "1 when the last Cassandra write succeeded",
                            multiprocess_mode="min")
MERCHANT_CALLS = Counter("tally_merchant_api_calls_total", "Merchant-lookup API calls by outcome",
                         ["outcome"])
MERCHANT_CACHE_HITS = Counter("tally_merchant_cache_hits_total", "Merchant lookups served from a cache",
                              ["layer"])
MERCHANT_BREAKER_OPEN = Gauge("tally_merchant_breaker_open", "1 while the merchant-API breaker is open",
                              multiprocess_mode="max")
