"""Every setting of every Tally process, read from the environment once, validated.

One frozen dataclass; each field is declared once with `setting(...)`: its variable, default,
meaning and whether it is a secret. FIELDS is derived from those declarations for the code
that reads or shows settings; the README's settings table is generated from it (`tally
settings --markdown`), so the two cannot drift. Secrets are masked in repr and in `tally
settings`. Production (`TALLY_ENV=production`) refuses the development secrets.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKOUT = (REPO_ROOT / "setup.cfg").is_file()  # a source checkout; else an installed wheel (site-packages)
DEV_CURSOR_SECRET = "dev-cursor-secret-change-me"  # noqa: S105 - refused in production
DEV_DEVICE_SECRET = "dev-device-secret-change-me"  # noqa: S105 - refused in production
DEMO_PARTNER_SECRET = "whsec_ZGVtby1wYXJ0bmVyLXNpZ25pbmcta2V5LWRvLW5vdC11c2U="  # noqa: S105 - refused in production


class SettingsError(ValueError):
    """A setting is missing, malformed or unsafe; the message names the variable."""


def setting(env: str, default: Any, help: str, *, secret: bool = False, shown: str | None = None) -> Any:
    """One setting, declared once: a field of Settings carrying its variable and meaning. A secret
    is masked wherever settings are shown (repr, `tally settings`); `shown` is its default as the
    README's table prints it, when the default depends on the install."""
    return dataclasses.field(default=default, metadata={"env": env, "help": help, "secret": secret, "shown": shown})


