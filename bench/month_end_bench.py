#!/usr/bin/env python3
"""Month-end over many customers, inside the wasm component: seeds N customers
straight into the state database (in the component's own JSON format), then
times POST /api/v1/eligibility/month-end for one month and the immediate
rerun. State on disk. Run via scripts/bench.sh month-end [N] (default 100000)."""
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import urllib.request

from common import DURABILITY, ROOT, Host, app_env, state_locations

KEY = "bench-staff-key-000000001"
ENV = app_env(f"staff={KEY}")
MANIFEST = os.path.join(ROOT, "spin.toml")


def request(base, method, path):
    req = urllib.request.Request(base + path, data=b"" if method == "POST" else None, method=method,
                                 headers={"Authorization": f"Bearer {KEY}"})
    started = time.perf_counter()
    body = urllib.request.urlopen(req, timeout=600).read()
    return time.perf_counter() - started, json.loads(body)


def seed(database, n):
    plans = ["dedicated", "corporate", "business", "residential"]
    rows = []
    for i in range(n):
        facts = {"segment": ["isp", "business", "consumer"][i % 3], "plan_type": plans[i % 4],
                 "monthly_plan_amount": {"amount": f"{(i * 7) % 1200}.00", "currency": "USD"},
                 "service_delivery": "direct", "support_plan": "gold", "key_account": False}
        rows.append((f"C{i:07d}", f"Customer {i}", json.dumps(facts, separators=(",", ":")),
                     "2026-01-01T00:00:00.000Z", "bench"))
    db = sqlite3.connect(database)
    # Bulk seeding is set-up, not a business change: no audit rows for it.
    db.execute("DROP TRIGGER customers_audit_insert")
    db.executemany("INSERT INTO customers (id, legal_name, facts, created_at, updated_at, updated_by)"
                   " VALUES (?, ?, ?, ?4, ?4, ?5)", rows)
    db.commit()
    db.close()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    label, parent = state_locations()[-1]
    state = tempfile.mkdtemp(prefix="bench-month-end-", dir=parent)
    try:
        host = Host(MANIFEST, parent, ENV, state=state)  # applies migrations, seeds the rules
        request(host.base, "GET", "/api/v1/program/eligibility-rules")
        host.stop()
        seed(os.path.join(state, "sqlite_db.db"), n)
        host = Host(MANIFEST, parent, ENV, state=state)
        first, run = request(host.base, "POST", "/api/v1/eligibility/month-end?month=2026-01")
        again, rerun = request(host.base, "POST", "/api/v1/eligibility/month-end?month=2026-01")
        host.stop()
    finally:
        shutil.rmtree(state, ignore_errors=True)
    print(f"\nmonth-end over {n} customers inside the wasm component, state on {label}, "
          f"SQLite durability={DURABILITY}\n")
    print("| run | seconds | evaluated | vip | became_vip |")
    print("|---|---|---|---|---|")
    print(f"| first close of 2026-01 | {first:.2f} | {run['evaluated']} | {run['vip']} | {run['became_vip']} |")
    print(f"| immediate rerun (recorded run returned, 0 writes) | {again:.3f} | {rerun['evaluated']} | "
          f"{rerun['vip']} | {rerun['became_vip']} |")


if __name__ == "__main__":
    main()
