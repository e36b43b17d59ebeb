"""Real Tally processes (gunicorn instances, consumers, the enrich worker, simulators) started
with a given Settings on free ports, for tests and benchmarks. Each runs in its own process
group, logs to `<log_dir>/<name>.out`, and is ready when its health URL answers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import requests

from service.settings import FIELDS, Settings

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes a subprocess read exactly `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TALLY_", "CASSANDRA_", "MERCHANT_"))}
    for name, value in dataclasses.asdict(settings).items():
        env[FIELDS[name].env] = str(value)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(extra)
    return env


@dataclasses.dataclass
class AppProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    url: str | None = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    @property
    def port(self) -> int:
        """The port `url` names (every HTTP process this module starts has one)."""
        port = urlsplit(self.url or "").port
        if port is None:
            raise ValueError(f"{self.name} has no URL with a port: {self.url!r}")
        return port

    def alive(self) -> bool:
        return self.process.poll() is None

    def signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def stop(self, timeout: float = 20) -> None:
        if not self.alive():
            return
        self.signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.wait(10)


def start_process(name: str, argv: list[str], env: dict[str, str], log_dir: Path, *,
                  ready_url: str | None = None, ready_timeout: float = 60) -> AppProcess:
    """Starts argv in its own process group; waits until ready_url answers 2xx (if given)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.out"
    with open(log_path, "ab") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
    app = AppProcess(name, process, log_path)
    if ready_url:
        deadline = time.monotonic() + ready_timeout
        while True:
            if not app.alive():
                raise RuntimeError(f"{name} exited during start-up:\n{app.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(ready_url, timeout=1).ok:
                    break
            if time.monotonic() > deadline:
                app.stop()
                raise RuntimeError(f"{name} did not answer {ready_url} within {ready_timeout}s:\n{app.log_tail()}")
            time.sleep(0.2)
    return app


def start_gunicorn(instance: str, settings: Settings, log_dir: Path, *, workers: int = 2, threads: int = 4,
                   app_path: str | None = None, **extra_env: str) -> AppProcess:
    """A gunicorn instance of service.wsgi (or `app_path`, a gunicorn app path), ready on /readyz."""
    port = free_port()
    env = settings_env(settings, TALLY_INSTANCE=instance, GUNICORN_BIND=f"127.0.0.1:{port}",
                       GUNICORN_WORKERS=str(workers), GUNICORN_THREADS=str(threads), **extra_env)
    app = start_process(f"{instance}-{port}", [str(BIN / "gunicorn"), "-c", "python:service.gunicorn_conf",
                                               app_path or f"service.wsgi:{instance}()"],
                        env, log_dir, ready_url=f"http://127.0.0.1:{port}/readyz")
    app.url = f"http://127.0.0.1:{port}"
    return app


def wait_until(predicate: Callable[[], T], timeout: float = 30, interval: float = 0.2,
               message: str = "condition") -> T:
    """Polls predicate() until it returns a truthy value (returned) or fails the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message} (last: {value!r})")
        time.sleep(interval)


@contextlib.contextmanager
def running(app: AppProcess) -> Iterator[AppProcess]:
    try:
        yield app
    finally:
        app.stop()


def start_consumer(settings: Settings, log_dir: Path, name: str, command: str = "consumer",
                   **extra_env: str) -> AppProcess:
    """A `tally consumer` (or `tally enrich`) process; ready when its /readyz answers
    (connected to the broker, Cassandra up)."""
    return start_worker(settings, log_dir, name, [str(BIN / "tally"), command], **extra_env)


def start_worker(settings: Settings, log_dir: Path, name: str, program: list[str], **extra_env: str) -> AppProcess:
    """Any worker entry point that takes --name and --metrics-port, like `tally consumer`."""
    port = free_port()
    env = settings_env(settings, **extra_env)
    argv = [*program, "--name", name, "--metrics-port", str(port)]
    app = start_process(f"{Path(program[-1]).name}-{name}-{port}", argv, env, log_dir,
                        ready_url=f"http://127.0.0.1:{port}/readyz")
    app.url = f"http://127.0.0.1:{port}"
    return app


def start_simulator(kind: str, log_dir: Path, *args: str) -> AppProcess:
    """`tally-bank-sim serve` or `tally-merchant-sim serve` on a free port."""
    port = free_port()
    app = start_process(f"{kind}-sim-{port}", [str(BIN / f"tally-{kind}-sim"), "serve", "--port", str(port), *args],
                        dict(os.environ), log_dir, ready_url=f"http://127.0.0.1:{port}/healthz")
    app.url = f"http://127.0.0.1:{port}"
    return app