@dataclass(frozen=True)
class Settings:
    """Every setting of every Tally process: its variable, default and meaning, declared once."""

    env: str = setting("TALLY_ENV", "development", "`development`, `test` or `production` (refuses dev secrets)")

    # Cassandra
    cassandra_hosts: str = setting(
        "CASSANDRA_HOSTS", "127.0.0.1",
        "contact points, comma-separated; set it to use an existing cluster (scripts then start no local node)")
    cassandra_port: int = setting("CASSANDRA_PORT", 9042, "CQL port")
    cassandra_local_dc: str = setting(
        "CASSANDRA_LOCAL_DC", "datacenter1",
        "local data centre (load balancing and NetworkTopologyStrategy)")
    cassandra_username: str = setting("CASSANDRA_USERNAME", "", "optional CQL user")
    cassandra_password: str = setting("CASSANDRA_PASSWORD", "", "optional CQL password", secret=True)
    cassandra_request_timeout: float = setting(
        "CASSANDRA_REQUEST_TIMEOUT", 5.0,
        "client-side timeout of one statement, seconds")
    keyspace: str = setting("TALLY_KEYSPACE", "tally", "keyspace")
    replication_factor: int = setting(
        "TALLY_REPLICATION_FACTOR", 1,
        "replication factor used by `tally migrate` when it creates the keyspace")
    replication_strategy: str = setting(
        "TALLY_REPLICATION_STRATEGY", "",
        "`SimpleStrategy` or `NetworkTopologyStrategy`; empty: Simple locally, NetworkTopology in production")
    schema_dir: str = setting(
        "TALLY_SCHEMA_DIR", "",
        "folder of the numbered `.cql` files; empty: the schema shipped with Tally (`cassandra/`)")
    slow_query_ms: int = setting("TALLY_SLOW_QUERY_MS", 200, "Cassandra statements slower than this are logged")

    # RabbitMQ
    amqp_url: str = setting(
        "AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/tally",
        "broker URL; its path is the vhost (a non-local host: scripts start no local broker). A cluster: one URL "
        "per node separated by `;` (same vhost and credentials), e.g. `amqp://u:p@mq-1:5672/tally;amqp://u:p@mq-2:"
        "5672/tally`; every connection starts at a random node and fails over to the next live one")
    rabbitmq_management_url: str = setting(
        "RABBITMQ_MANAGEMENT_URL", "http://127.0.0.1:15672",
        "management API (vhosts, policies, queue depths); credentials from AMQP_URL. A cluster: one URL per node "
        "separated by `;`, tried in turn")
    confirm_timeout: float = setting(
        "TALLY_CONFIRM_TIMEOUT", 5.0,
        "seconds a webhook waits for the broker's publisher confirm before answering 503")
    delivery_limit: int = setting("TALLY_DELIVERY_LIMIT", 50, "quorum-queue delivery limit (policy)")
    queue_max_length: int = setting(
        "TALLY_QUEUE_MAX_LENGTH", 1_000_000,
        "messages per queue before publishes are refused (policy, `reject-publish`)")

    # HTTP
    max_body_bytes: int = setting("TALLY_MAX_BODY_BYTES", 1_048_576, "largest webhook body")
    trusted_proxy_hops: int = setting(
        "TALLY_TRUSTED_PROXY_HOPS", 0,
        "proxies in front of gunicorn whose X-Forwarded-For is trusted (nginx: 1)")
    partner_cache_seconds: float = setting(
        "TALLY_PARTNER_CACHE_SECONDS", 5.0,
        "how long ingest caches a partner (a disable or a new secret takes effect within it)")
    readiness_cache_seconds: float = setting(
        "TALLY_READINESS_CACHE_SECONDS", 3.0,
        "how long /readyz reuses its last answer")
    log_dir: str = setting(
        "TALLY_LOG_DIR", str(REPO_ROOT / "var" / "log") if CHECKOUT else "",
        "JSON logs (rotated); empty: stdout (the default of an installed wheel: never a folder inside "
        "site-packages)", shown="<repo>/var/log in a checkout, empty installed")
    log_max_bytes: int = setting("TALLY_LOG_MAX_BYTES", 50 * 1024 * 1024, "size at which a log file rotates")
    log_backups: int = setting("TALLY_LOG_BACKUPS", 5, "rotated log files kept")

    # Users
    bcrypt_cost: int = setting("TALLY_BCRYPT_COST", 12, "bcrypt work factor")
    session_ttl_seconds: int = setting("TALLY_SESSION_TTL_SECONDS", 30 * 24 * 3600, "login token lifetime")
    login_failures_per_15min: int = setting(
        "TALLY_LOGIN_FAILURES_PER_15MIN", 10,
        "failed logins per (email, client address), and per known device, per 15 min before 429")
    login_failures_per_hour: int = setting(
        "TALLY_LOGIN_FAILURES_PER_HOUR", 50,
        "failed logins per email per hour before 429 (not for a device that logged in to it before: docs/api.md)")
    login_failures_per_address_per_hour: int = setting(
        "TALLY_LOGIN_FAILURES_PER_ADDRESS_PER_HOUR", 100,
        "failed logins from one client address per hour, whatever the email, before 429 (credential stuffing; "
        "known devices exempt)")
    signups_per_hour: int = setting(
        "TALLY_SIGNUPS_PER_HOUR", 20,
        "sign-ups per client address per hour before 429 (each costs a bcrypt)")
    bank_api_timeout: float = setting(
        "TALLY_BANK_API_TIMEOUT", 5.0,
        "seconds for a call to a bank's API (link codes, transaction lists)")
    cursor_secret: str = setting("TALLY_CURSOR_SECRET", DEV_CURSOR_SECRET, "HMAC key of list cursors", secret=True)
    device_secret: str = setting(
        "TALLY_DEVICE_SECRET", DEV_DEVICE_SECRET,
        "HMAC key of device tokens (a login's proof that this device logged in to the account before)", secret=True)
    demo_partner_secret: str = setting(
        "TALLY_DEMO_PARTNER_SECRET", DEMO_PARTNER_SECRET,
        "signing secret `scripts/dev up` gives the demo partner", secret=True)

    # Consumers
    consumer_prefetch: int = setting(
        "TALLY_CONSUMER_PREFETCH", 40,
        "messages a consumer holds unacked (must be >= the batch size; the next batches wait there while one is "
        "written)")
    consumer_batch_size: int = setting(
        "TALLY_CONSUMER_BATCH_SIZE", 10,
        "messages (of up to 100 transactions) written per batch: larger ones write no faster here but delay every "
        "row in them (bench: freshness p99 5.0 s at 32, 1.2 s at 8)")
    consumer_batch_wait_ms: int = setting("TALLY_CONSUMER_BATCH_WAIT_MS", 100, "longest wait for a batch to fill")
    consumer_max_rows_per_second: int = setting(
        "TALLY_CONSUMER_MAX_ROWS_PER_SECOND", 0,
        "rows/s cap per consumer; 0 = off")
    consumer_hold_seconds: int = setting(
        "TALLY_CONSUMER_HOLD_SECONDS", 20,
        "while Cassandra is down, how long a batch is retried before it is requeued (< the broker's "
        "consumer_timeout)")
    consumer_nice: int = setting(
        "TALLY_CONSUMER_NICE", 0,
        "CPU niceness a consumer gives itself: on a host shared with the web instances, a positive value keeps "
        "webhook and login latency ahead of batch writes")
    held_ttl_days: int = setting("TALLY_HELD_TTL_DAYS", 400, "how long transactions of unlinked accounts are kept")
    link_sweep_seconds: float = setting(
        "TALLY_LINK_SWEEP_SECONDS", 30.0,
        "how often each consumer republishes `account_linked` for links not drained within that time (the link "
        "outbox)")
    webhook_id_ttl_days: int = setting(
        "TALLY_WEBHOOK_ID_TTL_DAYS", 7,
        "how long the first sight of a webhook-id is kept: a bank's retry (or a replay) of an older version "
        "within it cannot overwrite a newer one; keep it above the banks' longest retry schedule")
    metrics_port: int = setting(
        "TALLY_METRICS_PORT", 0,
        "internal port of /metrics (gunicorn) and of a consumer's /livez, /readyz, /metrics; 0 = none")
    metrics_addr: str = setting(
        "TALLY_METRICS_ADDR", "127.0.0.1",
        "address that port binds (0.0.0.0 in a pod, so probes and Prometheus reach it)")

    # Merchant lookup
    merchant_api_url: str = setting("MERCHANT_API_URL", "http://127.0.0.1:8102", "merchant-lookup API; empty: off")
    merchant_api_key: str = setting("MERCHANT_API_KEY", "dev-merchant-key", "merchant-lookup API key", secret=True)
    merchant_connect_timeout: float = setting("MERCHANT_CONNECT_TIMEOUT", 0.5, "seconds")
    merchant_read_timeout: float = setting("MERCHANT_READ_TIMEOUT", 1.0, "seconds")
    merchant_retries: int = setting("MERCHANT_RETRIES", 1, "retries of one lookup")
    merchant_batch_deadline: float = setting(
        "MERCHANT_BATCH_DEADLINE", 2.0,
        "seconds a batch waits for lookups before it is written with the lower layers")
    merchant_concurrency: int = setting("MERCHANT_CONCURRENCY", 8, "lookups in flight per consumer")
    merchant_breaker_failures: int = setting(
        "MERCHANT_BREAKER_FAILURES", 5,
        "consecutive failures that open the circuit breaker")
    merchant_breaker_reset: float = setting("MERCHANT_BREAKER_RESET", 10.0, "seconds before a half-open probe")
    merchant_cache_size: int = setting("MERCHANT_CACHE_SIZE", 50_000, "in-process LRU entries")

    # Backfill
    backfill_max_rows_per_second: int = setting("TALLY_BACKFILL_MAX_ROWS_PER_SECOND", 2000, "backfill publishing cap")

    def __repr__(self) -> str:
        """Every setting, secrets masked: settings may end up in a log line or a traceback."""
        values = ", ".join(f"{name}={mask(self, name)!r}" for name in FIELDS)
        return f"Settings({values})"

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
    def amqp_urls(self) -> list[str]:
        """One URL per broker node (AMQP_URL separated by `;`, as kombu reads it)."""
        return split_urls(self.amqp_url)

    @property
    def management_urls(self) -> list[str]:
        return split_urls(self.rabbitmq_management_url)

    @property
    def vhost(self) -> str:
        return _vhost(self.amqp_urls[0])

    @property
    def amqp_credentials(self) -> tuple[str, str]:
        return _credentials(self.amqp_urls[0])

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
            ("amqp_url", bool(self.amqp_urls) and all(urlsplit(u).scheme in ("amqp", "amqps") for u in self.amqp_urls),
             "must be an amqp:// or amqps:// URL, or several separated by `;`"),
            ("amqp_url", len({(_vhost(u), _credentials(u)) for u in self.amqp_urls}) <= 1,
             "the URLs of one broker cluster name the same vhost and credentials"),
            ("rabbitmq_management_url", bool(self.management_urls)
             and all(urlsplit(u).scheme in ("http", "https") for u in self.management_urls),
             "must be an http:// or https:// URL, or several separated by `;`"),
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


