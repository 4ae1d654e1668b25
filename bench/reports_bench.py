#!/usr/bin/env python3
"""Reports (issue 19) over a year of a large programme. Run via
scripts/bench.sh reports [CUSTOMERS].

Seeded straight into the state database (state on disk), as of AS_OF
(30 November 2026 12:00 UTC), for CUSTOMERS members (default 100,000):
memberships joined over 2024-2026 with a fifth changing tier in the last
year, 1,000,000 points ledger rows (earns, adjustments, expiries, commits),
50,000 redemptions, 100,000 tickets opened over the last 12 months (most
answered and resolved, some reopened, waits, clock events, assignments),
12 months of invoices for every member (1,200,000; most paid, some late,
commitments, dunning steps, service orders). Then, inside the wasm
component, each report 20 times as the dashboard asks it (this month in one
row; twelve weeks by week) and the executive summary: p50 and p99.

With --browser it also loads the dashboard in headless Debian chromium
(scripts/browser.sh's venv) against the seeded app and reports the first
load (every chart and the summary drawn)."""
import os
import random
import sqlite3
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone

from common import ROOT, app_env, seeded_runs, timed_call

STAFF = "bench-staff-key-000000001"
PM = "bench-pm-key-0000000001"
ENV = app_env(f"staff={STAFF},program_manager={PM}")
MANIFEST = os.path.join(ROOT, "spin.toml")
AS_OF = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
YEAR_AGO = AS_OF - timedelta(days=365)
CALLS = 20
TIERS = ["silver", "gold", "platinum"]
PRIORITIES = ["very_high", "high", "medium", "low"]
CHANNELS = ["web_form", "email", "phone", "chat"]


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def seed(database, n):
    rng = random.Random(19)
    db = sqlite3.connect(database)
    db.execute("PRAGMA synchronous = OFF")
    start = time.perf_counter()

    def within_year():
        return YEAR_AGO + timedelta(seconds=rng.randrange(365 * 86400))

    members, changes, cases = [], [], []
    for i in range(n):
        joined = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(int((AS_OF - datetime(2024, 1, 1, tzinfo=timezone.utc)).total_seconds())))
        tier = rng.choice(TIERS)
        c = f"C{i:06d}"
        members.append((c, tier, stamp(joined), stamp(joined), i + 1))
        cases.append((i + 1, c, stamp(joined - timedelta(hours=rng.randrange(1, 30))), stamp(joined + timedelta(hours=1)),
                      stamp(joined)))
        if i % 5 == 0:
            at = max(joined + timedelta(days=1), within_year())
            if at < AS_OF:
                to = rng.choice([t for t in TIERS if t != tier])
                changes.append((c, stamp(at), tier, to, "upgrade" if TIERS.index(to) > TIERS.index(tier) else "downgrade",
                                f"bench:{i}", stamp(at)))
    db.executemany("INSERT INTO memberships (customer_id, tier, tier_since, joined_at, case_id) VALUES (?, ?, ?, ?, ?)",
                   members)
    db.executemany(
        "INSERT INTO onboarding_cases (id, customer_id, state, opened_at, due_at, decided_by, decided_at, updated_at,"
        " updated_by) VALUES (?1, ?2, 'approved', ?3, ?4, 'bench', ?5, ?5, 'bench')",
        [(i, c, o, min(d, o), dec) for i, c, o, d, dec in cases])
    db.executemany(
        "INSERT INTO tier_changes (customer_id, at, from_tier, to_tier, direction, reason, cause, actor, recorded_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, 'bench', ?6, 'bench', ?7)", changes)
    db.executemany("INSERT INTO erasures (customer_id, erased_at, erased_by) VALUES (?, ?, 'bench')",
                   [(f"C{i:06d}", stamp(within_year())) for i in range(7, n, 200)])

    ledger = []
    for j in range(1_000_000):
        c = f"C{j % n:06d}"
        at = within_year()
        kind = rng.choices(["earn", "adjust", "expire", "commit"], weights=[80, 5, 10, 5])[0]
        if kind == "earn":
            ledger.append((c, "earn", rng.randrange(10, 500), 0, stamp(at), stamp(at + timedelta(days=365)), f"purchase:{j}"))
        elif kind == "adjust":
            ledger.append((c, "adjust", -rng.randrange(1, 50), 0, stamp(at), None, f"adjustment:{j}"))
        elif kind == "expire":
            ledger.append((c, "expire", -rng.randrange(1, 100), 0, stamp(at), None, f"expiry:{j}"))
        else:
            ledger.append((c, "commit", 0, -rng.randrange(50, 500), stamp(at), None, f"redemption:b{j}:approved"))
    db.executemany(
        "INSERT INTO points_ledger (customer_id, kind, points, held, at, expires_at, source, actor, recorded_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'bench', ?5)", ledger)
    db.executemany(
        "INSERT INTO rewards (id, spec, stock_left, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, 'bench')",
        [(r, f'{{"name":"Reward {r}","kind":"{rng.choice(["digital", "physical", "experience", "financial"])}"}}',
          rng.choice([None, 2, 40]), stamp(YEAR_AGO), stamp(YEAR_AGO)) for r in range(1, 21)])
    redemptions = []
    for k in range(1, 50_001):
        at = within_year()
        state = rng.choices(["fulfilled", "approved", "rejected", "requested"], weights=[60, 20, 10, 10])[0]
        decided = stamp(at + timedelta(hours=rng.randrange(0, 48))) if state != "requested" else None
        fulfilled = stamp(at + timedelta(days=rng.randrange(1, 10))) if state == "fulfilled" else None
        redemptions.append((k, f"bench-{k}", f"C{k % n:06d}", rng.randrange(1, 21), state,
                            rng.choice(["automatic", "manual"]), stamp(at), stamp(at + timedelta(days=1)), decided,
                            stamp(at + timedelta(days=7)), fulfilled, fulfilled or decided or stamp(at)))
    db.executemany(
        "INSERT INTO redemptions (id, request_key, customer_id, reward_id, cost, limited_stock, state, approval,"
        " approval_reason, fulfilment, requested_at, requested_by, review_due_at, decided_at, fulfil_by, fulfilled_at,"
        " updated_at, updated_by, settle_entry, settle_points, settle_held, settle_stock_left, settle_stock_held)"
        " VALUES (?1, ?2, ?3, ?4, 100, 0, ?5, ?6, 'bench', '{}', ?7, 'bench', ?8, ?9, ?10, ?11, ?12, 'bench',"
        " 'reserve', 0, 0, 0, 0)", redemptions)  # (the request's ledger row, zero-valued here)

    tickets, assignments, events, pauses = [], [], [], []
    for t in range(1, 100_001):
        opened = within_year()
        priority = rng.choice(PRIORITIES)
        natural = 1 if priority == "very_high" else 0
        fr_due = opened + timedelta(hours=rng.choice([1, 2, 4, 8]))
        res_due = opened + timedelta(days=rng.choice([1, 2, 5, 10]))
        responded = opened + timedelta(minutes=rng.randrange(5, 600)) if rng.random() < 0.85 else None
        resolved = opened + timedelta(hours=rng.randrange(1, 300)) if responded and rng.random() < 0.8 else None
        if resolved and resolved > AS_OF:
            resolved = None
        if responded and responded > AS_OF:
            responded = None
        state = "resolved" if resolved else "open"
        tickets.append((t, f"C{t % n:06d}", rng.choice(["question", "incident"]), rng.choice(CHANNELS), priority,
                        rng.choice(["gold", "silver", "bronze"]), natural, stamp(fr_due), stamp(res_due), state,
                        opened.strftime("%Y-%m"), stamp(opened), responded and stamp(responded),
                        resolved and stamp(resolved)))
        if t % 5 < 3:
            assignments.append((t, rng.choice(["alpha", "beta", "gamma", "delta"]), stamp(opened)))
        if responded is None and fr_due < AS_OF:
            events.append((t, "first_response.breach", stamp(fr_due)))
        if t % 5 == 0:
            pauses.append((t, stamp(opened + timedelta(minutes=30)), stamp(opened + timedelta(hours=3))))
        if t % 7 == 0:
            events.append((t, "follow_up.1", stamp(opened + timedelta(days=2))))
    db.executemany(
        "INSERT INTO tickets (id, customer_id, kind, channel, subject, description, priority, sla_priority, complaint,"
        " key_account, support_plan, calendar_id, natural_time, first_response_minutes, resolution_minutes,"
        " first_response_due, resolution_due, state, month, counts_towards_limit, opened_at, opened_by,"
        " first_responded_at, last_team_feedback_at, resolved_at, updated_at, updated_by)"
        " VALUES (?1, ?2, ?3, ?4, 'bench', '', ?5, ?5, 0, 0, ?6, 'default', ?7, 60, 480, ?8, ?9, ?10, ?11, 0, ?12,"
        " 'bench', ?13, ?12, ?14, ?12, 'bench')", tickets)
    db.executemany("INSERT INTO ticket_assignments (ticket_id, team, updated_at, updated_by) VALUES (?, ?, ?, 'bench')",
                   assignments)
    db.executemany("INSERT INTO ticket_pauses (ticket_id, from_at, to_at) VALUES (?, ?, ?)", pauses)
    db.executemany(
        "INSERT INTO ticket_clock_events (ticket_id, key, kind, due_at, notify, reason, recorded_at, recorded_by)"
        " VALUES (?1, ?2, ?2, ?3, 'team:alpha', 'bench', ?3, 'bench')", events)

    invoices, commitments, steps = [], [], []
    invoice = 0
    for m in range(12):
        month = datetime(2025, 12, 1, tzinfo=timezone.utc) + timedelta(days=31 * m)
        month = month.replace(day=1)
        issued = month + timedelta(hours=7)
        due = (month + timedelta(days=9)).date()
        if issued > AS_OF:
            continue
        for i in range(n):
            invoice += 1
            r = rng.random()
            paid = None
            if r < 0.7:
                paid = issued + timedelta(hours=rng.randrange(1, 9 * 24))
            elif r < 0.9:
                paid = issued + timedelta(hours=rng.randrange(10 * 24, 40 * 24))
            if paid and paid > AS_OF:
                paid = None
            invoices.append((invoice, f"C{i:06d}", month.strftime("%Y-%m"), stamp(issued), due.isoformat(),
                             paid and stamp(paid), 1000 if paid else 0))
            if r >= 0.9 and i % 10 == 0:
                commitments.append((invoice, (due + timedelta(days=10)).isoformat(), stamp(issued + timedelta(days=12))))
            if r >= 0.9 and i % 4 == 0:
                steps.append((invoice, "reminder", "remind", (due + timedelta(days=1)).isoformat(),
                              stamp(issued + timedelta(days=10))))
    db.executemany(
        "INSERT INTO invoices (id, customer_id, month, amount_minor, currency, due_on, paid_minor, paid_at, issued_at,"
        " issued_by) VALUES (?1, ?2, ?3, 1000, 'EUR', ?5, ?7, ?6, ?4, 'bench')", invoices)
    db.executemany(
        "INSERT INTO payment_commitments (invoice_id, seq, pay_by, made_on, made_at, made_by)"
        " VALUES (?1, 1, ?2, substr(?3, 1, 10), ?3, 'bench')", commitments)
    db.executemany(
        "INSERT INTO dunning_actions (invoice_id, step, action, due_on, why, notify, recorded_at, recorded_by)"
        " VALUES (?1, ?2, ?3, ?4, 'bench', '[]', ?5, 'bench')", steps)
    orders = []
    for o in range(10_000):
        opened = within_year()
        orders.append((f"C{o % n:06d}", rng.choice(["suspend", "suspend", "reconnect"]), rng.choice(["direct", "third_party"]),
                       stamp(opened), stamp(opened + timedelta(minutes=rng.randrange(10, 3000)))))
    db.executemany(
        "INSERT INTO service_orders (customer_id, action, delivery, stage, status, status_at, why, notify, opened_at,"
        " opened_by, closed_at, updated_at, updated_by) VALUES (?1, ?2, ?3, 'closed', 'suspended', ?4, 'bench', '[]',"
        " ?4, 'bench', ?5, ?5, 'bench')", orders)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return {"members": n, "ledger rows": len(ledger), "tickets": len(tickets), "invoices": len(invoices),
            "seconds to seed": round(time.perf_counter() - start, 1)}


