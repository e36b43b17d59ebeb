"""Partners and their signing secrets (tables `partners`, `partner_secrets`)."""

from __future__ import annotations

import base64
import secrets as random_secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cassandra.cluster import Session

from service.storage.session import lwt_applied


@dataclass(frozen=True)
class Secret:
    secret_id: str
    created_at: datetime
    secret: str


@dataclass(frozen=True)
class Partner:
    partner_id: str
    display_name: str
    api_base_url: str | None
    api_token: str | None
    enabled: bool
    secrets: tuple[Secret, ...]  # newest first


def new_secret() -> str:
    """A Standard Webhooks signing key: "whsec_" + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(random_secrets.token_bytes(32)).decode()


class PartnerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._get = session.prepare(
            "SELECT partner_id, display_name, api_base_url, api_token, enabled FROM partners WHERE partner_id = ?")
        self._secrets = session.prepare(
            "SELECT secret_id, created_at, secret FROM partner_secrets WHERE partner_id = ?")
        self._newest_secret = session.prepare(
            "SELECT created_at FROM partner_secrets WHERE partner_id = ? LIMIT 1")
        self._insert = session.prepare(
            "INSERT INTO partners (partner_id, display_name, api_base_url, api_token, enabled, created_at) "
            "VALUES (?, ?, ?, ?, true, ?) IF NOT EXISTS")
        self._add_secret = session.prepare(
            "INSERT INTO partner_secrets (partner_id, created_at, secret_id, secret) VALUES (?, ?, ?, ?)")
        self._drop_secret = session.prepare(
            "DELETE FROM partner_secrets WHERE partner_id = ? AND created_at = ? AND secret_id = ?")
        self._set_enabled = session.prepare("UPDATE partners SET enabled = ? WHERE partner_id = ?")
        self._update_api = session.prepare(
            "UPDATE partners SET api_base_url = ?, api_token = ? WHERE partner_id = ?")
        # Everything but the LWT insert is a read or a blind write: safe to retry on another node.
        for statement in (self._get, self._secrets, self._newest_secret, self._add_secret, self._drop_secret,
                          self._set_enabled, self._update_api):
            statement.is_idempotent = True

    def get(self, partner_id: str) -> Partner | None:
        row = self.session.execute(self._get, (partner_id,)).one()
        if row is None:
            return None
        found = tuple(Secret(r.secret_id, r.created_at, r.secret)
                      for r in self.session.execute(self._secrets, (partner_id,)))
        return Partner(row.partner_id, row.display_name or row.partner_id, row.api_base_url,
                       row.api_token, bool(row.enabled), found)

    def list(self) -> list[Partner]:
        ids = [r.partner_id for r in self.session.execute("SELECT partner_id FROM partners")]
        return [p for p in (self.get(i) for i in sorted(ids)) if p is not None]

    def add(self, partner_id: str, display_name: str, api_base_url: str | None, api_token: str | None,
            secret: str) -> bool:
        """Creates the partner with one secret; False when the id is taken."""
        now = datetime.now(UTC)
        if not lwt_applied(self.session.execute(self._insert, (partner_id, display_name, api_base_url, api_token,
                                                               now))):
            return False
        self.add_secret(partner_id, secret)
        return True

    def add_secret(self, partner_id: str, secret: str) -> Secret:
        """Adds a secret that sorts first ("newest"), even when the previous one was added in the
        same millisecond (Cassandra's timestamp precision): `retire-secret --all-but-newest` must
        never keep an older secret instead of the one just rotated in."""
        now = datetime.now(UTC)
        created_at = now.replace(microsecond=now.microsecond // 1000 * 1000)
        newest = self.session.execute(self._newest_secret, (partner_id,)).one()
        if newest is not None:
            previous = newest.created_at.replace(tzinfo=UTC)
            created_at = max(created_at, previous + timedelta(milliseconds=1))
        created = Secret(random_secrets.token_hex(4), created_at, secret)
        self.session.execute(self._add_secret, (partner_id, created.created_at, created.secret_id, secret))
        return created

    def retire_secret(self, partner: Partner, secret_id: str) -> None:
        for s in partner.secrets:
            if s.secret_id == secret_id:
                self.session.execute(self._drop_secret, (partner.partner_id, s.created_at, s.secret_id))

    def set_enabled(self, partner_id: str, enabled: bool) -> None:
        self.session.execute(self._set_enabled, (enabled, partner_id))

    def set_api(self, partner_id: str, api_base_url: str | None, api_token: str | None) -> None:
        self.session.execute(self._update_api, (api_base_url, api_token, partner_id))


class CachedPartners:
    """Partners by id, read through a short in-process cache: the webhook path must not read
    Cassandra on every request. A change (disable, new secret) takes effect within `ttl` s.
    While Cassandra fails, a partner seen before is served from the stale entry (webhooks keep
    being queued during a database outage); one never seen raises the driver's error."""

    def __init__(self, repository: PartnerRepository, ttl: float) -> None:
        self.repository = repository
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Partner | None]] = {}
        self._lock = threading.Lock()

    def get(self, partner_id: str) -> Partner | None:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(partner_id)
        if entry is not None and now - entry[0] < self.ttl:
            return entry[1]
        try:
            partner = self.repository.get(partner_id)
        except Exception:
            if entry is None:
                raise
            partner = entry[1]  # stale, and retried after another ttl
        with self._lock:
            if len(self._entries) > 10_000:  # unknown ids sent by strangers must not grow it forever
                self._entries.clear()
            self._entries[partner_id] = (now, partner)
        return partner
