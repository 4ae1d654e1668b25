#!/usr/bin/env python3
"""The SLA sweep on the real app. Run via scripts/bench.sh tickets [N].

N open tickets (default 100,000) are seeded straight into the state database
(gold plan on the default Madrid calendar; 5 % very_high on natural time, 25 %
high, 40 % medium, 30 % low; opened over the 30 days before AS_OF; one in five
waiting on the customer since an hour after intake, one in twenty of the
others waiting on an outside provider since two hours after intake, which
committed to answer within a day). Then, inside the wasm
component (POST /api/v1/tickets/sla-sweep, state on disk):

1. the first sweep as of AS_OF: a month of catch-up, every warning, breach,
   follow-up, escalation, reminder and automatic close recorded;
2. the immediate rerun (0 writes): the cost of the every-minute sweep when
   nothing new is due;
3. a sweep one minute later: the steady state.

The rerun's time per ticket is the every-minute cost: reading the ticket, its
pauses and recorded keys, and computing its deadlines (the 75 % and 100 %
instants of both clocks, follow-ups up to the first not yet due; reminder and
close while waiting)."""
import os
import random
import sqlite3
import sys
from datetime import datetime, timedelta, timezone

from common import ROOT, app_env, runs_table, seeded_runs, timed_call

SCHEDULER = "bench-scheduler-key-00001"
ENV = app_env(f"scheduler={SCHEDULER},staff=bench-staff-key-000000001")
MANIFEST = os.path.join(ROOT, "spin.toml")
AS_OF = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
# Gold targets of DOMAIN.md §4 in minutes (business; very_high natural).
TARGETS = {"very_high": (60, 480), "high": (120, 1080), "medium": (240, 2700), "low": (480, 5400)}


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def sweep(base, at):
    return timed_call(base, "POST", f"/api/v1/tickets/sla-sweep?as_of={stamp(at)}", SCHEDULER)


def seed(database, n):
    rng = random.Random(6)
    db = sqlite3.connect(database)
    tickets, pauses, waits = [], [], []
    for i in range(1, n + 1):
        priority = rng.choices(list(TARGETS), weights=[5, 25, 40, 30])[0]
        first, resolution = TARGETS[priority]
        opened = AS_OF - timedelta(minutes=rng.randrange(30 * 24 * 60))
        pending = rng.random() < 0.2
        state = "pending_customer" if pending else rng.choice(["new", "open"])
        at = stamp(opened)
        tickets.append((i, f"C{i % 20000:06d}", priority, 1 if priority == "very_high" else 0, first, resolution,
                        state, opened.strftime("%Y-%m"), at))
        if pending:
            pauses.append((i, stamp(opened + timedelta(hours=1))))
        elif i % 20 == 0:  # one in twenty of the others waits on a provider (issue 18)
            waits.append((i, stamp(opened + timedelta(hours=2)), stamp(opened + timedelta(days=1))))
    db.executemany(
        "INSERT INTO tickets (id, customer_id, kind, channel, subject, description, priority, sla_priority, complaint,"
        " key_account, support_plan, calendar_id, natural_time, first_response_minutes, resolution_minutes, state,"
        " month, counts_towards_limit, opened_at, opened_by, last_team_feedback_at, updated_at, updated_by)"
        " VALUES (?1, ?2, 'incident', 'web_form', 'bench', '', ?3, ?3, 0, 0, 'gold', 'default', ?4, ?5, ?6, ?7,"
        " ?8, 0, ?9, 'bench', ?9, ?9, 'bench')", tickets)
    db.executemany("INSERT INTO ticket_pauses (ticket_id, from_at) VALUES (?, ?)", pauses)
    db.executemany(
        "INSERT INTO ticket_provider_waits (ticket_id, since, provider, committed_at, pauses, dues, started_by)"
        " VALUES (?, ?, 'LogiCommerce', ?, 1, '{}', 'bench')", waits)
    db.commit()
    db.close()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    label, _, runs = seeded_runs(
        MANIFEST, ENV,
        lambda base: sweep(base, AS_OF),  # the tickets programme and the default calendar
        lambda database: seed(database, n),
        lambda base: [("first sweep (a month of catch-up)", *sweep(base, AS_OF)),
                      ("immediate rerun (0 writes)", *sweep(base, AS_OF)),
                      ("one minute later", *sweep(base, AS_OF + timedelta(minutes=1)))])
    runs_table(f"SLA sweep over {n} open tickets inside the wasm component, state on {label}",
               ["tickets_swept", "events_recorded", "tickets_moved"], runs)
    rerun = runs[1]
    print(f"\nrerun: {rerun[1] / rerun[2]['tickets_swept'] * 1e6:.1f} µs per ticket swept")
    print("events by kind (first sweep):", runs[0][2]["events_by_kind"])

if __name__ == "__main__":
    main()
