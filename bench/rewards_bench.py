#!/usr/bin/env python3
"""Points and rewards on the real app. Run via scripts/bench.sh rewards [ROWS].

1. Redemption throughput: POST /api/v1/redemptions of an unlimited digital
   reward (approved automatically: the guarded INSERT that reserves, then the
   UPDATE that commits, with their ledger and audit rows), at a staff desk
   (a web form would need each member's token, issue 17), each request a
   different member (seeded with points straight into the state database) and
   its own Idempotency-Key. 1 and 8 connections, tmpfs and disk.
2. One expiry run over ROWS ledger rows (default 1,000,000: 100,000 members
   with 10 entries each, half of the credits due), then the immediate rerun.
   State on disk."""
import os
import shutil
import sqlite3
import sys
import tempfile

from common import (ROUNDS, Host, app_env, manifest, measure, per_thread_lua, runs_table, seeded_runs, state_locations, table,
                    timed_call)

STAFF = "bench-staff-key-000000001"
ENV = app_env(f"staff={STAFF}")
MANIFEST = manifest()  # BENCH_SKIP_MIGRATION=<file>: without that migration
STRIDE = 50_000           # members per wrk thread per run
EARNED = "2026-01-01T00:00:00.000Z"
LUA = per_thread_lua("BENCH_MEMBER_BASE", f"""\
  local id = string.format("M%07d", base + tid * {STRIDE} + n)
  return wrk.format("POST", "/api/v1/redemptions",
    {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {STAFF}",
      ["Idempotency-Key"] = "bench-" .. id}},
    '{{"customer_id":"' .. id .. '","reward_id":1}}')
""")


def call(base, method, path, body=None, key=STAFF):
    return timed_call(base, method, path, key, body)


def warm_up(base):
    """The programme documents and reward 1."""
    call(base, "POST", "/api/v1/rewards", {"name": "Course discount", "kind": "digital", "cost": 100})
    call(base, "GET", "/api/v1/program/points")


def prepare(parent):
    """A state with the schema, the programme documents and reward 1."""
    state = tempfile.mkdtemp(prefix="bench-rewards-", dir=parent)
    host = Host(MANIFEST, parent, ENV, state=state)
    warm_up(host.base)
    host.stop()
    return state


def seed_members(database, n):
    db = sqlite3.connect(database)
    db.executemany("INSERT INTO memberships (customer_id, tier, tier_since, joined_at, case_id)"
                   " VALUES (?, 'member', ?2, ?2, 0)", ((f"M{i:07d}", EARNED) for i in range(1, n + 1)))
    db.executemany("INSERT INTO points_ledger (customer_id, kind, points, at, expires_at, source, actor, recorded_at)"
                   " VALUES (?, 'earn', 1000, ?2, '2099-01-01T00:00:00.000Z', 'seed', 'bench', ?2)",
                   ((f"M{i:07d}", EARNED) for i in range(1, n + 1)))
    db.commit()
    db.close()


def redemptions():
    script = os.path.join(tempfile.mkdtemp(prefix="bench-lua-"), "redeem.lua")
    with open(script, "w") as f:
        f.write(LUA)
    rows = []
    for label, parent in state_locations():
        state = prepare(parent)
        seed_members(os.path.join(state, "sqlite_db.db"), ROUNDS * 2 * STRIDE)
        host = Host(MANIFEST, parent, ENV, state=state)
        try:
            rows += measure(host, host.base, script, label, fresh=("BENCH_MEMBER_BASE", STRIDE))
            db = sqlite3.connect(os.path.join(state, "sqlite_db.db"))
            done, reserves, commits, negative = db.execute(
                "SELECT (SELECT COUNT(*) FROM redemptions WHERE state = 'approved'),"
                " (SELECT COUNT(*) FROM points_ledger WHERE kind = 'reserve'),"
                " (SELECT COUNT(*) FROM points_ledger WHERE kind = 'commit'),"
                " (SELECT COUNT(*) FROM (SELECT customer_id FROM points_ledger GROUP BY customer_id HAVING SUM(points) < 0))"
            ).fetchone()
            db.close()
            print(f"{label}: {done} redemptions approved, {reserves} reserve and {commits} commit entries, "
                  f"{negative} negative balances")
        finally:
            host.keep_state = False
            host.stop()
            shutil.rmtree(state, ignore_errors=True)
    table("POST /api/v1/redemptions: an automatic redemption per request (reserve INSERT + commit UPDATE)", rows)


def seed_ledger(database, rows):
    """rows/10 members: 6 credits (3 due: earned 30 months ago) and 4 debits each."""
    members = rows // 10
    db = sqlite3.connect(database)
    db.execute("DROP TRIGGER points_ledger_audit")  # bulk seeding is set-up, not business
    due, later = "2024-05-01T00:00:00.000Z", "2027-06-01T00:00:00.000Z"

    def entries():
        for m in range(members):
            c = f"L{m:07d}"
            for k in range(6):
                at = "2024-05-01T00:00:00.000Z" if k < 3 else "2026-06-01T00:00:00.000Z"
                yield (c, "earn", 100, at, due if k < 3 else later, f"p{k}")
            for k in range(4):
                yield (c, "adjust", -40, "2026-07-01T00:00:00.000Z", None, f"a{k}")
    db.executemany("INSERT INTO points_ledger (customer_id, kind, points, at, expires_at, source, actor, recorded_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, 'bench', '2026-07-01T00:00:00.000Z')", entries())
    db.commit()
    db.execute("CREATE TRIGGER IF NOT EXISTS points_ledger_audit AFTER INSERT ON points_ledger"
               " WHEN NEW.kind IN ('adjust', 'expire') BEGIN"
               " INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)"
               " VALUES (NEW.recorded_at, NEW.actor, 'points.' || CASE NEW.kind WHEN 'adjust' THEN 'adjusted' ELSE 'expired' END,"
               " 'membership', NEW.customer_id, NEW.reason,"
               " json_object('points', NEW.points, 'source', NEW.source, 'ledger_id', NEW.id)); END")
    db.commit()
    db.close()
    return members


def expiry(rows):
    expire = "/api/v1/points/expiry"
    label, members, runs = seeded_runs(
        MANIFEST, ENV, warm_up,
        lambda database: seed_ledger(database, rows),
        lambda base: [("first run", *call(base, "POST", expire)),
                      ("immediate rerun (0 writes)", *call(base, "POST", expire))])
    runs_table(f"points expiry over {rows} ledger rows ({members} members) inside the wasm component, state on {label}",
               ["members_with_credits_due", "members_expired", "points_expired"], runs)


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    redemptions()
    expiry(rows)


if __name__ == "__main__":
    main()
