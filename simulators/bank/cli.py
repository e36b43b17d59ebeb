"""`tally-bank-sim serve | link-code | send | config | stats`: run one simulated partner bank,
or drive a running one. Every flag falls back to an environment variable (named in --help)."""

from __future__ import annotations

import argparse
import binascii
import json
import sys
import time
from typing import Any

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from simulators.bank.app import create_app
from simulators.bank.bank import Bank
from simulators.bank.control import DEFAULT_WEBHOOK_URL, BankConfig
from simulators.web import call, configure_logging, env_default, run_command, serve

DEFAULT_PORT = 8101
DEFAULT_BANK_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
PROGRESS_EVERY = 2.0  # seconds between progress lines of `send`


def main(argv: list[str] | None = None) -> int:
    return run_command("tally-bank-sim", _parser(), argv)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tally-bank-sim", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="command")
    _serve_parser(commands.add_parser("serve", help="run the simulated bank (SIGTERM stops it)"))

    link = commands.add_parser("link-code", help="issue a one-time link code for an account")
    _bank_flag(link)
    link.add_argument("--account", required=True)
    link.add_argument("--card", action="append", dest="cards", help="card id (repeatable; default: "
                      "the account's cards, two new ones for a new account)")
    link.add_argument("--json", action="store_true", help="print the whole answer as JSON")
    link.set_defaults(run=_link_code)

    send = commands.add_parser("send", help="send signed webhooks to Tally and report")
    _bank_flag(send)
    send.add_argument("--account", action="append", dest="accounts", required=True)
    send.add_argument("--count", type=int, required=True, help="new transactions to send")
    send.add_argument("--rate", type=float, required=True, help="webhook requests per second")
    send.add_argument("--batch-size", type=int, default=100, help="transactions per request (1..100)")
    send.add_argument("--settle-after", type=float, default=0.0,
                      help="share of accepted pending transactions later sent again as settled")
    send.add_argument("--days-back", type=float, default=0.0, help="spread authorized_at over N days")
    send.add_argument("--max-attempts", type=int, help="attempts per request before giving up")
    send.add_argument("--no-wait", action="store_true", help="print the job id and return")
    send.add_argument("--json", action="store_true", help="print the final report as JSON")
    send.set_defaults(run=_send)

    config = commands.add_parser("config", help="change a running bank's settings")
    _bank_flag(config)
    config.add_argument("--error-rate", type=float, help="share of partner-API requests failing 500/503")
    config.add_argument("--forget-rate", type=float, help="share of webhook requests never sent")
    config.add_argument("--webhook-url")
    config.set_defaults(run=_config)

    stats = commands.add_parser("stats", help="print a running bank's counters")
    _bank_flag(stats)
    stats.set_defaults(run=lambda args: _print(call("GET", f"{args.bank}/sim/stats")))
    return parser


def _serve_parser(run: argparse.ArgumentParser) -> None:
    def flag(name: str, env: str, default: Any, kind: Any = str, text: str = "") -> None:
        run.add_argument(name, type=kind, default=env_default(env, default),
                         help=f"{env}{f' (default {default})' if default is not None else ''}. {text}")

    defaults = BankConfig()
    flag("--host", "BANK_SIM_HOST", "127.0.0.1")
    flag("--port", "BANK_SIM_PORT", DEFAULT_PORT, int, "0 = any free port")
    flag("--partner-id", "BANK_SIM_PARTNER_ID", "demo-bank", text="sent as x-partner-id")
    flag("--signing-secret", "BANK_SIM_SIGNING_SECRET", None, text="required: whsec_<base64>")
    flag("--webhook-url", "BANK_SIM_WEBHOOK_URL", DEFAULT_WEBHOOK_URL)
    flag("--api-token", "BANK_SIM_API_TOKEN", "dev-bank-token", text="Tally's Bearer token")
    flag("--error-rate", "BANK_SIM_ERROR_RATE", 0.0, float, "partner-API requests failing 500/503")
    flag("--forget-rate", "BANK_SIM_FORGET_RATE", 0.0, float, "webhook requests never sent")
    flag("--seed", "BANK_SIM_SEED", None, int, "makes generated transactions reproducible")
    flag("--max-attempts", "BANK_SIM_MAX_ATTEMPTS", defaults.max_attempts, int, "per webhook request")
    flag("--max-retry-seconds", "BANK_SIM_MAX_RETRY_SECONDS", defaults.max_retry_seconds, float)
    flag("--backoff-initial", "BANK_SIM_BACKOFF_INITIAL", defaults.backoff_initial, float, "seconds")
    flag("--backoff-max", "BANK_SIM_BACKOFF_MAX", defaults.backoff_max, float, "seconds")
    flag("--request-timeout", "BANK_SIM_REQUEST_TIMEOUT", defaults.request_timeout, float, "read timeout")
    flag("--concurrency", "BANK_SIM_CONCURRENCY", defaults.concurrency, int, "requests in flight per job")
    flag("--link-code-ttl", "BANK_SIM_LINK_CODE_TTL", 600.0, float, "seconds a link code is valid")
    run.add_argument("--log-requests", action="store_true", help="log one line per request")
    run.set_defaults(run=_serve)


