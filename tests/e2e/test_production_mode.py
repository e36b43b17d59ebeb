"""Production refuses development secrets: at settings time, and at start-up for a partner
that still signs with the demo partner's published secret."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

from service.bootstrap import Runtime
from service.settings import DEMO_PARTNER_SECRET, Settings
from tests.support.stack import BIN, free_port, settings_env

PRODUCTION = {"TALLY_ENV": "production", "TALLY_CURSOR_SECRET": "p" * 40, "TALLY_DEVICE_SECRET": "d" * 40,
              "TALLY_DEMO_PARTNER_SECRET": "whsec_bm90LXRoZS1kZW1vLXNlY3JldA=="}


def _ingest(settings: Settings, **env: str) -> subprocess.CompletedProcess[str]:
    port = free_port()
    return subprocess.run(
        [str(BIN / "gunicorn"), "-c", "python:service.gunicorn_conf", "service.wsgi:ingest()"],
        env=settings_env(settings, TALLY_INSTANCE="ingest", GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1",
                         TALLY_LOG_DIR="", **env),
        capture_output=True, text=True, timeout=60)


def test_production_refuses_the_development_secrets(test_settings: Settings) -> None:
    run = _ingest(test_settings, TALLY_ENV="production")
    assert run.returncode != 0
    assert "refusing to start: TALLY_CURSOR_SECRET" in run.stderr
    assert "Traceback" not in run.stderr


def test_production_ingest_refuses_a_partner_with_the_demo_secret(test_settings: Settings, runtime: Runtime,
                                                                  tmp_path: Path) -> None:
    partner_id = f"demo-like-{uuid.uuid4().hex[:6]}"
    partners = runtime.partners()
    partners.add(partner_id, partner_id, None, None, DEMO_PARTNER_SECRET)
    try:
        run = _ingest(test_settings, **PRODUCTION)
        assert run.returncode != 0
        assert "refusing to start" in run.stderr and partner_id in run.stderr
    finally:
        partner = partners.get(partner_id)
        assert partner is not None
        for secret in partner.secrets:
            partners.retire_secret(partner, secret.secret_id)
        partners.set_enabled(partner_id, False)
