"""Every setting of every Tally process, read from the environment once, validated.

One frozen dataclass; each field names its variable, default and meaning in FIELDS. The
README's settings table is generated from FIELDS (`tally settings --markdown`), so the two
cannot drift. Production (`TALLY_ENV=production`) refuses the development secrets.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = (REPO_ROOT / "setup.cfg").is_file()  # a source checkout; else an installed wheel (site-packages)
DEV_CURSOR_SECRET = "dev-cursor-secret-change-me"  # noqa: S105 - refused in production
DEV_DEVICE_SECRET = "dev-device-secret-change-me"  # noqa: S105 - refused in production
DEMO_PARTNER_SECRET = "whsec_ZGVtby1wYXJ0bmVyLXNpZ25pbmcta2V5LWRvLW5vdC11c2U="  # noqa: S105 - refused in production


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe; the message names the variable."""


@dataclass(frozen=True)
class Field:
    env: str
    default: Any
    help: str
    kind: type = str
    shown: str | None = None  # the default as the README's table shows it, when it depends on the install


FIELDS: dict[str, Field] = {
    "env": Field("TALLY_ENV", "development", "`development`, `test` or `production` (refuses dev secrets)"),
    # Cassandra
    "cassandra_hosts": Field("CASSANDRA_HOSTS", "127.0.0.1", "contact points, comma-separated; set it to use "
                             "an existing cluster (scripts then start no local node)"),
    "cassandra_port": Field("CASSANDRA_PORT", 9042, "CQL port", int),
    "cassandra_local_dc": Field("CASSANDRA_LOCAL_DC", "datacenter1", "local data centre (load balancing and "
                                "NetworkTopologyStrategy)"),
    "cassandra_username": Field("CASSANDRA_USERNAME", "", "optional CQL user"),
    "cassandra_password": Field("CASSANDRA_PASSWORD", "", "optional CQL password"),
    "cassandra_request_timeout": Field("CASSANDRA_REQUEST_TIMEOUT", 5.0, "client-side timeout of one "
                                       "statement, seconds", float),
    "keyspace": Field("TALLY_KEYSPACE", "tally", "keyspace"),
    "replication_factor": Field("TALLY_REPLICATION_FACTOR", 1, "replication factor used by `tally migrate` "
                                "when it creates the keyspace", int),
    "replication_strategy": Field("TALLY_REPLICATION_STRATEGY", "", "`SimpleStrategy` or "
                                  "`NetworkTopologyStrategy`; empty: Simple locally, NetworkTopology in "
                                  "production"),
    "schema_dir": Field("TALLY_SCHEMA_DIR", "", "folder of the numbered `.cql` files; empty: the schema "
                        "shipped with Tally (`cassandra/`)"),
    "slow_query_ms": Field("TALLY_SLOW_QUERY_MS", 200, "Cassandra statements slower than this are logged", int),
    # RabbitMQ
    "amqp_url": Field("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/tally", "broker URL; its path is the "
                      "vhost (a non-local host: scripts start no local broker)"),
    "rabbitmq_management_url": Field("RABBITMQ_MANAGEMENT_URL", "http://127.0.0.1:15672", "management API "
                                     "(vhosts, policies, queue depths); credentials from AMQP_URL"),
    "confirm_timeout": Field("TALLY_CONFIRM_TIMEOUT", 5.0, "seconds a webhook waits for the broker's "
                             "publisher confirm before answering 503", float),
    "delivery_limit": Field("TALLY_DELIVERY_LIMIT", 50, "quorum-queue delivery limit (policy)", int),
    "queue_max_length": Field("TALLY_QUEUE_MAX_LENGTH", 1_000_000, "messages per queue before publishes "
                              "are refused (policy, `reject-publish`)", int),
    # HTTP
    "max_body_bytes": Field("TALLY_MAX_BODY_BYTES", 1_048_576, "largest webhook body", int),
    "trusted_proxy_hops": Field("TALLY_TRUSTED_PROXY_HOPS", 0, "proxies in front of gunicorn whose "
                                "X-Forwarded-For is trusted (nginx: 1)", int),
    "partner_cache_seconds": Field("TALLY_PARTNER_CACHE_SECONDS", 5.0, "how long ingest caches a partner "
                                   "(a disable or a new secret takes effect within it)", float),
    "readiness_cache_seconds": Field("TALLY_READINESS_CACHE_SECONDS", 3.0, "how long /readyz reuses its "
                                     "last answer", float),
    "log_dir": Field("TALLY_LOG_DIR", str(REPO_ROOT / "var" / "log") if CHECKOUT else "", "JSON logs (rotated); "
                     "empty: stdout (the default of an installed wheel: never a folder inside site-packages)",
                     shown="<repo>/var/log in a checkout, empty installed"),
    "log_max_bytes": Field("TALLY_LOG_MAX_BYTES", 50 * 1024 * 1024, "size at which a log file rotates", int),
    "log_backups": Field("TALLY_LOG_BACKUPS", 5, "rotated log files kept", int),
    # Users
    "bcrypt_cost": Field("TALLY_BCRYPT_COST", 12, "bcrypt work factor", int),
    "session_ttl_seconds": Field("TALLY_SESSION_TTL_SECONDS", 30 * 24 * 3600, "login token lifetime", int),
    "login_failures_per_15min": Field("TALLY_LOGIN_FAILURES_PER_15MIN", 10, "failed logins per (email, "
                                      "client address), and per known device, per 15 min before 429", int),
    "login_failures_per_hour": Field("TALLY_LOGIN_FAILURES_PER_HOUR", 50, "failed logins per email per hour "
                                     "before 429 (not for a device that logged in to it before: docs/api.md)", int),
    "login_failures_per_address_per_hour": Field("TALLY_LOGIN_FAILURES_PER_ADDRESS_PER_HOUR", 100, "failed "
                                                 "logins from one client address per hour, whatever the email, "
                                                 "before 429 (credential stuffing; known devices exempt)", int),
    "signups_per_hour": Field("TALLY_SIGNUPS_PER_HOUR", 20, "sign-ups per client address per hour before 429 "
                              "(each costs a bcrypt)", int),
    "bank_api_timeout": Field("TALLY_BANK_API_TIMEOUT", 5.0, "seconds for a call to a bank's API (link "
                              "codes, transaction lists)", float),
    "cursor_secret": Field("TALLY_CURSOR_SECRET", DEV_CURSOR_SECRET, "HMAC key of list cursors"),
    "device_secret": Field("TALLY_DEVICE_SECRET", DEV_DEVICE_SECRET, "HMAC key of device tokens (a login's "
                           "proof that this device logged in to the account before)"),
    "demo_partner_secret": Field("TALLY_DEMO_PARTNER_SECRET", DEMO_PARTNER_SECRET, "signing secret "
                                 "`scripts/dev up` gives the demo partner"),
    # Consumers
    "consumer_prefetch": Field("TALLY_CONSUMER_PREFETCH", 40, "messages a consumer holds unacked "
                               "(must be >= the batch size; the next batches wait there while one is written)", int),
    "consumer_batch_size": Field("TALLY_CONSUMER_BATCH_SIZE", 10, "messages (of up to 100 transactions) written "
                                 "per batch: larger ones write no faster here but delay every row in them "
                                 "(bench: freshness p99 5.0 s at 32, 1.2 s at 8)", int),
    "consumer_batch_wait_ms": Field("TALLY_CONSUMER_BATCH_WAIT_MS", 100, "longest wait for a batch to "
                                    "fill", int),
    "consumer_max_rows_per_second": Field("TALLY_CONSUMER_MAX_ROWS_PER_SECOND", 0, "rows/s cap per "
                                          "consumer; 0 = off", int),
    "consumer_hold_seconds": Field("TALLY_CONSUMER_HOLD_SECONDS", 20, "while Cassandra is down, how long "
                                   "a batch is retried before it is requeued (< the broker's "
                                   "consumer_timeout)", int),
    "consumer_nice": Field("TALLY_CONSUMER_NICE", 0, "CPU niceness a consumer gives itself: on a host shared "
                           "with the web instances, a positive value keeps webhook and login latency ahead of "
                           "batch writes", int),
    "held_ttl_days": Field("TALLY_HELD_TTL_DAYS", 400, "how long transactions of unlinked accounts "
                           "are kept", int),
    "link_sweep_seconds": Field("TALLY_LINK_SWEEP_SECONDS", 30.0, "how often each consumer republishes "
                                "`account_linked` for links not drained within that time (the link outbox)", float),
    "webhook_id_ttl_days": Field("TALLY_WEBHOOK_ID_TTL_DAYS", 7, "how long the first sight of a webhook-id is "
                                 "kept: a bank's retry (or a replay) of an older version within it cannot "
                                 "overwrite a newer one; keep it above the banks' longest retry schedule", int),
    "metrics_port": Field("TALLY_METRICS_PORT", 0, "internal port of /metrics (gunicorn) and of a consumer's "
                          "/livez, /readyz, /metrics; 0 = none", int),
    "metrics_addr": Field("TALLY_METRICS_ADDR", "127.0.0.1", "address that port binds (0.0.0.0 in a pod, so "
                          "probes and Prometheus reach it)"),
    # Merchant lookup
    "merchant_api_url": Field("MERCHANT_API_URL", "http://127.0.0.1:8102", "merchant-lookup API; empty: off"),
    "merchant_api_key": Field("MERCHANT_API_KEY", "dev-merchant-key", "merchant-lookup API key"),
    "merchant_connect_timeout": Field("MERCHANT_CONNECT_TIMEOUT", 0.5, "seconds", float),
    "merchant_read_timeout": Field("MERCHANT_READ_TIMEOUT", 1.0, "seconds", float),
    "merchant_retries": Field("MERCHANT_RETRIES", 1, "retries of one lookup", int),
    "merchant_batch_deadline": Field("MERCHANT_BATCH_DEADLINE", 2.0, "seconds a batch waits for lookups "
                                     "before it is written with the lower layers", float),
    "merchant_concurrency": Field("MERCHANT_CONCURRENCY", 8, "lookups in flight per consumer", int),
    "merchant_breaker_failures": Field("MERCHANT_BREAKER_FAILURES", 5, "consecutive failures that open "
                                       "the circuit breaker", int),
    "merchant_breaker_reset": Field("MERCHANT_BREAKER_RESET", 10.0, "seconds before a half-open probe", float),
    "merchant_cache_size": Field("MERCHANT_CACHE_SIZE", 50_000, "in-process LRU entries", int),
    # Backfill
    "backfill_max_rows_per_second": Field("TALLY_BACKFILL_MAX_ROWS_PER_SECOND", 2000, "backfill "
                                          "publishing cap", int),
}


