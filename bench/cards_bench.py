#!/usr/bin/env python3
"""Card issuance on the real app: POST /api/v1/cards for members who hold no
card (seeded straight into the state database), each request a different
member, so every request allocates a region sequence number, writes the card
order and the card, and marks the order done (4 writes and their audit rows).
1 and 8 connections, state on tmpfs and on disk. Run via scripts/bench.sh cards."""
import os
import sqlite3
import tempfile

from common import ROOT, ROUNDS, Host, app_env, measure, per_thread_lua, state_locations, table

KEY = "bench-staff-key-000000001"
ENV = app_env(f"staff={KEY}")
MANIFEST = os.path.join(ROOT, "spin.toml")
STRIDE = 100_000          # ids per wrk thread per run
LUA = per_thread_lua("BENCH_CARD_BASE", f"""\
  local id = string.format("M%07d", base + tid * {STRIDE} + n)
  return wrk.format("POST", "/api/v1/cards",
    {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {KEY}"}},
    '{{"customer_id":"' .. id .. '"}}')
""")


def seed(database, n):
    db = sqlite3.connect(database)
    db.executemany(
        "INSERT INTO memberships (customer_id, tier, tier_since, joined_at, case_id) VALUES (?, 'member', ?2, ?2, 0)",
        ((f"M{i:07d}", "2026-01-01T00:00:00.000Z") for i in range(1, n + 1)))
    db.commit()
    db.close()


def main():
    script = os.path.join(tempfile.mkdtemp(prefix="bench-lua-"), "cards.lua")
    with open(script, "w") as f:
        f.write(LUA)
    rows = []
    for label, parent in state_locations():
        state = tempfile.mkdtemp(prefix="bench-cards-", dir=parent)
        Host(MANIFEST, parent, ENV, state=state).stop()  # applies the migrations
        seed(os.path.join(state, "sqlite_db.db"), ROUNDS * 2 * STRIDE)
        host = Host(MANIFEST, parent, ENV, state=state)
        try:
            rows += measure(host, host.base, script, label, fresh=("BENCH_CARD_BASE", STRIDE))
            db = sqlite3.connect(os.path.join(state, "sqlite_db.db"))
            cards, distinct = db.execute("SELECT COUNT(*), COUNT(DISTINCT sequence) FROM cards").fetchone()
            db.close()
            print(f"{label}: {cards} cards issued, {distinct} distinct sequence numbers")
        finally:
            host.keep_state = False
            host.stop()
    table("POST /api/v1/cards: one new card per request (sequence allocation, order, card, order done)", rows)


if __name__ == "__main__":
    main()
