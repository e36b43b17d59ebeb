"""gunicorn settings shared by the `ingest` and `api` instances (environment overrides:
GUNICORN_WORKERS, GUNICORN_THREADS, GUNICORN_BIND, TALLY_INSTANCE; the metrics port and
address are Tally settings, read through service.settings).

gthread workers: the webhook path waits on a publisher confirm and the api path on
Cassandra, both I/O, so a few threads per worker keep the 2 cores busy. Nothing connects
before fork: each worker opens its own Cassandra session and AMQP connections afterwards.
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

# gthread, with gunicorn's own error answers (400, 414, 431…) in the app's JSON error shape
worker_class = "service.http.worker.JsonErrorWorker"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
# timeout is a worker-liveness check for gthread, not a request timeout: every outbound call
# (publish confirm, Cassandra, HTTP) carries its own.
timeout = 30
graceful_timeout = 20       # > the publish confirm budget, so in-flight webhooks finish
keepalive = 75              # above nginx's upstream keepalive_timeout (60 s)
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = None            # the app logs one JSON line per request (service.http.context)
errorlog = "-"
proc_name = f"tally-{os.environ.get('TALLY_INSTANCE', 'web')}"
max_requests = 0            # recycling would multiply prometheus multiprocess files


def on_starting(server: Any) -> None:
    """Multiprocess metrics: the directory is wiped before the first worker starts."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def when_ready(server: Any) -> None:
    from service.settings import Settings, SettingsError

    try:
        settings = Settings.from_env()  # read as the app reads them
    except SettingsError:
        return  # the workers refuse to start with one line naming the setting (service/wsgi.py)
    if settings.metrics_port and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import CollectorRegistry, multiprocess, start_http_server

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(settings.metrics_port, addr=settings.metrics_addr, registry=registry)


WORKER_BOOT_ERROR = 3  # gunicorn halts the whole server when a worker exits with it while booting


def post_worker_init(worker: Any) -> None:
    """Connect to Cassandra now rather than on the first request (after fork, per worker),
    and refuse to serve an unsafe production configuration."""
    from service.bootstrap import UnsafeConfiguration

    app = worker.wsgi
    runtime = getattr(app, "extensions", {}).get("tally")
    if runtime is None:
        return
    try:
        runtime.warm()
        runtime.refuse_unsafe_production()
    except UnsafeConfiguration as exc:
        worker.log.critical("refusing to start: %s", exc)
        sys.exit(WORKER_BOOT_ERROR)
    except Exception:  # noqa: BLE001 - /readyz reports it; the worker must still start
        worker.log.warning("could not connect to Cassandra yet; /readyz will say so")


def worker_exit(server: Any, worker: Any) -> None:
    runtime = getattr(worker.wsgi, "extensions", {}).get("tally") if hasattr(worker, "wsgi") else None
    if runtime is not None:
        runtime.close()


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
