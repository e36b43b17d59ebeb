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
from service.merchants.lookup import MerchantLookupClient
from service.pipeline.classify import ClassificationStep, LocalLayers
from service.pipeline.enrichment import EnrichmentSink, WithMerchantLookup
from service.pipeline.processor import TransactionPipeline
from service.repositories.accounts import AccountRepository
from service.repositories.first_seen import FirstSeenRepository
from service.repositories.held import HeldRepository
from service.repositories.link_outbox import LinkOutboxRepository
from service.repositories.merchants import MerchantRepository
from service.repositories.partners import CachedPartners, PartnerRepository
from service.repositories.rules import UserRuleRepository
from service.repositories.transactions import TransactionRepository
from service.settings import Settings

log = logging.getLogger("tally.consumer")


def merchant_client(rt: Runtime) -> MerchantLookupClient:
    return rt.singleton(MerchantLookupClient, lambda: MerchantLookupClient(
        rt.settings, rt.repository(MerchantRepository)))


def build_pipeline(rt: Runtime) -> TransactionPipeline:
    """The pipeline of a consumer: with the merchant-lookup layer unless MERCHANT_API_URL is
    empty; rows the API did not answer in time are published to tally.enrich."""
    classifier: ClassificationStep = LocalLayers()
    enrich_later = None
    if rt.settings.merchant_api_url:
        classifier = WithMerchantLookup(merchant_client(rt))
        enrich_later = EnrichmentSink(rt.publishers)
    return TransactionPipeline(
        accounts=rt.repository(AccountRepository),
        held=rt.singleton(HeldRepository, lambda: HeldRepository(rt.session, rt.settings.held_ttl_days)),
        rules=rt.repository(UserRuleRepository),
        transactions=rt.repository(TransactionRepository),
        sightings=rt.singleton(FirstSeenRepository, lambda: FirstSeenRepository(
            rt.session, rt.settings.webhook_id_ttl_days)),
        classifier=classifier, enrich_later=enrich_later)


def run_transactions(settings: Settings, name: str, worker: type[TransactionWorker] = TransactionWorker) -> None:
    """The consumer process; `worker` may be a subclass (tests slow its acks down this way)."""
    rt = Runtime(settings, f"consumer-{name}", publisher_pool_size=2)

    def build() -> BatchWorker:
        partners = CachedPartners(rt.repository(PartnerRepository), settings.partner_cache_seconds)
        return worker(settings, build_pipeline(rt), partners, storage_probe=lambda: rt.check_cassandra()[0],
                      outbox=rt.repository(LinkOutboxRepository), publishers=rt.publishers)

    _run(rt, f"consumer-{name}", build)


def run_enrich(settings: Settings, name: str) -> None:
    rt = Runtime(settings, f"enrich-{name}", publisher_pool_size=1)

    def build() -> BatchWorker:
        client = merchant_client(rt)
        return EnrichWorker(settings, client, rt.repository(TransactionRepository),
                            ready=lambda: client.probe() and rt.check_cassandra()[0])

    _run(rt, f"enrich-{name}", build)


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
            threading.Thread(target=export_merchant_stats, args=(merchant_client(rt), stop),
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
