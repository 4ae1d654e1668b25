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
import statistics
import sys
import tempfile

from common import ROOT, Host, app_env, state_locations, wrk
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
        scripts = {}
        for name, path in ways.items():
            script = os.path.join(host.dir, f"{len(scripts)}.lua")
            with open(script, "w") as f:
                f.write(f'wrk.path = "{path}"\nwrk.headers["Authorization"] = "Bearer {STAFF}"\n')
            scripts[name] = script
        for script in scripts.values():  # warm-up
            wrk(host.base, 1, script, "2s")
        results = {(name, c): [] for name in ways for c in (1, 8)}
        for _ in range(ROUNDS):
            for connections in (1, 8):
                for name, script in scripts.items():
                    results[(name, connections)].append(wrk(host.base, connections, script))
    finally:
        host.keep_state = False
        host.stop()
    print(f"\nGET /api/v1/tickets/queue over {n} open tickets, {ROUNDS} interleaved rounds per row "
          "(median of the rounds), state on tmpfs\n")
    print("| asked for | connections | req/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---|---|---|---|---|")
    for (name, c), rs in results.items():
        med = lambda k: statistics.median(r[k] for r in rs)  # noqa: E731
        print(f"| {name} | {c} | {med('rps'):.0f} | {med('p50'):.3f} | {med('p99'):.3f} | {sum(r['non2xx'] for r in rs)} |")


if __name__ == "__main__":
    main()
