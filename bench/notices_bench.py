#!/usr/bin/env python3
"""Member notices and broadcasts on the real app. Run via
scripts/bench.sh notices [N] (N members, default 100,000).

A loopback partner (a Python HTTP server, one thread per connection)
accepts every notification call and counts them by webhook-id. Members are
seeded straight into the state database (contact with email and phone,
membership, no preferences: Spanish, email first). State on disk.

1. Rendering + delivery: 20,000 member notices (`membership.suspended`,
   each rendered from its Spanish template and posted, signed, to the email
   endpoint), delivered by one notices run; then another 20,000 by 8
   concurrent runs. Notices a second = notices delivered / wall time; calls
   the partner received beyond one per notice are repeats (at least once:
   concurrent runs may both send a notice; the receiver drops the repeat by
   its webhook-id).
2. A broadcast to all N members at a configured email rate (BENCH_RATE a
   second, default 500): the time to queue (the POST's answer), then notices
   runs back to back (as a scheduler catching up) until every message is
   delivered: the time to deliver against N / rate, and meanwhile an
   ordinary notice queued every second: its delay from queued to delivered
   (median and max)."""
import json
import os
import sqlite3
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from common import ROOT, app_env, loopback_partner, seeded_runs, timed_call

SCHEDULER = "bench-scheduler-key-00001"
PM = "bench-pm-key-0000000001"
MANIFEST = os.path.join(ROOT, "spin.toml")
RATE = int(os.environ.get("BENCH_RATE", "500"))
NOTICES = 20_000

AT = "2026-11-01T09:00:00.000Z"


def seed(database, n):
    db = sqlite3.connect(database)
    db.executemany(
        "INSERT INTO customers (id, legal_name, facts, contact, created_at, updated_at, updated_by)"
        " VALUES (?, 'Bench', '{\"segment\":\"business\"}', ?, ?, ?, 'bench')",
        ((f"M{i:07d}", json.dumps({"name": f"Member {i}", "email": f"m{i}@example.test",
                                    "phone": f"+34600{i:06d}"}), AT, AT) for i in range(n)))
    db.executemany(
        "INSERT INTO memberships (customer_id, tier, tier_since, joined_at, case_id) VALUES (?, 'member', ?, ?, ?)",
        ((f"M{i:07d}", AT, AT, i) for i in range(n)))
    db.commit()
    db.close()


def queue_notices(database, prefix, count, n):
    db = sqlite3.connect(database, timeout=30)
    db.executemany(
        "INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)"
        " VALUES (?, 'membership.suspended', ?, ?, ?)",
        ((f"{prefix}-{i}", f"M{i % n:07d}",
          '{"from":"active","to":"suspended","reason":"bench"}', AT) for i in range(count)))
    db.commit()
    db.close()


def notices_run(base):
    return timed_call(base, "POST", "/api/v1/notices/runs", SCHEDULER)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    server, origin, calls = loopback_partner()
    env = {**app_env(f"scheduler={SCHEDULER},program_manager={PM}"),
           "SPIN_VARIABLE_NOTIFICATION_ORIGIN": origin}
    database = {}

    def warm_up(base):
        timed_call(base, "GET", "/api/v1/program/broadcasts", PM)

    def seed_state(path):
        database["path"] = path
        seed(path, n)

    def runs(base):
        out = []
        path = database["path"]
        # 1. One run.
        queue_notices(path, "one", NOTICES, n)
        before = calls["n"]
        secs, answer = notices_run(base)
        out.append(("1 run", secs, answer["notices"]["delivered"], calls["n"] - before))
        # 8 concurrent runs.
        queue_notices(path, "eight", NOTICES, n)
        before = calls["n"]
        started = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: notices_run(base)[1], range(8)))
        secs = time.perf_counter() - started
        out.append(("8 concurrent runs", secs, sum(a["notices"]["delivered"] for a in answers),
                    calls["n"] - before))
        # 2. The broadcast.
        version = timed_call(base, "GET", "/api/v1/program/broadcasts", PM)[1]["version"]
        req = urllib.request.Request(
            base + "/api/v1/program/broadcasts", method="PUT",
            data=json.dumps({"per_second": {"email": RATE, "sms": RATE, "whatsapp": RATE}}).encode(),
            headers={"Authorization": f"Bearer {PM}", "Content-Type": "application/json",
                     "If-Match": f'"{version}"'})
        urllib.request.urlopen(req).read()
        queued_secs, b = timed_call(base, "POST", "/api/v1/broadcasts", PM, {
            "audience": {"all": True},
            "messages": [{"language": "es", "subject": "Incidencia en la red",
                          "body": "Hola {{name}}: trabajamos para restablecer el servicio."}]})
        started = time.perf_counter()
        delays = []
        pending = []
        k = 0
        next_ordinary = started
        db = sqlite3.connect(path, timeout=30)
        delivered = 0
        while delivered < b["recipients"]:
            now = time.perf_counter()
            if now >= next_ordinary:
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000Z"
                db.execute("INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)"
                           " VALUES (?, 'membership.suspended', 'M0000001', ?, ?)",
                           (f"ordinary-{k}", '{"from":"active","to":"suspended","reason":"bench"}', stamp))
                db.commit()
                pending.append((f"ordinary-{k}", time.time()))
                k += 1
                next_ordinary += 1.0
            notices_run(base)
            for nid, queued_at in list(pending):
                row = db.execute("SELECT delivered_at FROM notice_outbox WHERE id = ?", (nid,)).fetchone()
                if row and row[0]:
                    delays.append(time.time() - queued_at)
                    pending.remove((nid, queued_at))
            progress = timed_call(base, "GET", f"/api/v1/broadcasts/{b['id']}", PM)[1]["progress"]
            delivered = progress["delivered"]
        deliver_secs = time.perf_counter() - started
        db.close()
        return out, (queued_secs, b, deliver_secs, delays)

    _, _, (rates, broadcast) = seeded_runs(MANIFEST, env, warm_up, seed_state, lambda base: runs(base))
    server.shutdown()
    print(f"\nmember notices ({NOTICES} each, rendered from the Spanish template, posted signed to a"
          " loopback partner), state on disk\n")
    print("| runs | seconds | delivered | partner calls | notices/s |")
    print("|---|---|---|---|---|")
    for label, secs, delivered, received in rates:
        print(f"| {label} | {secs:.2f} | {delivered} | {received} | {delivered / secs:.0f} |")
    queued_secs, b, deliver_secs, delays = broadcast
    print(f"\nbroadcast to {b['recipients']} members at {RATE} emails/s\n")
    print(f"- time to queue (POST /broadcasts answered): {queued_secs:.2f} s")
    print(f"- paced to go out by {b['goes_out_by']} ({b['recipients'] / RATE:.0f} s at the rate);"
          f" delivered in {deliver_secs:.0f} s with notices runs back to back")
    if delays:
        print(f"- ordinary notices queued meanwhile: {len(delays)}, delay queued → delivered"
              f" median {statistics.median(delays):.2f} s, max {max(delays):.2f} s")


if __name__ == "__main__":
    main()
