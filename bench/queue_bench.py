#!/usr/bin/env python3
"""The ticket work queue at 10,000 open tickets (issue 18). Run via
scripts/bench.sh queue [N].

N open tickets (default 10,000) are seeded as tickets_bench seeds them (gold,
default calendar, a mix of priorities, one in five waiting on the customer);
every third is assigned to one of 20 agents. GET /api/v1/tickets/queue is then
asked three ways on the real app with wrk, 1 and 8 connections, state on
tmpfs: the whole queue (first 100), one team's, and one agent's ("my queue").
Rounds are interleaved; each row is the median of the rounds."""
import os
import sqlite3
import sys
import tempfile

from common import ROOT, Host, app_env, interleaved, median_table, state_locations, wrk_script
from tickets_bench import seed

STAFF = "bench-staff-key-000000001"
ROUNDS = 3


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    parent = state_locations()[0][1]
    manifest = os.path.join(ROOT, "spin.toml")
    env = app_env(f"staff={STAFF}")
    state = tempfile.mkdtemp(prefix="bench-queue-", dir=parent)
    Host(manifest, parent, env, state=state).stop()  # applies the migrations
    database = os.path.join(state, "sqlite_db.db")
    seed(database, n)
    db = sqlite3.connect(database)
    db.executemany(
        "INSERT INTO ticket_assignments (ticket_id, team, assignee, updated_at, updated_by) "
        "VALUES (?, 'customer_care', ?, '2026-11-20T00:00:00.000Z', 'bench')",
        [(i, f"agent-{i % 20:02d}") for i in range(3, n + 1, 3)])
    db.commit()
    db.close()
    host = Host(manifest, parent, env, state=state)
    try:
        ways = {
            "whole queue (first 100)": "/api/v1/tickets/queue",
            "team=customer_care": "/api/v1/tickets/queue?team=customer_care",
            "assignee=agent-07 (my queue)": "/api/v1/tickets/queue?assignee=agent-07",
        }
        scripts = {name: wrk_script(path, {"Authorization": f"Bearer {STAFF}"}) for name, path in ways.items()}
        results = interleaved(host, scripts, ROUNDS)
    finally:
        host.keep_state = False
        host.stop()
    print(f"\nGET /api/v1/tickets/queue over {n} open tickets, {ROUNDS} interleaved rounds per row "
          "(median of the rounds), state on tmpfs\n")
    median_table("asked for", results)


if __name__ == "__main__":
    main()
