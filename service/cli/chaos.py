"""`tally chaos`: the fault campaign on the project's own stack (chaos/)."""

from __future__ import annotations

import argparse
import random
import signal
import threading
import time
from pathlib import Path
from typing import Any

EXAMPLES = """examples:
  tally chaos --quick                      # 5,000 transactions, every fault once (CI; about 4 minutes)
  tally chaos --json var/chaos/full.json   # 50,000 transactions, several faults of each kind
  tally chaos --quick --seed 7 --inspect   # the same schedule again; keep the stack up to look around
  tally chaos --cluster --json var/chaos/cluster.json   # on three Cassandra and three RabbitMQ nodes
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "chaos", help="fault campaign on an own stack; checks every transaction sent",
        description="Starts its own Cassandra node (127.0.0.20) and RabbitMQ node (tally-chaos@localhost) — with "
                    "--cluster three of each (127.0.0.20-22, tally-chaos-1..3@localhost, keyspace RF 3), where a "
                    "fault kills, pauses or restarts one node — keyspace and vhost tally_chaos, ingest and api "
                    "instances and two consumers; a simulated "
                    "bank sends N transactions (and later versions of some) while worker, consumer, broker "
                    "and database faults are applied and accounts change hands; after the drain every "
                    "transaction is checked in both tables and through the user API, and tally.dead is read. "
                    "Exit 1 on any missing, duplicated, misowned or wrong-version transaction, unexpected "
                    "dead letter, 4xx to a valid webhook, or fault that was not applied.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=int, metavar="N",
                        help="new transactions (default 50,000; --quick 5,000)")
    parser.add_argument("--quick", action="store_true", help="5,000 transactions, every fault once")
    parser.add_argument("--cluster", action="store_true",
                        help="on three Cassandra and three RabbitMQ nodes; the node faults hit one node each (a "
                             "RabbitMQ kill: the leader of tally.ingest)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every figure, sample and fault as JSON")
    parser.add_argument("--seed", type=int, help="makes the transactions and the fault schedule repeatable")
    parser.add_argument("--inspect", action="store_true",
                        help="after the check, keep the stack running until Ctrl-C (cqlsh, rabbitmqctl)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from chaos import campaign, report
    from chaos.schedule import Plan
    from chaos.stack import ROOT
    from service.cli.errors import CliError

    if not (ROOT / "scripts" / "cassandra").is_file():
        raise CliError(f"the campaign starts its own nodes with a checkout's scripts/, and {ROOT} is not a "
                       "checkout of Tally (installed from a wheel?): run it from a clone")

    if args.transactions is not None and args.transactions < 100:
        raise CliError("--transactions must be at least 100")
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    started = time.monotonic()

    def say(line: str) -> None:
        print(f"chaos [{time.monotonic() - started:5.0f} s] {line}", flush=True)

    # SIGTERM (a CI timeout) cleans up like Ctrl-C: every process and node is stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    def show(outcome: Any, stack: Any) -> None:
        print(report.table(outcome), flush=True)
        if args.json:
            report.write_json(outcome, args.json)
            print(f"results: {args.json}", flush=True)
        if args.inspect:
            _hold_for_inspection(stack)

    outcome = campaign.run(Plan.of(args.quick, args.transactions, cluster=args.cluster), seed, say, show)
    say("done")
    return 0 if outcome.passed else 1


def _hold_for_inspection(stack: Any) -> None:
    s = stack.settings
    rabbit = stack.nodes.rabbitmq[0].name
    print(f"--inspect: the stack runs until Ctrl-C. Cassandra {s.cassandra_hosts} keyspace {s.keyspace} "
          f"(.venv/bin/cqlsh {s.contact_points[0]} -k {s.keyspace}); RabbitMQ {rabbit} "
          f"(rabbitmqctl -n {rabbit} list_queues -p {s.vhost} name leader members); management "
          f"{s.management_urls[0]}; api {stack.url('api')}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("--inspect: stopping the stack", flush=True)
