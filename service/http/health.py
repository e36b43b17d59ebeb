"""`/livez` (the process answers) and `/readyz` (it can do its job: Cassandra answers),
the latter cached for TALLY_READINESS_CACHE_SECONDS so probes never load the database. Not
ready is a 503 like any other (the error shape, Retry-After, one log line with the reason)."""

from __future__ import annotations

import threading
import time

import msgspec
from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue

from service.bootstrap import runtime
from service.http.errors import unavailable
from service.http.responses import send

blueprint = Blueprint("health", __name__)


class Health(msgspec.Struct, forbid_unknown_fields=True):
    status: str
_lock = threading.Lock()
_last: dict[str, object] = {"at": -1e9, "ok": False, "reason": "not checked"}


@blueprint.get("/livez")
def livez() -> ResponseReturnValue:
    return send(Health("ok"))


@blueprint.get("/readyz")
def readyz() -> ResponseReturnValue:
    rt = runtime(current_app)
    with _lock:
        if time.monotonic() - float(_last["at"]) > rt.settings.readiness_cache_seconds:  # type: ignore[arg-type]
            ok, reason = rt.check_cassandra()
            _last.update(at=time.monotonic(), ok=ok, reason=reason)
        ok, reason = bool(_last["ok"]), str(_last["reason"])
    if not ok:
        raise unavailable("not ready: the database does not answer", reason=reason)
    return send(Health("ready"))
