"""`tally-merchant-sim serve | faults | stats`: run the merchant-lookup simulator or steer one.

Every flag falls back to an environment variable (named in --help), then to a local default.
"""

from __future__ import annotations

import argparse
import json
import sys

from simulators.merchant.app import create_app
from simulators.merchant.faults import FaultModel, Faults
from simulators.web import call, configure_logging, env_default, run_command, serve

DEFAULT_PORT = 8102


def main(argv: list[str] | None = None) -> int:
    return run_command("tally-merchant-sim", _parser(), argv)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tally-merchant-sim", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="command")

    run = commands.add_parser("serve", help="run the simulator (SIGTERM stops it cleanly)")
    run.add_argument("--host", default=env_default("MERCHANT_SIM_HOST", "127.0.0.1"),
                     help="MERCHANT_SIM_HOST (default 127.0.0.1)")
    run.add_argument("--port", type=int, default=env_default("MERCHANT_SIM_PORT", DEFAULT_PORT),
                     help=f"MERCHANT_SIM_PORT (default {DEFAULT_PORT}; 0 = any free port)")
    run.add_argument("--api-key", default=env_default("MERCHANT_SIM_API_KEY", "dev-merchant-key"),
                     help="MERCHANT_SIM_API_KEY: the X-Api-Key clients must send")
    run.add_argument("--latency-ms", type=float, default=env_default("MERCHANT_SIM_LATENCY_MS", 25.0),
                     help="MERCHANT_SIM_LATENCY_MS: median answer time (log-normal, with a tail)")
    _fault_flags(run, env=True)
    run.add_argument("--seed", type=int, default=env_default("MERCHANT_SIM_SEED", None),
                     help="MERCHANT_SIM_SEED: makes latencies and faults reproducible")
    run.add_argument("--log-requests", action="store_true", help="log one line per request")
    run.set_defaults(run=_serve)

    faults = commands.add_parser("faults", help="change a running simulator's faults")
    faults.add_argument("--url", default=env_default("MERCHANT_SIM_URL", f"http://127.0.0.1:{DEFAULT_PORT}"))
    faults.add_argument("--outage", choices=("on", "off"), help="answer every lookup 503")
    faults.add_argument("--latency-ms", type=float)
    _fault_flags(faults, env=False)
    faults.set_defaults(run=_faults)

    stats = commands.add_parser("stats", help="print a running simulator's counters")
    stats.add_argument("--url", default=env_default("MERCHANT_SIM_URL", f"http://127.0.0.1:{DEFAULT_PORT}"))
    stats.add_argument("--reset", action="store_true", help="and reset them")
    stats.set_defaults(run=_stats)
    return parser


def _fault_flags(parser: argparse.ArgumentParser, env: bool) -> None:
    def default(name: str, value: float) -> float | None:
        return float(env_default(name, value)) if env else None

    parser.add_argument("--error-rate", type=float, default=default("MERCHANT_SIM_ERROR_RATE", 0.0),
                        help="share of lookups answered 500/503 (MERCHANT_SIM_ERROR_RATE)")
    parser.add_argument("--slow-rate", type=float, default=default("MERCHANT_SIM_SLOW_RATE", 0.0),
                        help="share of lookups answered after --slow-ms (MERCHANT_SIM_SLOW_RATE)")
    parser.add_argument("--slow-ms", type=float, default=default("MERCHANT_SIM_SLOW_MS", 2000.0),
                        help="delay of a slow answer (MERCHANT_SIM_SLOW_MS)")


def _serve(args: argparse.Namespace) -> int:
    for name in ("error_rate", "slow_rate"):
        if not 0 <= getattr(args, name) <= 1:
            print(f"--{name.replace('_', '-')} must be between 0 and 1", file=sys.stderr)
            return 2
    configure_logging(args.log_requests)
    faults = Faults(latency_ms=float(args.latency_ms), error_rate=args.error_rate,
                    slow_rate=args.slow_rate, slow_ms=args.slow_ms)
    seed = None if args.seed is None else int(args.seed)
    app = create_app(args.api_key, FaultModel(faults, seed))
    serve(app, args.host, int(args.port), "tally-merchant-sim")
    return 0


def _faults(args: argparse.Namespace) -> int:
    body: dict[str, object] = {}
    if args.outage is not None:
        body["outage"] = args.outage == "on"
    for name in ("latency_ms", "error_rate", "slow_rate", "slow_ms"):
        if getattr(args, name) is not None:
            body[name] = getattr(args, name)
    print(json.dumps(call("POST", f"{args.url}/admin/faults", body), indent=2))
    return 0


def _stats(args: argparse.Namespace) -> int:
    answer = call("POST", f"{args.url}/admin/stats/reset") if args.reset else call("GET", f"{args.url}/admin/stats")
    print(json.dumps(answer, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
