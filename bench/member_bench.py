#!/usr/bin/env python3
"""What member-token verification adds to a request (issue 17): one
member-scoped read, GET a member's points, asked three ways on the real app:
by staff (API key only), by a web form acting for the member (API key and
`X-Member-Token`: the token is looked up in the key-value store and the path's
member compared), and by the member (`GET /api/v1/me/points`, the token as
bearer). State on tmpfs, 1 and 8 connections, rounds interleaved so drift hits
every way alike. Run via scripts/bench.sh member."""
import json
import os
import sqlite3
import statistics
import tempfile
import urllib.request

from common import ROOT, Host, app_env, interleaved, median_table, state_locations, wrk_script

STAFF = "bench-staff-key-000000001"
WEBFORM = "bench-webform-key-00000001"
MEMBER = "M0000001"
ROUNDS = 3


def main():
    parent = state_locations()[0][1]
    manifest = os.path.join(ROOT, "spin.toml")
    env = app_env(f"staff={STAFF},webform={WEBFORM}")
    state = tempfile.mkdtemp(prefix="bench-member-", dir=parent)
    Host(manifest, parent, env, state=state).stop()  # applies the migrations
    db = sqlite3.connect(os.path.join(state, "sqlite_db.db"))
    db.execute("INSERT INTO memberships (customer_id, tier, tier_since, joined_at, case_id) "
               "VALUES (?, 'member', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', 0)", (MEMBER,))
    db.commit()
    db.close()
    host = Host(manifest, parent, env, state=state)
    try:
        req = urllib.request.Request(f"{host.base}/api/v1/customers/{MEMBER}/sessions", method="POST",
                                     headers={"Authorization": f"Bearer {STAFF}"})
        token = json.load(urllib.request.urlopen(req))["token"]
        ways = {
            "staff key (no token)": wrk_script(f"/api/v1/members/{MEMBER}/points", {"Authorization": f"Bearer {STAFF}"}),
            "web form key + X-Member-Token": wrk_script(f"/api/v1/members/{MEMBER}/points", {
                "Authorization": f"Bearer {WEBFORM}", "X-Member-Token": token}),
            "member token (/me/points)": wrk_script("/api/v1/me/points", {"Authorization": f"Bearer {token}"}),
        }
        results = interleaved(host, ways, ROUNDS)
    finally:
        host.keep_state = False
        host.stop()
    print(f"\nGET a member's points, {ROUNDS} interleaved rounds per row (median of the rounds), state on tmpfs\n")
    median_table("asked by", results)
    base = statistics.median(r["p50"] for r in results[("staff key (no token)", 1)])
    scoped = statistics.median(r["p50"] for r in results[("web form key + X-Member-Token", 1)])
    print(f"\nadded by member-token verification at 1 connection, p50: {scoped - base:+.3f} ms")


if __name__ == "__main__":
    main()
