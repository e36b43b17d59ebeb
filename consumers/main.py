"""Process entry of the consumers: bootstrap (one Runtime), signals, the health server, run.
`tally consumer` and `tally enrich` call `run_transactions` / `run_enrich`."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable

from consumers.enrich import EnrichWorker
from consumers.health import export_merchant_stats, poll_queue_depths, serve
from consumers.transactions import TransactionWorker
from consumers.worker import BatchWorker
from service import logs
from service.bootstrap import Runtime
from service.broker.management import Management
from service.settings import Settings

log = logging.getLogger("tally.consumer")


def transaction_worker(rt: Runtime, worker: type[TransactionWorker] = TransactionWorker) -> TransactionWorker:
    """`tally consumer`'s worker, built from the runtime's named parts."""
    return worker(rt.settings, rt.pipeline(), rt.cached_partners(), storage_probe=lambda: rt.check_cassandra()[0],
                  outbox=rt.link_outbox(), publishers=rt.publishers)


def enrich_worker(rt: Runtime) -> EnrichWorker:
    """`tally enrich`'s worker: ready while both the merchant API and Cassandra answer."""
    client = rt.merchant_client()
    return EnrichWorker(rt.settings, client, rt.transactions(), rt.changes(),
                        ready=lambda: client.probe() and rt.check_cassandra()[0])


def run_transactions(settings: Settings, name: str, worker: type[TransactionWorker] = TransactionWorker) -> None:
    """The consumer process; `worker` may be a subclass (tests slow its acks down this way)."""
    rt = Runtime(settings, publisher_pool_size=2)
    _run(rt, f"consumer-{name}", lambda: transaction_worker(rt, worker))


def run_enrich(settings: Settings, name: str) -> None:
    rt = Runtime(settings, publisher_pool_size=1)
    _run(rt, f"enrich-{name}", lambda: enrich_worker(rt))


def _run(rt: Runtime, process: str, build: Callable[[], BatchWorker]) -> None:
    logs.configure(rt.settings, process)
    if rt.settings.consumer_nice:
        os.nice(rt.settings.consumer_nice)
    rt.warm()  # fail fast if Cassandra is unreachable at start
    worker = build()
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal received; stopping", extra={"signal": signum})
        worker.stop()
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server = None
    if rt.settings.metrics_port:
        server = serve(rt.settings.metrics_addr, rt.settings.metrics_port, lambda: _ready(worker, rt))
        threading.Thread(target=poll_queue_depths, args=(Management(rt.settings), stop),
                         name="queue-depths", daemon=True).start()
        if rt.settings.merchant_api_url:
            threading.Thread(target=export_merchant_stats, args=(rt.merchant_client(), stop),
                             name="merchant-stats", daemon=True).start()
    try:
        worker.run()
    finally:
        stop.set()
        if server is not None:
            server.shutdown()
        rt.close()


def _ready(worker: BatchWorker, rt: Runtime) -> tuple[bool, str]:
    ok, reason = worker.ready()
    if not ok:
        return ok, reason
    return rt.check_cassandra()
