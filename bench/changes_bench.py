#!/usr/bin/env python3
"""Change requests on the real app. Run via scripts/bench.sh changes [N].

1. Estimates per second natively (the Rust example `estimate_bench`, N
   computations, default 200,000).
2. The acceptance endpoint: POST /api/v1/change-requests/{ticket}/decision
   `{"decision":"accept","version":1}` by staff, each request a different
   change request awaiting its customer (seeded straight into the state
   database, each customer with 50 T-Points): the guarded UPDATE that moves it
   and reserves the total, with its move, ledger entry and audit rows, then
   the answer with the request's view. 1 and 8 connections, tmpfs and disk
   (BENCH_STATE=disk for disk only). Checks afterwards that every request was
   accepted once and no balance went below zero."""
import os
import shutil
import sqlite3
import tempfile

from common import Host, app_env, manifest, measure, per_thread_lua, state_locations, table, timed_call, ROUNDS

STAFF = "bench-staff-key-000000001"
ENV = app_env(f"staff={STAFF}")
MANIFEST = manifest()
STRIDE = 40_000  # change requests per wrk thread per round
AT = "2026-11-02T10:00:00.000Z"
LUA = per_thread_lua("BENCH_TICKET_BASE", f"""\
  local id = base + tid * {STRIDE} + n + 1000
  return wrk.format("POST", "/api/v1/change-requests/" .. id .. "/decision",
    {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {STAFF}"}},
    '{{"decision":"accept","version":1}}')
""")


def call(base, method, path, body=None):
    return timed_call(base, method, path, STAFF, body)


def prepare(parent):
    """A state with the schema, the programme and one real estimate to copy."""
    state = tempfile.mkdtemp(prefix="bench-changes-", dir=parent)
    host = Host(MANIFEST, parent, ENV, state=state)
    call(host.base, "PUT", "/api/v1/customers/CR-TEMPLATE",
         {"legal_name": "Template", "facts": {"segment": "business", "plan_type": "business",
                                              "monthly_plan_amount": {"amount": "90.00", "currency": "USD"},
                                              "service_delivery": "direct", "support_plan": "gold"}})
    _, ticket = call(host.base, "POST", "/api/v1/tickets",
                     {"customer_id": "CR-TEMPLATE", "kind": "change_request", "urgency": "low",
                      "complexity": "moderate", "channel": "phone", "subject": "Template"})
    call(host.base, "POST", f"/api/v1/change-requests/{ticket['id']}/sizing", {"category": "moderate", "rough_points": 10})
    call(host.base, "POST", f"/api/v1/change-requests/{ticket['id']}/estimates",
         {"tasks": [{"title": "Filter", "module": "catalogue", "programming": 6, "testing": 2}], "includes_design": True})
    host.stop()
    return state


def seed(database, n):
    db = sqlite3.connect(database)
    estimate, inputs, total = db.execute(
        "SELECT estimate, input, total FROM change_estimates ORDER BY ticket_id LIMIT 1").fetchone()
    ids = range(1000, 1000 + n)
    db.executemany("INSERT INTO tpoint_ledger (customer_id, entry, available, reserved, at, actor)"
                   " VALUES (?, 'pack', 5000, 0, ?, 'bench')", ((f"CR{i:07d}", AT) for i in ids))
    db.executemany("INSERT INTO change_requests (ticket_id, customer_id, category, rough_points, state, version, total,"
                   " sized_at, sized_by, updated_at, updated_by)"
                   " VALUES (?, ?, 'moderate', 1000, 'awaiting_customer', 1, ?, ?4, 'bench', ?4, 'bench')",
                   ((i, f"CR{i:07d}", total, AT) for i in ids))
    db.executemany("INSERT INTO change_estimates (ticket_id, version, customer_id, category, input, estimate, total, fee,"
                   " opens_as, made_at, made_by) VALUES (?, 1, ?, 'moderate', ?, ?, ?, 0, 'awaiting_customer', ?, 'bench')",
                   ((i, f"CR{i:07d}", inputs, estimate, total, AT) for i in ids))
    db.commit()
    db.close()


def acceptances():
    script = os.path.join(tempfile.mkdtemp(prefix="bench-lua-"), "accept.lua")
    with open(script, "w") as f:
        f.write(LUA)
    rows = []
    for label, parent in state_locations():
        state = prepare(parent)
        database = os.path.join(state, "sqlite_db.db")
        seed(database, ROUNDS * 2 * STRIDE)
        host = Host(MANIFEST, parent, ENV, state=state)
        try:
            rows += measure(host, host.base, script, label, fresh=("BENCH_TICKET_BASE", STRIDE))
            db = sqlite3.connect(database)
            accepted, reserves, twice, negative = db.execute(
                "SELECT (SELECT COUNT(*) FROM change_requests WHERE state = 'accepted'),"
                " (SELECT COUNT(*) FROM tpoint_ledger WHERE entry = 'reserve'),"
                " (SELECT COUNT(*) FROM (SELECT ticket_id FROM tpoint_ledger WHERE entry = 'reserve'"
                "   GROUP BY ticket_id HAVING COUNT(*) > 1)),"
                " (SELECT COUNT(*) FROM (SELECT customer_id FROM tpoint_ledger GROUP BY customer_id"
                "   HAVING SUM(available) < 0 OR SUM(reserved) < 0))").fetchone()
            db.close()
            print(f"{label}: {accepted} accepted, {reserves} reserve entries, {twice} reserved twice, "
                  f"{negative} balances below zero")
        finally:
            host.keep_state = False
            host.stop()
            shutil.rmtree(state, ignore_errors=True)
    table("POST /api/v1/change-requests/{ticket}/decision: an acceptance per request (guarded UPDATE + reserve)", rows)


if __name__ == "__main__":
    acceptances()
