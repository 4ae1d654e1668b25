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

from common import ROOT, Host, app_env, state_locations, wrk

STAFF = "bench-staff-key-000000001"
WEBFORM = "bench-webform-key-00000001"
MEMBER = "M0000001"
ROUNDS = 3


def lua(path, headers):
    lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    return f'wrk.path = "{path}"\n{lines}\n'


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
            "staff key (no token)": lua(f"/api/v1/members/{MEMBER}/points", {"Authorization": f"Bearer {STAFF}"}),
            "web form key + X-Member-Token": lua(f"/api/v1/members/{MEMBER}/points", {
                "Authorization": f"Bearer {WEBFORM}", "X-Member-Token": token}),
            "member token (/me/points)": lua("/api/v1/me/points", {"Authorization": f"Bearer {token}"}),
        }
        scripts = {}
        for name, text in ways.items():
            path = os.path.join(host.dir, f"{len(scripts)}.lua")
            with open(path, "w") as f:
                f.write(text)
            scripts[name] = path
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
    print(f"\nGET a member's points, {ROUNDS} interleaved rounds per row (median of the rounds), state on tmpfs\n")
    print("| asked by | connections | req/s | p50 ms | p99 ms | non-2xx |")
    print("|---|---|---|---|---|---|")
    for (name, c), rs in results.items():
        med = lambda k: statistics.median(r[k] for r in rs)
        print(f"| {name} | {c} | {med('rps'):.0f} | {med('p50'):.3f} | {med('p99'):.3f} | {sum(r['non2xx'] for r in rs)} |")
    base = statistics.median(r["p50"] for r in results[("staff key (no token)", 1)])
    scoped = statistics.median(r["p50"] for r in results[("web form key + X-Member-Token", 1)])
    print(f"\nadded by member-token verification at 1 connection, p50: {scoped - base:+.3f} ms")


if __name__ == "__main__":
    main()
