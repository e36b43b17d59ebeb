"""`tally bench`: the benchmarks (bench/), each figure against a baseline of the same run."""

from __future__ import annotations

import argparse
import time

from service.cli.errors import CliError

SCENARIOS = ("ingest", "burst", "write", "login-under-burst", "read-scaling", "write-scaling", "freshness", "memory",
             "summary")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench", help="run the benchmarks against the local Cassandra and RabbitMQ",
        description="Starts its own ingest and api instances, two consumers and the simulators, with "
                    "keyspace and vhost tally_bench (dropped at start). Prints a table and writes "
                    "bench/results/<time>.json. --quick: 10k/100k rows, about 3 minutes; a full run "
                    "(100k/1M rows) takes about 21 minutes.")
    parser.add_argument("scenario", nargs="*", metavar="SCENARIO",
                        help=f"any of {', '.join(SCENARIOS)} (default: all); or `scale` alone: throughput with 1-4 "
                             "consumers and 1-2 ingest instances, on the local node and on a three-node cluster it "
                             "starts and removes, with the CPU per unit (--quick: a few minutes; full: about 20)")
    parser.add_argument("--quick", action="store_true", help="small data sets and short runs")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bench.run import run as run_bench
    from bench.run import table

    if "scale" in args.scenario:
        if len(args.scenario) > 1:
            raise CliError("scale runs alone: it starts a cluster beside the local node")
        return _scale(args.quick)
    unknown = set(args.scenario) - set(SCENARIOS)
    if unknown:
        raise CliError(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    started = time.monotonic()

    def say(line: str) -> None:
        print(f"bench [{time.monotonic() - started:5.0f} s] {line}", flush=True)

    results, path = run_bench(list(args.scenario), args.quick, say=say)
    print(table(results))
    print(f"results: {path} ({time.monotonic() - started:.0f} s)")
    return 0 if all(r.met is not False for r in results) else 1


def _scale(quick: bool) -> int:
    from bench.scale import bends, checks, run, table

    started = time.monotonic()

    def say(line: str) -> None:
        print(f"bench scale [{time.monotonic() - started:5.0f} s] {line}", flush=True)

    report, path = run(quick, say=say)
    print(table(report))
    print(bends(report))
    print(checks(report))
    print(f"results: {path} ({time.monotonic() - started:.0f} s)")
    return 0
