#!/usr/bin/env python3
"""The dunning run on the real app. Run via scripts/bench.sh dunning [N].

N customers (default 100,000), each with an unpaid invoice for October 2026,
are seeded straight into the state database. Then, inside the wasm component
(POST /api/v1/dunning/runs, state on disk):

1. the run as of 27 October 2026: every invoice walks three reminders, the
   suspension notice and the suspension (5 steps, 2 service moves each:
   500,000 steps with their audit rows and notices);
2. the immediate rerun: 0 writes;
3. the run as of 6 November: the pickup step."""
import os
import sqlite3
import sys

from common import ROOT, app_env, runs_table, seeded_runs, timed_call

SCHEDULER = "bench-scheduler-key-00001"
ENV = app_env(f"scheduler={SCHEDULER},staff=bench-staff-key-000000001")
MANIFEST = os.path.join(ROOT, "spin.toml")


def run(base, as_of):
    return timed_call(base, "POST", f"/api/v1/dunning/runs?as_of={as_of}", SCHEDULER)


def seed(database, n):
    db = sqlite3.connect(database)
    db.executemany(
        "INSERT INTO invoices (customer_id, month, amount_minor, currency, due_on, issued_at, issued_by)"
        " VALUES (?, '2026-10', 90000, 'USD', '2026-10-05', '2026-10-01T06:00:00.000Z', 'bench')",
        ((f"B{i:07d}",) for i in range(n)))
    db.commit()
    db.close()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    label, _, runs = seeded_runs(
        MANIFEST, ENV,
        lambda base: run(base, "2026-10-01T05:00:00Z"),  # the collections programme
        lambda database: seed(database, n),
        lambda base: [("as of 27 October (5 steps each)", *run(base, "2026-10-27T12:00:00Z")),
                      ("immediate rerun (0 writes)", *run(base, "2026-10-27T12:00:00Z")),
                      ("as of 6 November (pickup)", *run(base, "2026-11-06T12:00:00Z"))])
    runs_table(f"dunning run over {n} unpaid invoices inside the wasm component, state on {label}",
               ["unpaid_invoices", "steps_recorded", "service_moves"], runs)

if __name__ == "__main__":
    main()
