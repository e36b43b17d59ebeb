"""A consumer that waits between its Cassandra write and its acks, for tests that kill it in
between: the production worker subclassed, as zulip tests its queue workers, so the product
carries no test hook. Run as `python -m tests.support.slow_consumer --name N --metrics-port P`
with TALLY_* settings in the environment; `ACK_DELAY_SECONDS` is the wait."""

from __future__ import annotations

import argparse
import os
import time

from consumers.main import run_transactions
from consumers.transactions import TransactionWorker
from consumers.worker import DeadLetter, Held
from service.settings import Settings


class SlowAckWorker(TransactionWorker):
    delay = float(os.environ.get("ACK_DELAY_SECONDS", "30"))

    def handle(self, batch: list[Held]) -> dict[int, DeadLetter]:
        dead = super().handle(batch)
        time.sleep(self.delay)  # written, not yet acked
        return dead


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--metrics-port", type=int, required=True)
    args = parser.parse_args()
    run_transactions(Settings.from_env().replace(metrics_port=args.metrics_port), args.name, SlowAckWorker)
