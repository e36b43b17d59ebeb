"""Start the third-party simulators as real subprocesses, for tests and benchmarks.

    with bank_sim(webhook_url=receiver_url, args=["--max-attempts", "3"]) as bank:
        requests.post(f"{bank.url}/sim/send", json={...})

Each simulator binds port 0 (the kernel picks a free port, so parallel runs never collide) and
prints the URL it listens on; the helper reads it from the process's log, waits until
/healthz answers (bounded), and stops the process with SIGTERM on exit, test failure included
(SIGKILL if it does not stop in time). `start_*` return a handle for session-scoped fixtures.
WebhookReceiver is a minimal stand-in for Tally's ingest endpoint, to test the bank simulator.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

ROOT = Path(__file__).resolve().parents[2]
TEST_SIGNING_SECRET = "whsec_" + base64.b64encode(b"tally-test-bank-signing-key-0001").decode()
TEST_API_TOKEN = "test-bank-token"
TEST_MERCHANT_KEY = "test-merchant-key"
CURRENCY_SCALE = {"EUR": 2, "GBP": 2, "USD": 2, "JPY": 0}  # the currencies the bank simulator uses
LISTENING = re.compile(r"listening on (http://[\d.]+:\d+)")


@dataclass
class SimulatorProcess:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`; the exit status (0 after a clean stop)."""
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def start_bank_sim(*, signing_secret: str = TEST_SIGNING_SECRET,
                   webhook_url: str = "http://127.0.0.1:9/unused", partner_id: str = "test-bank",
                   api_token: str = TEST_API_TOKEN, args: Sequence[str] = (), log_dir: Path | None = None,
                   ready_timeout: float = 20.0) -> SimulatorProcess:
    """A running `tally-bank-sim serve` playing `partner_id`; `args` adds serve flags."""
    argv = ["--partner-id", partner_id, "--signing-secret", signing_secret, "--webhook-url", webhook_url,
            "--api-token", api_token, *args]
    return _start("bank-sim", "simulators.bank.cli", argv, log_dir, ready_timeout)


def start_merchant_sim(*, api_key: str = TEST_MERCHANT_KEY, latency_ms: float = 0.0, args: Sequence[str] = (),
                       log_dir: Path | None = None, ready_timeout: float = 20.0) -> SimulatorProcess:
    """A running `tally-merchant-sim serve`; `args` adds serve flags (--error-rate, --seed...)."""
    argv = ["--api-key", api_key, "--latency-ms", str(latency_ms), *args]
    return _start("merchant-sim", "simulators.merchant.cli", argv, log_dir, ready_timeout)


@contextlib.contextmanager
def bank_sim(**kwargs: Any) -> Iterator[SimulatorProcess]:
    """start_bank_sim() as a context manager: stopped on exit, whatever happened."""
    sim = start_bank_sim(**kwargs)
    try:
        yield sim
    finally:
        sim.stop()


@contextlib.contextmanager
def merchant_sim(**kwargs: Any) -> Iterator[SimulatorProcess]:
    """start_merchant_sim() as a context manager: stopped on exit, whatever happened."""
    sim = start_merchant_sim(**kwargs)
    try:
        yield sim
    finally:
        sim.stop()


