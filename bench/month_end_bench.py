#!/usr/bin/env python3
"""Month-end over many customers, inside the wasm component: seeds N customers
straight into the state database (in the component's own JSON format), then
times POST /api/v1/eligibility/month-end for one month and the immediate
rerun. State on disk. Run via scripts/bench.sh month-end [N] (default 100000)."""
import json
import os
import sqlite3
import sys
import time
import urllib.request

from common import ROOT, app_env, runs_table, seeded_runs

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
    month_end = "/api/v1/eligibility/month-end?month=2026-01"
    label, _, runs = seeded_runs(
        MANIFEST, ENV,
        lambda base: request(base, "GET", "/api/v1/program/eligibility-rules"),  # seeds the rules
        lambda database: seed(database, n),
        lambda base: [("first close of 2026-01", *request(base, "POST", month_end)),
                      ("immediate rerun (recorded run returned, 0 writes)", *request(base, "POST", month_end))])
    runs_table(f"month-end over {n} customers inside the wasm component, state on {label}",
               ["evaluated", "vip", "became_vip"], runs)

if __name__ == "__main__":
    main()
