"""HTTP conventions shared by the two simulators: JSON errors, input checks, and serving.

Every error a simulator answers is JSON `{"error": "<code>", "message": "<sentence>"}` naming
the problem, 404 and 405 included, so a client under test never has to parse HTML.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import requests
from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

log = logging.getLogger("simulators")


class InputError(Exception):
    """Bad input from a client; answered as a JSON 4xx naming the problem."""

    def __init__(self, message: str, code: str = "bad_request", status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


def json_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(error=code, message=message)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def install_error_handlers(app: Flask) -> None:
    """Makes every error JSON: InputError, werkzeug's HTTP errors and unexpected exceptions."""

    @app.errorhandler(InputError)
    def _input_error(exc: InputError) -> Response:
        return json_error(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        code = (exc.name or "error").lower().replace(" ", "_")
        return json_error(exc.code or 500, code, exc.description or code)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        return json_error(500, "internal_error", f"{type(exc).__name__}: {exc}")


def json_body() -> dict[str, Any]:
    """The request's JSON object; an empty body counts as `{}`."""
    if not request.get_data():
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InputError("the body must be a JSON object")
    return body


def shares(body: dict[str, Any], allowed: set[str], names: tuple[str, ...]) -> dict[str, Any]:
    """A configuration change from a JSON body: unknown fields refused, `names` checked as shares."""
    unknown = set(body) - allowed
    if unknown:
        raise InputError(f"unknown fields: {', '.join(sorted(unknown))}")
    return {name: share(body, name) for name in names if name in body}


def share(body: dict[str, Any], name: str, default: float | None = None) -> float | None:
    """A share in [0, 1] from a JSON body (absent: default)."""
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InputError(f"{name} must be a number between 0 and 1, got {value!r}")
    return float(value)


def number(body: dict[str, Any], name: str, low: float, high: float, default: Any = None) -> Any:
    """A number in [low, high] from a JSON body; ints stay ints."""
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise InputError(f"{name} must be a number between {low:g} and {high:g}, got {value!r}")
    return value


def env_default(name: str, fallback: Any) -> Any:
    """A CLI flag's default: the environment variable if set, else `fallback`."""
    return os.environ.get(name, fallback)


def serve(app: Flask, host: str, port: int, name: str, on_stop: Callable[[], None] | None = None) -> None:
    """Serves `app` with werkzeug's threaded server until SIGTERM or SIGINT, then stops cleanly.

    One process on purpose: the simulators keep their state (ledger, jobs, stats) in memory.
    """
    server = make_server(host, port, app, threaded=True)
    stopping = threading.Event()

    def stop(signum: int, _frame: Any) -> None:
        # shutdown() waits for serve_forever() to return, and serve_forever() runs in this very
        # thread (signal handlers run in the main thread), so it must be called from another one.
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"{name} listening on http://{host}:{server.server_port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        if on_stop is not None:
            on_stop()
        server.server_close()
        print(f"{name} stopped", file=sys.stderr, flush=True)


def configure_logging(log_requests: bool) -> None:
    """werkzeug logs one line per request; off by default so benchmarks are not logging-bound."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.INFO if log_requests else logging.WARNING)


class CommandError(Exception):
    """A client command failed; main() prints the message and exits 2."""


def run_command(prog: str, parser: Any, argv: list[str] | None) -> int:
    """A simulator CLI's main: parse, run the chosen command, a CommandError is one line and 2."""
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CommandError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2


def call(method: str, url: str, body: dict[str, Any] | None = None, timeout: float = 10.0) -> Any:
    """One request of a command-line client to a simulator; its JSON answer, or CommandError."""
    try:
        response = requests.request(method, url, json=body, timeout=(3.0, timeout))
    except requests.RequestException as exc:
        raise CommandError(f"{method} {url}: {type(exc).__name__}: {exc}") from None
    try:
        answer = response.json()
    except ValueError:
        raise CommandError(f"{method} {url}: HTTP {response.status_code}, not JSON") from None
    if not response.ok:
        raise CommandError(f"{method} {url}: HTTP {response.status_code}: {answer.get('message', answer)}")
    return answer