QUERIES = [
    ("programme", "period=month"),
    ("programme", "from=2026-09-07&to=2026-11-30&by=week"),
    ("points", "period=month"),
    ("points", "from=2026-09-07&to=2026-11-30&by=week"),
    ("points", "from=2026-09-07&to=2026-11-30&by=day&format=svg&figure=redemptions&breakdown=total"),
    ("support", "period=month"),
    ("support", "from=2026-09-07&to=2026-11-30&by=week"),
    ("collections", "period=month"),
    ("collections", "from=2026-09-07&to=2026-11-30&by=week"),
    ("collections", "from=2025-12-01&to=2026-11-30&by=month&format=csv"),
    ("summary", "period=week"),
    ("summary", "period=month"),
]


def calls(base):
    import urllib.request
    out = []
    for report, query in QUERIES:
        path = f"/api/v1/reports/{report}?{query}&as_of={stamp(AS_OF)}"
        times = []
        for _ in range(CALLS):
            req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {PM}"})
            began = time.perf_counter()
            with urllib.request.urlopen(req, timeout=600) as r:
                r.read()
                assert r.status == 200
            times.append(time.perf_counter() - began)
        times.sort()
        out.append((report, query, statistics.median(times), times[-1]))
    if "--browser" in sys.argv:
        out.append(("dashboard", "first load in chromium (all charts and the summary)", dashboard(base), None))
    return out


def dashboard(base):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        began = time.perf_counter()
        driver.get(base + "/portal/dashboard.html")
        form = driver.find_element(By.ID, "controls")
        form.find_element(By.NAME, "key").send_keys(PM)
        driver.execute_script("document.forms.controls.from.value = '2026-09-07';"
                              "document.forms.controls.to.value = '2026-11-30';")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(driver, 120).until(
            lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "true")
        return time.perf_counter() - began
    finally:
        driver.quit()


def main():
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), 100_000))
    label, seeded, runs = seeded_runs(
        MANIFEST, ENV,
        lambda base: timed_call(base, "GET", "/api/v1/program/reports", STAFF),
        lambda database: seed(database, n),
        calls)
    print(f"\nReports over {seeded} (state on {label}), {CALLS} calls each, as of {stamp(AS_OF)}\n")
    print("| report | query | p50 s | p99 (max of 20) s |")
    print("|---|---|---|---|")
    for report, query, p50, p99 in runs:
        print(f"| {report} | `{query}` | {p50:.3f} | {'' if p99 is None else f'{p99:.3f}'} |")


if __name__ == "__main__":
    main()