def split_urls(value: str) -> list[str]:
    """`a;b;c` → the URLs, blanks dropped (AMQP_URL, RABBITMQ_MANAGEMENT_URL)."""
    return [url.strip() for url in value.split(";") if url.strip()]


def with_vhost(amqp_url: str, vhost: str) -> str:
    """AMQP_URL with every node's URL pointing at `vhost` (tests and tools use their own)."""
    return ";".join(urlsplit(url)._replace(path="/" + quote(vhost, safe="")).geturl() for url in split_urls(amqp_url))


def _vhost(url: str) -> str:
    path = urlsplit(url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def _credentials(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return unquote(parts.username or "guest"), unquote(parts.password or "guest")


@dataclass(frozen=True)
class Field:
    """A setting as the code that reads or shows it sees it, derived from Settings' declaration."""

    env: str
    default: Any
    help: str
    kind: type
    secret: bool
    shown: str | None


_KINDS: dict[str, type] = {"str": str, "int": int, "float": float}
FIELDS: dict[str, Field] = {
    f.name: Field(f.metadata["env"], f.default, f.metadata["help"], _KINDS[str(f.type)], f.metadata["secret"],
                  f.metadata["shown"])
    for f in dataclasses.fields(Settings)}


def _parse(field: Field, raw: str) -> Any:
    try:
        return field.kind(raw.strip()) if field.kind is not str else raw
    except ValueError:
        raise SettingsError(f"{field.env}: expected {field.kind.__name__}, got {raw!r}") from None


def mask(settings: Settings, name: str) -> Any:
    """A setting's value as it may be shown: "***" for a secret that is set."""
    value = getattr(settings, name)
    return "***" if FIELDS[name].secret and value else value


def markdown_table() -> str:
    """The README's settings table."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for field in FIELDS.values():
        default = field.shown if field.shown is not None else field.default
        if isinstance(default, str) and default.startswith(str(REPO_ROOT)):
            default = "<repo>" + default[len(str(REPO_ROOT)):]
        rows.append(f"| `{field.env}` | `{default}` | {field.help} |")
    return "\n".join(rows)
