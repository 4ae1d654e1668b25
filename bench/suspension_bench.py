#!/usr/bin/env python3
"""The suspension run on the real app. Run via scripts/bench.sh suspension [N].

N direct-service customers (default 10,000) are seeded straight into the
state database as suspended, with N undelivered notices in the outbox. A
loopback partner (a Python HTTP server, one thread per connection) accepts
every call. Then, inside the wasm components (POST /api/v1/suspension/runs,
then the `notices` component's POST /api/v1/notices/runs; their times
added), state on disk:

1. the first run: N orders opened, N signed provisioning calls, N signed
   notice deliveries;
2. the immediate rerun: nothing due, 0 writes (it still scans the N
   suspended customers for moves without an order)."""
import os
import sqlite3
import sys

from common import ROOT, app_env, loopback_partner, runs_table, seeded_runs, timed_call

SCHEDULER = "bench-scheduler-key-00001"
MANIFEST = os.path.join(ROOT, "spin.toml")


def seed(database, n):
    db = sqlite3.connect(database)
    at = "2026-10-27T12:00:00.000Z"
    db.executemany(
        "INSERT INTO customers (id, legal_name, facts, created_at, updated_at, updated_by)"
        " VALUES (?, 'Bench', '{\"service_delivery\":\"direct\"}', ?, ?, 'bench')",
        ((f"B{i:07d}", at, at) for i in range(n)))
    db.executemany(
        "INSERT INTO service_status (customer_id, status, updated_at, updated_by, reason)"
        " VALUES (?, 'suspended', ?, 'bench', 'unpaid')",
        ((f"B{i:07d}", at) for i in range(n)))
    db.executemany(
        "INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)"
        " VALUES (?, 'bench.notice', ?, '{\"to\":[\"sales_manager\"]}', ?)",
        ((f"bench-{i}", f"B{i:07d}", at) for i in range(n)))
    db.commit()
    db.close()


def flat(suspension, notices):
    return {"orders_opened": suspension["orders_opened"], "calls": suspension["calls"]["delivered"],
            "notices": notices["notices"]["delivered"],
            "failed": suspension["calls"]["failed"] + notices["notices"]["failed"]}


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    server, origin, _ = loopback_partner()
    env = {**app_env(f"scheduler={SCHEDULER},staff=bench-staff-key-000000001"),
           "SPIN_VARIABLE_PROVISIONING_ORIGIN": origin, "SPIN_VARIABLE_NOTIFICATION_ORIGIN": origin}

    def run(base):
        as_of = "as_of=2026-10-27T12:05:00Z"
        secs, suspension = timed_call(base, "POST", f"/api/v1/suspension/runs?{as_of}", SCHEDULER)
        more, notices = timed_call(base, "POST", f"/api/v1/notices/runs?{as_of}", SCHEDULER)
        return secs + more, flat(suspension, notices)

    label, _, runs = seeded_runs(
        MANIFEST, env,
        lambda base: timed_call(base, "GET", "/api/v1/program/suspension", "bench-staff-key-000000001"),
        lambda database: seed(database, n),
        lambda base: [("first run", *run(base)), ("immediate rerun (0 writes)", *run(base))])
    server.shutdown()
    runs_table(f"suspension run over {n} suspended direct customers and {n} notices, inside the wasm"
               f" components, calling a loopback partner, state on {label}",
               ["orders_opened", "calls", "notices", "failed"], runs)


if __name__ == "__main__":
    main()