def _bank_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bank", default=env_default("BANK_SIM_URL", DEFAULT_BANK_URL),
                        help=f"the simulator's base URL (BANK_SIM_URL, default {DEFAULT_BANK_URL})")


def _serve(args: argparse.Namespace) -> int:
    problem = _serve_problem(args)
    if problem:
        print(f"tally-bank-sim serve: {problem}", file=sys.stderr)
        return 2
    configure_logging(args.log_requests)
    config = BankConfig(
        webhook_url=args.webhook_url, error_rate=float(args.error_rate), forget_rate=float(args.forget_rate),
        max_attempts=int(args.max_attempts), max_retry_seconds=float(args.max_retry_seconds),
        backoff_initial=float(args.backoff_initial), backoff_max=float(args.backoff_max),
        request_timeout=float(args.request_timeout), concurrency=int(args.concurrency))
    bank = Bank(args.partner_id, args.signing_secret, args.api_token, config,
                seed=None if args.seed is None else int(args.seed), link_code_ttl=float(args.link_code_ttl))
    serve(create_app(bank), args.host, int(args.port), f"tally-bank-sim ({args.partner_id})", bank.stop)
    return 0


def _serve_problem(args: argparse.Namespace) -> str | None:
    if not args.signing_secret:
        return "--signing-secret (or BANK_SIM_SIGNING_SECRET) is required"
    try:
        Webhook(args.signing_secret)
    except (binascii.Error, ValueError, RuntimeError, EmptyWebhookSecretError) as exc:
        return f"--signing-secret is not a whsec_<base64> key ({type(exc).__name__})"
    for name in ("error_rate", "forget_rate"):
        if not 0 <= float(getattr(args, name)) <= 1:
            return f"--{name.replace('_', '-')} must be between 0 and 1"
    return None


def _link_code(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"account_number": args.account}
    if args.cards:
        body["card_ids"] = args.cards
    answer = call("POST", f"{args.bank}/sim/link-codes", body)
    print(json.dumps(answer, indent=2) if args.json else answer["link_code"])
    return 0


def _send(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"accounts": args.accounts, "count": args.count, "rate": args.rate,
                            "batch_size": args.batch_size, "settle_after": args.settle_after,
                            "days_back": args.days_back}
    if args.max_attempts:
        body["max_attempts"] = args.max_attempts
    job_id = call("POST", f"{args.bank}/sim/send", body)["job_id"]
    if args.no_wait:
        print(job_id)
        return 0
    report = _wait_for(args.bank, job_id, args.count)
    if args.json:
        _print(report)
    else:
        print(_summary(report))
    return 1 if report["gave_up"] or report.get("error") else 0


def _wait_for(bank: str, job_id: str, count: int) -> dict[str, Any]:
    last_line = 0.0
    while True:
        report = call("GET", f"{bank}/sim/jobs/{job_id}")
        if report["state"] == "done":
            return report
        if time.monotonic() - last_line >= PROGRESS_EVERY:
            last_line = time.monotonic()
            print(f"{job_id}: {report['transactions_generated']}/{count} generated, "
                  f"{report['transactions_accepted']} accepted, {report['retried']} retries, "
                  f"{report['gave_up']} given up, {report['forgotten']} forgotten", file=sys.stderr)
        time.sleep(0.25)


def _summary(report: dict[str, Any]) -> str:
    lines = [
        f"job {report['job_id']} done in {report['elapsed_seconds']} s",
        f"  requests sent {report['requests_sent']} (attempts {report['attempts']}, retried "
        f"{report['retried']}), accepted {report['requests_accepted']}, rejected {report['rejected']}, "
        f"forgotten {report['forgotten']}, given up {report['gave_up']}",
        f"  transactions generated {report['transactions_generated']}, accepted "
        f"{report['transactions_accepted']}, settle updates {report['settle_updates']}",
    ]
    given_up = report["transaction_ids_given_up"]
    if given_up:
        shown = ", ".join(given_up[:20]) + (" ..." if len(given_up) > 20 else "")
        lines.append(f"  gave up on {len(given_up)} transactions: {shown}")
        lines.append(f"  last failure: {report['last_failure']}")
    if report.get("error"):
        lines.append(f"  job error: {report['error']}")
    return "\n".join(lines)


def _config(args: argparse.Namespace) -> int:
    body = {name: getattr(args, name) for name in ("error_rate", "forget_rate", "webhook_url")
            if getattr(args, name) is not None}
    return _print(call("POST", f"{args.bank}/sim/config", body))


def _print(answer: Any) -> int:
    print(json.dumps(answer, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