def _start(name: str, module: str, serve_args: list[str], log_dir: Path | None,
           ready_timeout: float) -> SimulatorProcess:
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="tally-sim-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}-{time.time_ns()}.log"
    argv = [sys.executable, "-m", module, "serve", "--host", "127.0.0.1", "--port", "0", *serve_args]
    with open(log_path, "wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   cwd=ROOT)
    sim = SimulatorProcess(name, "", process, log_path)
    try:
        sim.url = _wait_ready(sim, ready_timeout)
    except BaseException:
        sim.stop()
        raise
    return sim


def _wait_ready(sim: SimulatorProcess, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    url = ""
    while time.monotonic() < deadline:
        if not sim.alive():
            raise RuntimeError(f"{sim.name} exited during start-up:\n{sim.log_tail()}")
        if not url:
            found = LISTENING.search(sim.log_path.read_text(errors="replace"))
            url = found.group(1) if found else ""
        if url:
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return url
        time.sleep(0.05)
    raise RuntimeError(f"{sim.name} did not answer /healthz within {timeout}s:\n{sim.log_tail()}")


@dataclass(frozen=True)
class Received:
    """One request the receiver got: lower-cased headers, raw body, arrival (monotonic)."""

    headers: dict[str, str]
    body: bytes
    at: float

    def transactions(self) -> list[dict[str, Any]]:
        return list(json.loads(self.body)["transactions"])


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *_args: Any) -> None:  # one line per request would drown test output
        pass


class WebhookReceiver:
    """A tiny local webhook endpoint (werkzeug, in a thread) standing in for Tally's ingest.

    `answer(received, n)` decides each response: (status, headers) for the n-th request (from 0);
    the default accepts everything with 202. Every request is recorded in `received`.
    """

    def __init__(self, answer: Callable[[Received, int], tuple[int, dict[str, str]]] | None = None) -> None:
        self.received: list[Received] = []
        self._answer = answer or (lambda _r, _n: (202, {}))
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook/transaction"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @Request.application  # type: ignore[misc]
    def _app(self, request: Request) -> Response:
        got = Received({k.lower(): v for k, v in request.headers.items()}, request.get_data(), time.monotonic())
        with self._lock:
            n = len(self.received)
            self.received.append(got)
        status, headers = self._answer(got, n)
        return Response(json.dumps({"accepted": status == 202}), status, headers, content_type="application/json")


def run_send_job(bank: SimulatorProcess, timeout: float = 45.0, **body: Any) -> dict[str, Any]:
    """Starts a bank send job (POST /sim/send; rate 200/s unless given), waits until it is
    done, and returns its final report."""
    answer = requests.post(f"{bank.url}/sim/send", json={"rate": 200, **body}, timeout=5)
    assert answer.status_code == 202, answer.text
    deadline = time.monotonic() + timeout
    report: dict[str, Any] = {}
    while time.monotonic() < deadline:
        report = requests.get(f"{bank.url}/sim/jobs/{answer.json()['job_id']}", timeout=5).json()
        if report["state"] == "done":
            assert report["error"] is None, report["error"]
            return report
        time.sleep(0.05)
    raise AssertionError(f"send job did not finish within {timeout}s: {report}")


def ledger_ids(bank: SimulatorProcess, *accounts: str) -> set[str]:
    """Every transaction id the bank has for these accounts."""
    ids: set[str] = set()
    for account in accounts:
        answer = requests.get(f"{bank.url}/sim/accounts/{account}/transactions", timeout=10).json()
        ids |= {t["transaction_id"] for t in answer["transactions"]}
    return ids


def received_ids(receiver: WebhookReceiver) -> list[str]:
    return [t["transaction_id"] for r in receiver.received for t in r.transactions()]


def assert_wire_shaped(tx: dict[str, Any]) -> None:
    """The rules of docs/design.md, "The bank contract", checked independently of Tally's own parser."""
    assert re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", tx["transaction_id"])
    assert re.fullmatch(r"[A-Za-z0-9-]{1,34}", tx["account_number"])
    assert re.fullmatch(r"[A-Za-z0-9-]{1,32}", tx["card_id"])
    assert re.fullmatch(r"-?\d{1,12}(\.\d{1,3})?", tx["amount"]), tx["amount"]
    assert len(tx["amount"].partition(".")[2]) <= CURRENCY_SCALE[tx["currency"]]
    assert datetime.fromisoformat(tx["authorized_at"]).tzinfo is not None
    assert tx["status"] in ("pending", "settled", "reversed")
    assert (tx.get("settled_at") is not None) == (tx["status"] == "settled")
    merchant = tx["merchant"]
    assert 1 <= len(merchant["name"]) <= 128
    assert merchant["mcc"] is None or re.fullmatch(r"\d{4}", merchant["mcc"])
    assert len(tx["description"]) <= 256
