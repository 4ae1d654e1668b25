//! Collections: invoices, payments (staff and the signed webhook),
//! commitments, the month preview and the dunning ladder walked day by day
//! by firing the `collections` component's cron entry (invoice issue, then dunning) with `--at`.

use chrono::{Datelike, Utc};
use e2e::{call, fields, json, problem, App, Host, PAYMENT_WEBHOOK_SECRET};
use serde_json::{json, Value};

/// A fresh app whose programme takes this file's fixed 2026 calendar.
fn boot() -> (App, Host) {
    let (app, host) = e2e::boot();
    e2e::allow_history(&host);
    (app, host)
}

fn store(host: &Host, id: &str) {
    let r = call(
        host,
        Some("staff"),
        "PUT",
        &format!("/api/v1/customers/{id}"),
        Some(&e2e::customer(
            json!({"segment": "business", "plan_type": "business",
                   "monthly_plan_amount": {"amount": "900.00", "currency": "USD"}}),
        )),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
}

fn invoice(host: &Host, customer: &str, month: &str) -> i64 {
    e2e::invoice(host, customer, month, "900.00")
}

fn pay(host: &Host, invoice: i64, id: &str, amount: &str) -> e2e::Response {
    call(
        host,
        Some("staff"),
        "POST",
        &format!("/api/v1/invoices/{invoice}/payments"),
        Some(&json!({"payment_id": id, "amount": {"amount": amount, "currency": "USD"}})),
    )
}

fn steps(app: &App, invoice: i64) -> Vec<(String, String)> {
    let db = app.database();
    let mut q = db
        .prepare(
            "SELECT step, due_on FROM dunning_actions WHERE invoice_id = ? ORDER BY due_on, step",
        )
        .unwrap();
    q.query_map([invoice], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn status(app: &App, customer: &str) -> String {
    app.database()
        .query_row(
            "SELECT COALESCE((SELECT status FROM service_status WHERE customer_id = ?), 'active')",
            [customer],
            |r| r.get(0),
        )
        .unwrap()
}

fn count(app: &App, sql: &str) -> i64 {
    app.database().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn an_unpaid_month_walks_the_ladder_day_by_day_and_a_paid_one_does_not() {
    let (app, host) = boot();
    store(&host, "D-LATE");
    store(&host, "D-PAYS");
    let late = invoice(&host, "D-LATE", "2026-10");
    let pays = invoice(&host, "D-PAYS", "2026-10");
    let t = json(&call(
        &host,
        Some("customer_success"),
        "GET",
        &format!("/api/v1/invoices/{late}"),
        None,
    ));
    assert_eq!(t["due_on"], "2026-10-05");
    // Partial payments add up; the second completes the invoice.
    assert_eq!(pay(&host, pays, "pay-1", "400.00").status, 201);
    let replay = pay(&host, pays, "pay-1", "400.00");
    assert_eq!(replay.status, 200, "the same payment again changes nothing");
    assert_eq!(json(&replay)["paid"]["amount"], "400.00");
    problem(
        &pay(&host, pays, "pay-1", "500.00"),
        409,
        "payment-id-reused",
    );
    // Every day from 1 October to 10 November, at 06:00 Madrid.
    for day in 0..41 {
        let date =
            chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap() + chrono::Duration::days(day);
        if date == chrono::NaiveDate::from_ymd_opt(2026, 10, 10).unwrap() {
            assert_eq!(pay(&host, pays, "pay-2", "500.00").status, 201);
        }
        app.fire_cron("collections", &format!("{date}T05:00:00Z"));
        if date == chrono::NaiveDate::from_ymd_opt(2026, 10, 26).unwrap() {
            assert_eq!(status(&app, "D-LATE"), "suspension_notice");
            // Fired twice the same day: nothing more.
            app.fire_cron("collections", &format!("{date}T18:00:00Z"));
        }
    }
    assert_eq!(
        steps(&app, late),
        [
            ("reminder_1", "2026-10-06"),
            ("reminder_2", "2026-10-13"),
            ("reminder_3", "2026-10-20"),
            ("suspension_notice", "2026-10-26"),
            ("suspension", "2026-10-27"),
            ("pickup", "2026-11-06"),
        ]
        .map(|(s, d)| (s.to_string(), d.to_string()))
    );
    assert_eq!(status(&app, "D-LATE"), "pickup");
    // The invoice paid on the 10th got the first reminder only.
    assert_eq!(
        steps(&app, pays),
        [("reminder_1".to_string(), "2026-10-06".to_string())]
    );
    assert_eq!(status(&app, "D-PAYS"), "active");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notice_outbox WHERE kind LIKE 'dunning.%'"
        ),
        7
    );
    let to: String = app
        .database()
        .query_row(
            "SELECT json_extract(payload, '$.to') FROM notice_outbox WHERE kind = 'dunning.suspension_notice'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        to.contains("collections_manager") && to.contains("projects_director"),
        "{to}"
    );
    let moves = count(
        &app,
        "SELECT COUNT(*) FROM audit_events WHERE entity_type = 'customer' AND entity_id = 'D-LATE' AND action LIKE 'service.%'",
    );
    assert_eq!(moves, 3, "notice, suspended, pickup");
    // The HTTP run for schedulers: nothing left to do; the future is refused.
    let run = json(&call(
        &host,
        Some("scheduler"),
        "POST",
        "/api/v1/dunning/runs?as_of=2026-11-10T05:00:00Z",
        None,
    ));
    assert_eq!(run["steps_recorded"], 0, "{run}");
    assert_eq!(run["unpaid_invoices"], 1);
    problem(
        &call(
            &host,
            Some("scheduler"),
            "POST",
            "/api/v1/dunning/runs?as_of=2099-01-01T00:00:00Z",
            None,
        ),
        422,
        "as-of-in-future",
    );
}

#[test]
fn a_run_after_missed_days_catches_up_in_order() {
    let (app, host) = boot();
    store(&host, "D-GAP");
    let id = invoice(&host, "D-GAP", "2026-09");
    let run = json(&call(
        &host,
        Some("scheduler"),
        "POST",
        "/api/v1/dunning/runs?as_of=2026-09-30T12:00:00Z",
        None,
    ));
    assert_eq!(run["steps_recorded"], 5, "{run}");
    assert_eq!(run["service_moves"], 2);
    assert_eq!(status(&app, "D-GAP"), "suspended");
    let (step, due_on) = steps(&app, id).last().unwrap().clone();
    assert_eq!(step, "suspension");
    // The status moved when the suspension fell due (the start of its day in
    // Madrid), not when this late run recorded it; the audit says both.
    let zone = vip_domain::zone::Zone::parse("Europe/Madrid").unwrap();
    let due = zone.start_of(due_on.parse().unwrap());
    let (since, details): (String, String) = app
        .database()
        .query_row(
            "SELECT s.updated_at, a.details FROM service_status s, audit_events a
             WHERE s.customer_id = 'D-GAP' AND a.entity_type = 'invoice'
               AND a.entity_id = CAST(? AS TEXT) AND json_extract(a.details, '$.step') = 'suspension'",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(since.parse::<chrono::DateTime<Utc>>().unwrap(), due);
    let details: serde_json::Value = serde_json::from_str(&details).unwrap();
    assert_eq!(
        details["due_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<Utc>>()
            .unwrap(),
        due
    );
}

#[test]
fn a_commitment_defers_the_suspension_and_is_renegotiated_once() {
    let (app, host) = boot();
    store(&host, "D-PROMISE");
    let month = Utc::now().format("%Y-%m").to_string();
    let id = invoice(&host, "D-PROMISE", &month);
    let path = format!("/api/v1/invoices/{id}/commitments");
    let commit = |date: &str| {
        call(
            &host,
            Some("webform"),
            "POST",
            &path,
            Some(&json!({"pay_by": date})),
        )
    };
    let today = Utc::now().date_naive();
    let last = vip_domain::dunning::last_day(today);
    let p = problem(
        &commit(&(today - chrono::Duration::days(1)).to_string()),
        422,
        "commitment-refused",
    );
    assert!(p["detail"].as_str().unwrap().contains("past"), "{p}");
    let p = problem(
        &commit(&(last + chrono::Duration::days(1)).to_string()),
        422,
        "commitment-refused",
    );
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("within the billing month"),
        "{p}"
    );
    let r = commit(&last.to_string());
    assert_eq!(r.status, 201, "{}", r.body);
    problem(&commit(&last.to_string()), 409, "commitment-refused");
    // The preview: the notice the day after the promise, the suspension a day later.
    let preview = json(&call(
        &host,
        Some("customer_success"),
        "GET",
        &format!("/api/v1/customers/D-PROMISE/collections/preview?month={month}"),
        None,
    ));
    let steps = preview["if_nothing_is_paid"].as_array().unwrap();
    let notice = steps
        .iter()
        .find(|s| s["step"] == "suspension_notice")
        .unwrap();
    assert_eq!(
        notice["date"],
        (last + chrono::Duration::days(1)).to_string()
    );
    assert!(
        notice["why"]
            .as_str()
            .unwrap()
            .starts_with("deferred by the payment commitment"),
        "{notice}"
    );
    // Fired on the 27th of the month: no suspension while the promise is live.
    let day27 = today.with_day(27).unwrap();
    app.fire_cron("collections", &format!("{day27}T05:00:00Z"));
    assert_ne!(status(&app, "D-PROMISE"), "suspended");
    problem(
        &call(
            &host,
            Some("staff"),
            "POST",
            "/api/v1/invoices/999/commitments",
            Some(&json!({"pay_by": last.to_string()})),
        ),
        404,
        "not-found",
    );
}

fn signed(host: &Host, id: &str, timestamp: i64, body: &Value, secret: &str) -> e2e::Response {
    e2e::signed(
        host,
        "/api/v1/webhooks/payments",
        id,
        timestamp,
        body,
        secret,
    )
}

#[test]
fn payment_webhooks_are_verified_and_a_replay_applies_nothing() {
    let (app, host) = boot();
    store(&host, "D-HOOK");
    let id = invoice(&host, "D-HOOK", "2026-10");
    let now = Utc::now().timestamp();
    let event = json!({"type": "payment.received",
        "data": {"invoice_id": id, "payment_id": "psp-77", "amount": {"amount": "900.00", "currency": "USD"}}});
    // Unsigned, signed with another secret, stale: 401 and nothing applied.
    let unsigned = host.request(
        "POST",
        "/api/v1/webhooks/payments",
        &[("content-type", "application/json")],
        event.to_string().as_bytes(),
    );
    problem(&unsigned, 401, "invalid-webhook-signature");
    problem(
        &signed(
            &host,
            "msg_1",
            now,
            &event,
            "whsec_b3RoZXItcGFydG5lci1zZWNyZXQtMDAw",
        ),
        401,
        "invalid-webhook-signature",
    );
    let stale = problem(
        &signed(&host, "msg_1", now - 600, &event, PAYMENT_WEBHOOK_SECRET),
        401,
        "invalid-webhook-signature",
    );
    assert!(
        stale["detail"].as_str().unwrap().contains("tolerance"),
        "{stale}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments"), 0);
    // Signed: applied; the invoice is paid.
    let r = signed(&host, "msg_1", now, &event, PAYMENT_WEBHOOK_SECRET);
    assert_eq!(r.status, 200, "{}", r.body);
    let applied = json(&r);
    assert_eq!(applied["applied"], true);
    assert!(applied["invoice"]["paid_at"].is_string());
    // The same delivery again (a replay): acknowledged, nothing applied twice.
    let again = json(&signed(&host, "msg_1", now, &event, PAYMENT_WEBHOOK_SECRET));
    assert_eq!(again["applied"], false);
    // A new delivery of the same payment: idempotent by payment id.
    assert_eq!(
        signed(&host, "msg_2", now, &event, PAYMENT_WEBHOOK_SECRET).status,
        200
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments"), 1);
    assert_eq!(count(&app, "SELECT paid_minor FROM invoices"), 90000);
    // Bad payloads can never be applied: acknowledged (so the processor
    // stops retrying) with the refusal, recorded, nothing applied.
    let unknown = json!({"type": "payment.received",
        "data": {"invoice_id": 999, "payment_id": "psp-78", "amount": {"amount": "1.00", "currency": "USD"}}});
    let refused = |r: &e2e::Response, slug: &str| {
        assert_eq!(r.status, 200, "{}", r.body);
        let ack = json(r);
        assert_eq!(ack["applied"], false, "{ack}");
        assert_eq!(
            ack["refused"]["type"],
            format!("https://vip-ops.dev/problems/{slug}"),
            "{ack}"
        );
        ack
    };
    refused(
        &signed(&host, "msg_3", now, &unknown, PAYMENT_WEBHOOK_SECRET),
        "not-found",
    );
    let negative = json!({"type": "payment.received",
        "data": {"invoice_id": id, "payment_id": "psp-79", "amount": {"amount": "-5.00", "currency": "USD"}}});
    let ack = refused(
        &signed(&host, "msg_4", now, &negative, PAYMENT_WEBHOOK_SECRET),
        "validation-error",
    );
    assert!(
        ack["refused"]["detail"]
            .as_str()
            .unwrap()
            .contains("amount.amount"),
        "{ack}"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM webhook_refusals"),
        2,
        "both refusals are recorded"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM payments"), 1);
    // Staff see the same rules.
    problem(&pay(&host, 999, "x-1", "1.00"), 404, "not-found");
    let p = problem(&pay(&host, id, "x-2", "-1.00"), 400, "validation-error");
    assert_eq!(fields(&p), vec!["amount.amount"]);
}

/// 10,000 unpaid October invoices, straight into the state database.
fn seed_invoices(app: &App, n: usize) {
    let mut db = app.database();
    let tx = db.transaction().unwrap();
    for i in 0..n {
        tx.execute(
            "INSERT INTO invoices (customer_id, month, amount_minor, currency, due_on, issued_at, issued_by)
             VALUES (?, '2026-10', 90000, 'USD', '2026-10-05', '2026-10-01T06:00:00.000Z', 'test')",
            [format!("K{i:05}")],
        )
        .unwrap();
    }
    tx.commit().unwrap();
}

/// A recorded step: invoice, step, due date, the status it moved to.
type Step = (i64, String, String, Option<String>);

/// Everything the run decides, without when it was recorded: the steps, and
/// the counts of notices, audit rows and suspended customers.
fn outcome(app: &App) -> (Vec<Step>, i64, i64, i64) {
    let db = app.database();
    let mut q = db
        .prepare("SELECT invoice_id, step, due_on, moves_to FROM dunning_actions ORDER BY invoice_id, step")
        .unwrap();
    let steps = q
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let one = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    (
        steps,
        one("SELECT COUNT(*) FROM notice_outbox WHERE kind LIKE 'dunning.%'"),
        one("SELECT COUNT(*) FROM audit_events WHERE action LIKE 'dunning.%' OR action LIKE 'service.%'"),
        one("SELECT COUNT(*) FROM service_status WHERE status = 'suspended'"),
    )
}

const RUN: &str = "/api/v1/dunning/runs?as_of=2026-10-27T12:00:00Z";

#[test]
fn a_dunning_run_killed_half_way_finishes_on_the_rerun_with_nothing_twice() {
    const N: usize = 10_000;
    // The uninterrupted run, for comparison.
    let (calm, calm_host) = boot();
    seed_invoices(&calm, N);
    assert_eq!(
        call(&calm_host, Some("scheduler"), "POST", RUN, None).status,
        200
    );
    let expected = outcome(&calm);
    assert_eq!(expected.0.len(), 5 * N);
    assert_eq!(
        (expected.1, expected.2, expected.3),
        (5 * N as i64, 7 * N as i64, N as i64)
    );

    let (app, host) = boot();
    seed_invoices(&app, N);
    let pid = host.pid();
    let base = host.base.clone();
    let runner = std::thread::spawn(move || {
        // The host dies under this request: its answer does not matter.
        let _ = std::panic::catch_unwind(|| {
            let auth = format!("Bearer {}", e2e::key("scheduler"));
            spin_local_harness::request(&base, "POST", RUN, &[("authorization", &auth)], b"")
        });
    });
    let started = std::time::Instant::now();
    let mut written = 0;
    while written == 0 && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(5));
        written = count(&app, "SELECT COUNT(*) FROM dunning_actions");
    }
    std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    let _ = runner.join();
    drop(host);
    let partial = count(&app, "SELECT COUNT(*) FROM dunning_actions");
    assert!(
        partial > 0 && partial < 5 * N as i64,
        "the kill should land mid-run: {partial} of {} steps written",
        5 * N
    );
    // Every step written so far came with its notice and audit row.
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notice_outbox WHERE kind LIKE 'dunning.%'"
        ),
        partial
    );
    // Restart on the same state and run again: the same final state, nothing twice.
    let host = app.start();
    let rerun = json(&call(&host, Some("scheduler"), "POST", RUN, None));
    assert_eq!(rerun["steps_recorded"], 5 * N as i64 - partial, "{rerun}");
    assert_eq!(outcome(&app), expected);
}