@dataclass(frozen=True)
class Settings:
    env: str
    cassandra_hosts: str
    cassandra_port: int
    cassandra_local_dc: str
    cassandra_username: str
    cassandra_password: str
    cassandra_request_timeout: float
    keyspace: str
    replication_factor: int
    replication_strategy: str
    schema_dir: str
    slow_query_ms: int
    amqp_url: str
    rabbitmq_management_url: str
    confirm_timeout: float
    delivery_limit: int
    queue_max_length: int
    max_body_bytes: int
    trusted_proxy_hops: int
    partner_cache_seconds: float
    readiness_cache_seconds: float
    log_dir: str
    log_max_bytes: int
    log_backups: int
    bcrypt_cost: int
    session_ttl_seconds: int
    login_failures_per_15min: int
    login_failures_per_hour: int
    login_failures_per_address_per_hour: int
    signups_per_hour: int
    bank_api_timeout: float
    cursor_secret: str
    device_secret: str
    demo_partner_secret: str
    consumer_prefetch: int
    consumer_batch_size: int
    consumer_batch_wait_ms: int
    consumer_max_rows_per_second: int
    consumer_hold_seconds: int
    consumer_nice: int
    held_ttl_days: int
    link_sweep_seconds: float
    webhook_id_ttl_days: int
    metrics_port: int
    metrics_addr: str
    merchant_api_url: str
    merchant_api_key: str
    merchant_connect_timeout: float
    merchant_read_timeout: float
    merchant_retries: int
    merchant_batch_deadline: float
    merchant_concurrency: int
    merchant_breaker_failures: int
    merchant_breaker_reset: float
    merchant_cache_size: int
    backfill_max_rows_per_second: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Reads every field from `environ` (default: os.environ); `overrides` win. Validates."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, field in FIELDS.items():
            if name in overrides:
                values[name] = overrides.pop(name)
                continue
            raw = environ.get(field.env)
            values[name] = field.default if raw is None else _parse(field, raw)
        if overrides:
            raise SettingsError(f"unknown settings: {', '.join(sorted(overrides))}")
        settings = cls(**values)
        settings.validate()
        return settings

    def replace(self, **changes: Any) -> Settings:
        updated = dataclasses.replace(self, **changes)
        updated.validate()
        return updated

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def contact_points(self) -> list[str]:
        return [h.strip() for h in self.cassandra_hosts.split(",") if h.strip()]

    @property
    def vhost(self) -> str:
        path = urlsplit(self.amqp_url).path
        return unquote(path[1:]) if len(path) > 1 else "/"

    @property
    def amqp_credentials(self) -> tuple[str, str]:
        parts = urlsplit(self.amqp_url)
        return unquote(parts.username or "guest"), unquote(parts.password or "guest")

    @property
    def keyspace_replication(self) -> dict[str, Any]:
        strategy = self.replication_strategy or (
            "NetworkTopologyStrategy" if self.production else "SimpleStrategy")
        if strategy == "SimpleStrategy":
            return {"class": "SimpleStrategy", "replication_factor": self.replication_factor}
        return {"class": "NetworkTopologyStrategy", self.cassandra_local_dc: self.replication_factor}

    def validate(self) -> None:
        """Raises SettingsError naming the first variable that is malformed or unsafe."""
        for name, why in (*self._malformed(), *self._unsafe()):
            raise SettingsError(f"{FIELDS[name].env}: {why}")

    def _malformed(self) -> list[tuple[str, str]]:
        checks = [
            ("env", self.env in ("development", "test", "production"),
             f"must be development, test or production, not {self.env!r}"),
            ("cassandra_hosts", bool(self.contact_points), "no contact point"),
            ("keyspace", self.keyspace.replace("_", "").isalnum() and self.keyspace[:1].isalpha(),
             f"{self.keyspace!r} is not a valid keyspace name"),
            ("replication_strategy", self.replication_strategy in ("", "SimpleStrategy", "NetworkTopologyStrategy"),
             f"unknown strategy {self.replication_strategy!r}"),
            ("amqp_url", urlsplit(self.amqp_url).scheme in ("amqp", "amqps"), "must be an amqp:// or amqps:// URL"),
            ("bcrypt_cost", 4 <= self.bcrypt_cost <= 16, "must be between 4 and 16"),
            ("consumer_nice", 0 <= self.consumer_nice <= 19, "must be between 0 and 19"),
            ("consumer_prefetch", self.consumer_prefetch >= self.consumer_batch_size,
             "must be >= TALLY_CONSUMER_BATCH_SIZE, or batches never fill"),
        ]
        positive = ("cassandra_port", "confirm_timeout", "max_body_bytes", "consumer_batch_size",
                    "consumer_hold_seconds", "session_ttl_seconds", "merchant_concurrency", "webhook_id_ttl_days",
                    "link_sweep_seconds", "login_failures_per_15min", "login_failures_per_hour",
                    "login_failures_per_address_per_hour", "signups_per_hour")
        checks += [(name, getattr(self, name) > 0, "must be positive") for name in positive]
        return [(name, why) for name, ok, why in checks if not ok]

    def _unsafe(self) -> list[tuple[str, str]]:
        if not self.production:
            return []
        problems = []
        for name, development in (("cursor_secret", DEV_CURSOR_SECRET), ("device_secret", DEV_DEVICE_SECRET)):
            secret = getattr(self, name)
            if secret == development or len(secret) < 32:
                problems.append((name, "production needs its own secret of at least 32 characters"))
        if self.demo_partner_secret == DEMO_PARTNER_SECRET:
            problems.append(("demo_partner_secret", "production refuses the demo partner's published secret"))
        return problems


def _parse(field: Field, raw: str) -> Any:
    try:
        return field.kind(raw.strip()) if field.kind is not str else raw
    except ValueError:
        raise SettingsError(f"{field.env}: expected {field.kind.__name__}, got {raw!r}") from None


def markdown_table() -> str:
    """The README's settings table."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for field in FIELDS.values():
        default = field.shown if field.shown is not None else field.default
        if isinstance(default, str) and default.startswith(str(REPO_ROOT)):
            default = "<repo>" + default[len(str(REPO_ROOT)):]
        rows.append(f"| `{field.env}` | `{default}` | {field.help} |")
    return "\n".join(rows)
