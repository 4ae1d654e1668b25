#!/usr/bin/env python3
"""Ticket intake on the real app. Run via scripts/bench.sh intake.

POST /api/v1/tickets as staff: a change request written up for a gold
customer (staff open only those; customers open the rest with their member
token), low urgency, on the default calendar: the due times of both clocks
computed at intake, the insert with its audit row and notice. Each request a
different customer (seeded straight into the state database) with its own
Idempotency-Key. 1 and 8 connections, tmpfs and disk, wrk.

With BENCH_SKIP_MIGRATION=0019_reports.sql the app runs without that
migration (common.manifest): the same run without the report indexes, to
measure what they add to the write path."""
import json
import os
import sqlite3
import tempfile

from common import ROUNDS, Host, app_env, manifest, measure, per_thread_lua, state_locations, table

STAFF = "bench-staff-key-000000001"
ENV = app_env(f"staff={STAFF}")
STRIDE = 50_000           # customers per wrk thread per run
LUA = per_thread_lua("BENCH_CUSTOMER_BASE", f"""\
  local id = string.format("T%07d", base + tid * {STRIDE} + n)
  return wrk.format("POST", "/api/v1/tickets",
    {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {STAFF}",
      ["Idempotency-Key"] = "bench-" .. id}},
    '{{"customer_id":"' .. id .. '","kind":"change_request","urgency":"low","complexity":"simple","channel":"email","subject":"New report"}}')
""")
FACTS = json.dumps({"segment": "business", "plan_type": "dedicated",
                    "monthly_plan_amount": {"amount": "500.00", "currency": "USD"},
                    "service_delivery": "direct", "support_plan": "gold"}, separators=(",", ":"))


def main():
    script = os.path.join(tempfile.mkdtemp(prefix="bench-lua-"), "intake.lua")
    with open(script, "w") as f:
        f.write(LUA)
    rows = []
    for label, parent in state_locations():
        state = tempfile.mkdtemp(prefix="bench-intake-", dir=parent)
        Host(manifest(), parent, ENV, state=state).stop()  # applies the migrations
        db = sqlite3.connect(os.path.join(state, "sqlite_db.db"))
        db.execute("DROP TRIGGER customers_audit_insert")
        db.executemany("INSERT INTO customers (id, legal_name, facts, created_at, updated_at, updated_by)"
                       " VALUES (?, 'Bench S.A.', ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 'bench')",
                       ((f"T{i:07d}", FACTS) for i in range(0, (ROUNDS * 2 + 1) * STRIDE)))
        db.commit()
        db.close()
        host = Host(manifest(), parent, ENV, state=state)
        try:
            rows += measure(host, host.base, script, label, fresh=("BENCH_CUSTOMER_BASE", STRIDE))
        finally:
            host.keep_state = False
            host.stop()
    skipped = os.environ.get("BENCH_SKIP_MIGRATION")
    table("POST /api/v1/tickets, each request a new customer" + (f", without {skipped}" if skipped else ""), rows)


if __name__ == "__main__":
    main()
