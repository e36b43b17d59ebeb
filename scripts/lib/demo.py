"""The end of `scripts/dev up`: a demo user links the demo bank's account with a link code,
the simulated bank sends a burst of webhooks, and the user's categorised transactions are
printed as the app API returns them. Only public interfaces: Tally's HTTP API and the bank
simulator's customer and simulation endpoints."""

from __future__ import annotations

import argparse
import sys
import time

import requests

EMAIL, PASSWORD, ACCOUNT = "demo@tally.example", "demo-password-1234", "DE-DEMO-0001"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", default="http://127.0.0.1:8002")
    parser.add_argument("--bank", default="http://127.0.0.1:8101")
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    http = requests.Session()

    signup = http.post(f"{args.api}/users", json={"email": EMAIL, "password": PASSWORD, "name": "Demo User",
                                                  "time_zone": "Europe/Berlin"}, timeout=10)
    if signup.status_code not in (201, 409, 429):  # 409, 429: an earlier run signed the demo user up
        return fail("sign-up", signup)
    login = http.post(f"{args.api}/auth/login", json={"email": EMAIL, "password": PASSWORD}, timeout=10)
    if login.status_code != 200:
        return fail("login", login)
    http.headers["Authorization"] = f"Bearer {login.json()['token']}"

    code = http.post(f"{args.bank}/sim/link-codes", json={"account_number": ACCOUNT}, timeout=10).json()["link_code"]
    link = http.post(f"{args.api}/me/accounts", json={"partner_id": "demo-bank", "link_code": code}, timeout=15)
    if link.status_code not in (200, 201):
        return fail("linking", link)

    before = len(_transactions(http, args.api))
    job = http.post(f"{args.bank}/sim/send", json={"accounts": [ACCOUNT], "count": args.count, "rate": 20,
                                                   "batch_size": 50, "days_back": 10}, timeout=10).json()
    print(f"demo: the bank sends {args.count} transactions for {EMAIL} ({ACCOUNT}) …")
    report = _wait_job(http, args.bank, job["job_id"])
    accepted = report.get("transactions_accepted", 0)
    deadline = time.monotonic() + 60
    rows = _transactions(http, args.api)
    while len(rows) < min(before + accepted, 400) and time.monotonic() < deadline:
        time.sleep(1)
        rows = _transactions(http, args.api)
    print(f"demo: {accepted} accepted by Tally; {len(rows)} visible to {EMAIL} (newest first):")
    for row in rows[:25]:
        print(f"  {row['authorized_at'][:16]}  {row['merchant']['name'][:28]:<28} {row['amount']:>10} "
              f"{row['currency']}  {row['category']:<14} ({row['category_source']})")
    print(f"demo: the web app is at {args.api}/app/ — log in as {EMAIL} / {PASSWORD}")
    return 0


def _transactions(http: requests.Session, api: str) -> list[dict]:  # type: ignore[type-arg]
    rows: list[dict] = []  # type: ignore[type-arg]
    cursor = None
    while len(rows) < 400:
        params = {"days": 30, "limit": 200, **({"cursor": cursor} if cursor else {})}
        page = http.get(f"{api}/me/transactions", params=params, timeout=10).json()
        rows.extend(page["transactions"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    return rows


def _wait_job(http: requests.Session, bank: str, job_id: str) -> dict:  # type: ignore[type-arg]
    while True:
        report = http.get(f"{bank}/sim/jobs/{job_id}", timeout=10).json()
        if report.get("state") == "done":
            return report  # type: ignore[no-any-return]
        time.sleep(0.5)


def fail(step: str, response: requests.Response) -> int:
    print(f"demo: {step} failed: {response.status_code} {response.text[:300]}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
