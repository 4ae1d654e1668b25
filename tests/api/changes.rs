//! Change requests (EVO) paid in T-Points (docs/domain.md §10; seed 002
//! §10.2): packs, sizing, estimates computed and explained, the second
//! review, the customer's decision, validation and cancellation, the
//! paid-estimates list, and acceptances that race.

use chrono::{Datelike, NaiveDate};
use e2e::{boot, call, call_with, fields, json, member_token, problem, store_customer, Host};
use serde_json::{json, Value};

fn member_post(host: &Host, token: &str, ticket: i64, what: &str, body: Value) -> e2e::Response {
    call_with(
        host,
        None,
        "POST",
        &format!("/api/v1/me/change-requests/{ticket}/{what}"),
        Some(&body),
        &[("authorization", token)],
    )
}

/// A staff move on accepted work (`development`, `delivery`, `cancellation`).
fn work(host: &Host, ticket: i64, what: &str) -> e2e::Response {
    call(
        host,
        Some("staff"),
        "POST",
        &format!("/api/v1/change-requests/{ticket}/{what}"),
        Some(&json!({})),
    )
}

fn days(n: i64) -> chrono::Duration {
    chrono::Duration::days(n)
}

/// The Monday `weeks` weeks after this week's.
fn monday_in(weeks: i64) -> NaiveDate {
    let today = chrono::Utc::now().date_naive();
    today - days(i64::from(today.weekday().num_days_from_monday())) + days(7 * weeks)
}

fn plan(
    host: &Host,
    ticket: i64,
    start: NaiveDate,
    end: NaiveDate,
    who: &[(&str, u32)],
    reason: Option<&str>,
) -> e2e::Response {
    let assignments: Vec<Value> = who
        .iter()
        .map(|(t, h)| json!({"technician": t, "hours": h}))
        .collect();
    call(
        host,
        Some("staff"),
        "PUT",
        &format!("/api/v1/change-requests/{ticket}/plan"),
        Some(
            &json!({"start_on": start.to_string(), "deliver_on": end.to_string(),
                     "assignments": assignments, "reason": reason}),
        ),
    )
}

fn open_change(host: &Host, customer: &str, subject: &str) -> i64 {
    let r = call(
        host,
        Some("webform"),
        "POST",
        "/api/v1/tickets",
        Some(
            &json!({"customer_id": customer, "kind": "change_request", "urgency": "low",
                     "complexity": "simple", "channel": "web_form", "subject": subject}),
        ),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    json(&r)["id"].as_i64().unwrap()
}

fn buy(host: &Host, customer: &str, points: u32, key: &str) -> Value {
    let r = call_with(
        host,
        Some("staff"),
        "POST",
        &format!("/api/v1/customers/{customer}/tpoints/packs"),
        Some(
            &json!({"points": points, "price_minor": i64::from(points) * 6000, "currency": "EUR",
                     "bought_at": "2026-01-05T10:00:00Z", "reference": "INV-1"}),
        ),
        &[("idempotency-key", key)],
    );
    assert_eq!(r.status, 201, "{}", r.body);
    json(&r)["balance"].clone()
}

fn balance(host: &Host, customer: &str) -> Value {
    let r = call(
        host,
        Some("customer_success"),
        "GET",
        &format!("/api/v1/customers/{customer}/tpoints"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)["balance"].clone()
}

fn size(host: &Host, ticket: i64, category: &str, rough: u32) -> e2e::Response {
    call(
        host,
        Some("staff"),
        "POST",
        &format!("/api/v1/change-requests/{ticket}/sizing"),
        Some(&json!({"category": category, "rough_points": rough})),
    )
}

fn estimate(host: &Host, role: &str, ticket: i64, body: Value) -> e2e::Response {
    call(
        host,
        Some(role),
        "POST",
        &format!("/api/v1/change-requests/{ticket}/estimates"),
        Some(&body),
    )
}

fn decide(host: &Host, ticket: i64, body: Value) -> e2e::Response {
    call(
        host,
        Some("webform"),
        "POST",
        &format!("/api/v1/change-requests/{ticket}/decision"),
        Some(&body),
    )
}

/// A simple request of one task, sized and estimated at `points`.
fn estimated(host: &Host, customer: &str, subject: &str, points: u32) -> i64 {
    let t = open_change(host, customer, subject);
    assert_eq!(size(host, t, "simple", points).status, 200);
    let r = estimate(
        host,
        "staff",
        t,
        json!({"tasks": [{"title": subject, "programming": points}]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(json(&r)["total"], points);
    t
}

#[test]
fn a_change_request_goes_from_intake_to_spent_tpoints() {
    let (_app, host) = boot();
    store_customer(&host, "EVO-1", "gold", false);
    let t = open_change(&host, "EVO-1", "Filter by colour");
    let b = buy(&host, "EVO-1", 20, "pack-evo-1");
    assert_eq!(
        b,
        json!({"available": 20, "reserved": 0, "spent": 0, "bought": 20, "expired": 0})
    );

    problem(
        &estimate(
            &host,
            "staff",
            t,
            json!({"tasks": [{"title": "x", "programming": 1}]}),
        ),
        404,
        "not-found",
    );
    let r = size(&host, t, "moderate", 8);
    assert_eq!(r.status, 200, "{}", r.body);
    let sized = json(&r);
    assert_eq!(sized["state"], "sizing");
    assert_eq!(sized["rules"]["contingency_percent"], 10);
    assert!(sized["rules"]["guidance"]
        .as_str()
        .unwrap()
        .contains("functional improvements"));
    assert_eq!(sized["warnings"], json!([]));

    // Bad estimates name the field.
    let p = problem(
        &estimate(&host, "staff", t, json!({"tasks": []})),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["tasks"]);
    let p = problem(
        &estimate(
            &host,
            "staff",
            t,
            json!({"tasks": [{"title": "Filter", "programming": 6}]}),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["tasks[0].module"]);
    let p = problem(
        &estimate(
            &host,
            "staff",
            t,
            json!({"tasks": [{"title": "Filter", "module": "catalogue", "programming": 1.5}]}),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["tasks[0].programming"]);
    let p = problem(
        &estimate(
            &host,
            "staff",
            t,
            json!({"tasks": [{"title": "Filter", "module": "catalogue", "programming": -2}]}),
        ),
        400,
        "validation-error",
    );
    assert!(p.to_string().contains("tasks[0].programming"), "{p}");

    // Version 1: task 8, design 3, contingency 10 % of 11 rounded up to 2, a meeting 1.
    let r = estimate(
        &host,
        "staff",
        t,
        json!({"tasks": [{"title": "Filter", "module": "catalogue", "programming": 6, "testing": 2}],
               "includes_design": true, "summary": "A colour filter on the catalogue"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let v1 = json(&r);
    assert_eq!(v1["state"], "awaiting_customer");
    assert_eq!(v1["version"], 1);
    let lines: Vec<(String, i64)> = v1["estimates"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_string(),
                l["points"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("task".into(), 8),
            ("design".into(), 3),
            ("contingency".into(), 2),
            ("meetings".into(), 1)
        ]
    );
    assert_eq!(v1["total"], 14);
    assert!(v1["estimates"][0]["lines"][2]["why"]
        .as_str()
        .unwrap()
        .contains("10 %"));

    // The customer renegotiates; version 2 is cheaper; deciding on version 1 is refused.
    let r = decide(
        &host,
        t,
        json!({"decision": "renegotiate", "version": 1, "reason": "Too dear"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "renegotiating");
    let r = estimate(
        &host,
        "staff",
        t,
        json!({"tasks": [{"title": "Filter", "module": "catalogue", "programming": 5, "testing": 2}],
               "includes_design": true}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(json(&r)["total"], 12);
    let p = problem(
        &decide(&host, t, json!({"decision": "accept", "version": 1})),
        409,
        "estimate-version-outdated",
    );
    assert_eq!(p["current_version"], 2);
    assert!(p["detail"].as_str().unwrap().contains("version 2"), "{p}");

    let r = decide(&host, t, json!({"decision": "accept", "version": 2}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "accepted");
    assert_eq!(
        balance(&host, "EVO-1"),
        json!({"available": 8, "reserved": 12, "spent": 0, "bought": 20, "expired": 0})
    );

    // The member sees their request without the internal reasons, and validates it.
    let token = format!("Bearer {}", member_token(&host, "EVO-1").unwrap());
    let r = call_with(
        &host,
        None,
        "GET",
        &format!("/api/v1/me/change-requests/{t}"),
        None,
        &[("authorization", &token)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let mine = json(&r);
    assert_eq!(mine["estimates"].as_array().unwrap().len(), 2);
    assert!(mine["moves"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["reason"].is_null() && m["by"].is_null()));
    let staff_view = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/change-requests/{t}"),
        None,
    ));
    assert!(staff_view["moves"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["reason"] == "Too dear"));
    // Validation waits for the delivery; development waits for a plan.
    problem(
        &member_post(&host, &token, t, "validation", json!({})),
        409,
        "change-request-state",
    );
    problem(&work(&host, t, "development"), 409, "plan-needed");
    let r = plan(
        &host,
        t,
        monday_in(2),
        monday_in(2) + days(4),
        &[("ana", 10)],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(work(&host, t, "development").status, 200);
    assert_eq!(work(&host, t, "delivery").status, 200);
    let r = call_with(
        &host,
        None,
        "POST",
        &format!("/api/v1/me/change-requests/{t}/validation"),
        Some(&json!({})),
        &[
            ("authorization", &token),
            ("content-type", "application/json"),
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "validated");
    assert_eq!(
        balance(&host, "EVO-1"),
        json!({"available": 8, "reserved": 0, "spent": 12, "bought": 20, "expired": 0})
    );
    let r = call_with(
        &host,
        None,
        "GET",
        "/api/v1/me/tpoints",
        None,
        &[("authorization", &token)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let entries: Vec<String> = json(&r)["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(entries, ["spend", "reserve", "pack"]);
    problem(
        &call(
            &host,
            Some("staff"),
            "POST",
            &format!("/api/v1/change-requests/{t}/cancellation"),
            Some(&json!({})),
        ),
        409,
        "change-request-state",
    );
}

#[test]
fn accepting_without_enough_tpoints_gives_the_shortfall_and_cancelling_releases() {
    let (_app, host) = boot();
    store_customer(&host, "EVO-2", "silver", false);
    buy(&host, "EVO-2", 5, "pack-evo-2a");
    let t = estimated(&host, "EVO-2", "New banner", 10);
    let p = problem(
        &decide(&host, t, json!({"decision": "accept", "version": 1})),
        409,
        "insufficient-tpoints",
    );
    assert_eq!(
        (
            p["available"].clone(),
            p["needed"].clone(),
            p["shortfall"].clone()
        ),
        (json!(5), json!(10), json!(5))
    );
    assert!(p["detail"].as_str().unwrap().contains("5 short"), "{p}");
    buy(&host, "EVO-2", 5, "pack-evo-2b");
    assert_eq!(
        decide(&host, t, json!({"decision": "accept", "version": 1})).status,
        200
    );
    assert_eq!(balance(&host, "EVO-2")["reserved"], 10);
    // A second acceptance of the same estimate is refused; nothing more is reserved.
    problem(
        &decide(&host, t, json!({"decision": "accept", "version": 1})),
        409,
        "change-request-state",
    );
    let r = call(
        &host,
        Some("staff"),
        "POST",
        &format!("/api/v1/change-requests/{t}/cancellation"),
        Some(&json!({"reason": "Customer withdrew"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "cancelled");
    assert_eq!(
        balance(&host, "EVO-2"),
        json!({"available": 10, "reserved": 0, "spent": 0, "bought": 10, "expired": 0})
    );
    // Only change requests are estimated; a missing ticket is 404.
    let q = call(
        &host,
        Some("webform"),
        "POST",
        "/api/v1/tickets",
        Some(
            &json!({"customer_id": "EVO-2", "kind": "question", "channel": "web_form", "subject": "How?"}),
        ),
    );
    let q = json(&q)["id"].as_i64().unwrap();
    problem(&size(&host, q, "simple", 1), 409, "not-a-change-request");
    problem(&size(&host, 999_999, "simple", 1), 404, "not-found");
    let p = problem(&size(&host, t, "simple", 1), 409, "change-request-state");
    assert_eq!(p["state"], "cancelled");
    // Packs: whole points only, by default.
    let r = call_with(
        &host,
        Some("staff"),
        "POST",
        "/api/v1/customers/EVO-2/tpoints/packs",
        Some(
            &json!({"points": 2.5, "price_minor": 100, "currency": "EUR", "bought_at": "2026-01-05T10:00:00Z"}),
        ),
        &[("idempotency-key", "pack-evo-2c")],
    );
    assert_eq!(fields(&problem(&r, 400, "validation-error")), ["points"]);
}

#[test]
fn an_advanced_estimate_waits_for_a_second_reviewer() {
    let (_app, host) = boot();
    store_customer(&host, "EVO-3", "platinum", false);
    let t = open_change(&host, "EVO-3", "ERP integration");
    assert_eq!(size(&host, t, "advanced", 30).status, 200);
    let r = estimate(
        &host,
        "staff",
        t,
        json!({"tasks": [
        {"title": "Orders", "module": "erp", "programming": 10, "testing": 4},
        {"title": "Stock", "module": "erp", "programming": 5, "testing": 1}],
        "includes_design": true, "design": 5, "scope_help": 2}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let e = json(&r);
    assert_eq!(e["state"], "in_review");
    assert_eq!(e["total"], 34, "{e}");
    let r = decide(&host, t, json!({"decision": "accept", "version": 1}));
    problem(&r, 409, "change-request-state");
    let review = |role: &str| {
        call(
            &host,
            Some(role),
            "POST",
            &format!("/api/v1/change-requests/{t}/estimates/1/review"),
            None,
        )
    };
    problem(&review("staff"), 409, "second-reviewer-needed");
    let r = review("customer_success");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "awaiting_customer");
    problem(&review("customer_success"), 409, "change-request-state");
    problem(
        &call(
            &host,
            Some("customer_success"),
            "POST",
            &format!("/api/v1/change-requests/{t}/estimates/7/review"),
            None,
        ),
        404,
        "not-found",
    );
}

#[test]
fn a_rejection_streak_puts_the_customer_on_the_paid_estimates_list() {
    let (app, host) = boot();
    store_customer(&host, "EVO-4", "bronze", false);
    // A rejection with a reason does not count; four without one do.
    let t = estimated(&host, "EVO-4", "Change 0", 2);
    assert_eq!(
        decide(
            &host,
            t,
            json!({"decision": "reject", "version": 1, "reason": "Budget moved to Q3"})
        )
        .status,
        200
    );
    for i in 1..=4 {
        let t = estimated(&host, "EVO-4", &format!("Change {i}"), 2);
        let r = decide(&host, t, json!({"decision": "reject", "version": 1}));
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(json(&r)["state"], "rejected");
        if i < 4 {
            let next = open_change(&host, "EVO-4", "probe");
            let w = json(&size(&host, next, "simple", 1))["warnings"].clone();
            assert!(
                w.as_array()
                    .unwrap()
                    .iter()
                    .all(|w| w["code"] != "paid_estimate"),
                "{i}: {w}"
            );
        }
    }
    // Told before the estimate is made; it costs the fee, which needs the points.
    let t = open_change(&host, "EVO-4", "Change 5");
    let w = json(&size(&host, t, "simple", 3))["warnings"].clone();
    let paid = w
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "paid_estimate")
        .expect("paid warning");
    assert!(
        paid["message"]
            .as_str()
            .unwrap()
            .contains("costs 1 T-Points"),
        "{paid}"
    );
    let body = json!({"tasks": [{"title": "Change 5", "programming": 3}]});
    let p = problem(
        &estimate(&host, "staff", t, body.clone()),
        409,
        "insufficient-tpoints",
    );
    assert_eq!(p["shortfall"], 1);
    buy(&host, "EVO-4", 5, "pack-evo-4");
    let r = estimate(&host, "staff", t, body);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(json(&r)["estimates"][0]["fee"], 1);
    assert_eq!(
        balance(&host, "EVO-4"),
        json!({"available": 4, "reserved": 0, "spent": 1, "bought": 5, "expired": 0})
    );
    // The reason of the reasoned rejection is kept, internal.
    let db = app.database();
    let reasons: i64 = db.query_row(
        "SELECT COUNT(*) FROM change_request_moves WHERE customer_id = 'EVO-4' AND to_state = 'rejected' AND reason = 'Budget moved to Q3'",
        [], |r| r.get(0)).unwrap();
    assert_eq!(reasons, 1);
    // An estimate still awaiting the customer is named before the next one.
    let other = open_change(&host, "EVO-4", "Change 6");
    let w = json(&size(&host, other, "simple", 1))["warnings"].clone();
    let waiting = w
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "estimate_awaiting_confirmation")
        .expect("awaiting warning");
    assert!(
        waiting["message"]
            .as_str()
            .unwrap()
            .contains(&format!("#{t}")),
        "{waiting}"
    );
}

#[test]
fn concurrent_acceptances_reserve_once_and_never_overdraw() {
    let app = e2e::App::new();
    let host = app.start_with(&["--max-instances", "64"]);
    store_customer(&host, "EVO-5", "gold", false);
    buy(&host, "EVO-5", 10, "pack-evo-5");
    let a = estimated(&host, "EVO-5", "Change A", 8);
    let b = estimated(&host, "EVO-5", "Change B", 8);
    let statuses: Vec<(i64, u16)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|i| {
                let host = &host;
                let t = if i % 2 == 0 { a } else { b };
                s.spawn(move || {
                    (
                        t,
                        decide(host, t, json!({"decision": "accept", "version": 1})).status,
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let accepted: Vec<_> = statuses.iter().filter(|(_, s)| *s == 200).collect();
    assert_eq!(accepted.len(), 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|(_, s)| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(
        balance(&host, "EVO-5"),
        json!({"available": 2, "reserved": 8, "spent": 0, "bought": 10, "expired": 0})
    );
    let reserves: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM tpoint_ledger WHERE customer_id = 'EVO-5' AND entry = 'reserve'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(reserves, 1);

    // The accepted one is delivered; concurrent validations spend once.
    let (won, _) = accepted[0];
    let mon = monday_in(2);
    assert_eq!(
        plan(&host, *won, mon, mon + days(4), &[("ana", 8)], None).status,
        200
    );
    assert_eq!(work(&host, *won, "development").status, 200);
    assert_eq!(work(&host, *won, "delivery").status, 200);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let host = &host;
                s.spawn(move || {
                    call(
                        host,
                        Some("webform"),
                        "POST",
                        &format!("/api/v1/change-requests/{won}/validation"),
                        Some(&json!({})),
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        balance(&host, "EVO-5"),
        json!({"available": 2, "reserved": 0, "spent": 8, "bought": 10, "expired": 0})
    );
}

fn hours(host: &Host, ticket: i64, who: &str, h: f64) -> e2e::Response {
    let today = chrono::Utc::now().date_naive() - days(1);
    call(
        host,
        Some("staff"),
        "POST",
        &format!("/api/v1/change-requests/{ticket}/hours"),
        Some(&json!({"technician": who, "hours": h, "worked_on": today.to_string()})),
    )
}

fn progress_run(host: &Host, as_of: &str) -> Value {
    let r = call(
        host,
        Some("scheduler"),
        "POST",
        &format!(
            "/api/v1/change-requests/progress-runs?as_of={}",
            as_of.replace('+', "%2B")
        ),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)
}

#[test]
fn delivery_is_planned_within_the_teams_load_booked_and_followed_up() {
    let (app, host) = boot();
    store_customer(&host, "EVO-6", "gold", false);
    buy(&host, "EVO-6", 40, "pack-evo-6");
    let t = estimated(&host, "EVO-6", "Checkout tweak", 10);
    let accept = |t: i64, v: u32| decide(&host, t, json!({"decision": "accept", "version": v}));
    assert_eq!(accept(t, 1).status, 200);
    // No hours before development.
    problem(&hours(&host, t, "bo", 1.0), 409, "change-request-state");

    // Another request takes ana 4 h a day that week; 60 % of her 8 h is 4.8 h.
    let other = estimated(&host, "EVO-6", "Other change", 10);
    assert_eq!(accept(other, 1).status, 200);
    let mon = monday_in(2);
    assert_eq!(
        plan(&host, other, mon, mon + days(4), &[("ana", 20)], None).status,
        200
    );
    let p = problem(
        &plan(&host, t, mon, mon + days(4), &[("ana", 5)], None),
        409,
        "team-overloaded",
    );
    assert_eq!(
        (
            p["technician"].clone(),
            p["booked_minutes"].clone(),
            p["adding_minutes"].clone(),
            p["limit_minutes"].clone()
        ),
        (json!("ana"), json!(240), json!(60), json!(288)),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("60 %"), "{p}");
    assert_eq!(
        plan(&host, t, mon, mon + days(4), &[("bo", 10)], None).status,
        200
    );

    // Moving a date needs a reason, and the customer is told at once.
    let p = problem(
        &plan(&host, t, mon, mon + days(7), &[("bo", 10)], None),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["reason"]);
    let r = plan(
        &host,
        t,
        mon,
        mon + days(7),
        &[("bo", 10)],
        Some("Waiting for the payment provider's keys"),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let moved: Vec<String> = {
        let db = app.database();
        let mut q = db
            .prepare("SELECT payload FROM notice_outbox WHERE kind = 'change.date_moved' AND customer_id = 'EVO-6'")
            .unwrap();
        q.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert!(
        moved[0].contains("payment provider") && moved[0].contains(&(mon + days(7)).to_string()),
        "{moved:?}"
    );

    // In development: hours booked, with warnings at 80 % and 100 % of the estimate.
    assert_eq!(work(&host, t, "development").status, 200);
    let used = |r: e2e::Response| {
        assert_eq!(r.status, 201, "{}", r.body);
        let h = json(&r)["hours"].clone();
        (
            h["used_percent"].as_u64().unwrap(),
            h["warnings"].as_array().unwrap().len(),
        )
    };
    assert_eq!(used(hours(&host, t, "bo", 7.0)), (70, 0));
    assert_eq!(used(hours(&host, t, "bo", 1.0)), (80, 1));
    assert_eq!(used(hours(&host, t, "bo", 2.5)), (105, 2));
    assert_eq!(
        fields(&problem(
            &hours(&host, t, "bo", 0.1),
            400,
            "validation-error"
        )),
        ["hours"]
    );

    // A progress notice every 72 hours in development, as of, exactly once.
    // Development began ten days ago (the clock is the database's: moved back, not waited for).
    let started = chrono::Utc::now() - days(10);
    app.database()
        .execute(
            "UPDATE change_requests SET started_at = ? WHERE ticket_id = ?",
            rusqlite::params![started.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(), t],
        )
        .unwrap();
    let at = |h: i64| {
        (started + chrono::Duration::hours(h))
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string()
    };
    assert_eq!(progress_run(&host, &at(71))["queued"], 0);
    assert_eq!(progress_run(&host, &at(72))["queued"], 1);
    assert_eq!(progress_run(&host, &at(100))["queued"], 0);
    assert_eq!(progress_run(&host, &at(150))["queued"], 1);
    let progress: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM notice_outbox WHERE kind = 'change.progress' AND json_extract(payload, '$.ticket_id') = ?",
            [t],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(progress, 2);

    // A change asked during development re-opens the estimate; accepting holds only the difference.
    let r = estimate(
        &host,
        "staff",
        t,
        json!({"tasks": [{"title": "Checkout tweak and coupon", "programming": 13}]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(json(&r)["state"], "awaiting_customer");
    problem(&hours(&host, t, "bo", 1.0), 409, "change-request-state");
    let r = accept(t, 2);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "in_development");
    assert_eq!(
        balance(&host, "EVO-6"),
        json!({"available": 17, "reserved": 23, "spent": 0, "bought": 40, "expired": 0})
    );

    // A delivered change the customer rejects goes back to development; validation spends what is held.
    assert_eq!(work(&host, t, "delivery").status, 200);
    let token = format!("Bearer {}", member_token(&host, "EVO-6").unwrap());
    let p = problem(
        &member_post(&host, &token, t, "delivery-rejection", json!({})),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["reason"]);
    let r = member_post(
        &host,
        &token,
        t,
        "delivery-rejection",
        json!({"reason": "The coupon field is missing on mobile"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "in_development");
    assert_eq!(work(&host, t, "delivery").status, 200);
    let r = member_post(&host, &token, t, "validation", json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        balance(&host, "EVO-6"),
        json!({"available": 17, "reserved": 10, "spent": 13, "bought": 40, "expired": 0})
    );
}

fn training(host: &Host, role: &str, method: &str, path: &str, body: Value) -> e2e::Response {
    call(host, Some(role), method, path, Some(&body))
}

#[test]
fn training_is_budgeted_approved_before_planning_and_closed_with_its_materials() {
    let (_app, host) = boot();
    store_customer(&host, "FOR-1", "silver", false);
    let p = problem(
        &training(
            &host,
            "staff",
            "POST",
            "/api/v1/customers/FOR-1/trainings",
            json!({"syllabus": "personalised", "sessions": 0, "minutes_per_session": 50, "needs": "New team"}),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["topics", "sessions", "minutes_per_session"]);
    let r = training(
        &host,
        "staff",
        "POST",
        "/api/v1/customers/FOR-1/trainings",
        json!({"syllabus": "topics", "topics": ["Order management", "Marketplaces"], "sessions": 3,
               "minutes_per_session": 90, "needs": "Two new order managers, basic level"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let t = json(&r);
    let id = t["id"].as_i64().unwrap();
    // 4.5 hours rounded up to 5, preparation for specific topics 1.
    assert_eq!(t["budget"]["total"], 6, "{t}");
    assert_eq!(t["state"], "budgeted");
    let monday = monday_in(1);
    let sessions = json!({"sessions": [
        {"on": monday.to_string(), "minutes": 90},
        {"on": (monday + days(2)).to_string(), "minutes": 90},
        {"on": (monday + days(4)).to_string(), "minutes": 90}]});
    // Not planned before the customer approves; not approved without the points.
    let p = problem(
        &training(
            &host,
            "staff",
            "PUT",
            &format!("/api/v1/trainings/{id}/plan"),
            sessions.clone(),
        ),
        409,
        "training-state",
    );
    assert_eq!(p["state"], "budgeted");
    let p = problem(
        &training(
            &host,
            "webform",
            "POST",
            &format!("/api/v1/trainings/{id}/decision"),
            json!({"decision": "approve"}),
        ),
        409,
        "insufficient-tpoints",
    );
    assert_eq!(p["shortfall"], 6);
    buy(&host, "FOR-1", 10, "pack-for-1");
    let token = format!("Bearer {}", member_token(&host, "FOR-1").unwrap());
    let r = call_with(
        &host,
        None,
        "POST",
        &format!("/api/v1/me/trainings/{id}/decision"),
        Some(&json!({"decision": "approve"})),
        &[("authorization", &token)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "approved");
    assert_eq!(
        balance(&host, "FOR-1"),
        json!({"available": 4, "reserved": 6, "spent": 0, "bought": 10, "expired": 0})
    );
    problem(
        &training(
            &host,
            "webform",
            "POST",
            &format!("/api/v1/trainings/{id}/decision"),
            json!({"decision": "approve"}),
        ),
        409,
        "training-state",
    );
    // Sessions must fit the budget; then the training closes with its materials.
    let too_long = json!({"sessions": [
        {"on": monday.to_string(), "minutes": 120},
        {"on": (monday + days(2)).to_string(), "minutes": 90},
        {"on": (monday + days(4)).to_string(), "minutes": 90}]});
    let p = problem(
        &training(
            &host,
            "staff",
            "PUT",
            &format!("/api/v1/trainings/{id}/plan"),
            too_long,
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["sessions"]);
    let r = training(
        &host,
        "staff",
        "PUT",
        &format!("/api/v1/trainings/{id}/plan"),
        sessions,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "planned");
    let p = problem(
        &training(
            &host,
            "staff",
            "POST",
            &format!("/api/v1/trainings/{id}/closure"),
            json!({"materials": []}),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["materials"]);
    let r = training(
        &host,
        "staff",
        "POST",
        &format!("/api/v1/trainings/{id}/closure"),
        json!({"materials": ["https://teams.example.test/recordings/1", "Order management guide (PDF)"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "closed");
    assert_eq!(
        balance(&host, "FOR-1"),
        json!({"available": 4, "reserved": 0, "spent": 6, "bought": 10, "expired": 0})
    );
    let r = call_with(
        &host,
        None,
        "GET",
        &format!("/api/v1/me/trainings/{id}"),
        None,
        &[("authorization", &token)],
    );
    assert_eq!(json(&r)["materials"].as_array().unwrap().len(), 2);
    // A training of another customer is not theirs.
    store_customer(&host, "FOR-2", "silver", false);
    let other = format!("Bearer {}", member_token(&host, "FOR-2").unwrap());
    let r = call_with(
        &host,
        None,
        "GET",
        &format!("/api/v1/me/trainings/{id}"),
        None,
        &[("authorization", &other)],
    );
    problem(&r, 404, "not-found");
}

#[test]
fn what_is_left_of_an_expired_pack_expires_once() {
    let (app, host) = boot();
    store_customer(&host, "EVO-7", "gold", false);
    buy(&host, "EVO-7", 10, "pack-evo-7a");
    // A second pack that expired yesterday (recorded with its dates as bought).
    let bought = (chrono::Utc::now() - days(30))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let expired = (chrono::Utc::now() - days(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let r = call_with(
        &host,
        Some("staff"),
        "POST",
        "/api/v1/customers/EVO-7/tpoints/packs",
        Some(
            &json!({"points": 10, "price_minor": 60000, "currency": "EUR", "bought_at": bought, "expires_at": expired}),
        ),
        &[("idempotency-key", "pack-evo-7b")],
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // 4 points held by accepted work come out of the pack that expires first.
    let t = estimated(&host, "EVO-7", "Change", 4);
    assert_eq!(
        decide(&host, t, json!({"decision": "accept", "version": 1})).status,
        200
    );
    let run = |as_of: &str| {
        let r = call(
            &host,
            Some("scheduler"),
            "POST",
            &format!("/api/v1/tpoints/expiry-runs?as_of={as_of}"),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        json(&r)
    };
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let first = run(&now);
    assert_eq!(
        (first["packs"].clone(), first["points"].clone()),
        (json!(1), json!(6)),
        "{first}"
    );
    assert_eq!(run(&now)["packs"], 0);
    assert_eq!(
        balance(&host, "EVO-7"),
        json!({"available": 10, "reserved": 4, "spent": 0, "bought": 20, "expired": 6})
    );
    // Cancelled work gives its 4 points back to the expired pack: they expire too.
    assert_eq!(work(&host, t, "cancellation").status, 200);
    assert_eq!(run(&now)["points"], 4);
    assert_eq!(
        balance(&host, "EVO-7"),
        json!({"available": 10, "reserved": 0, "spent": 0, "bought": 20, "expired": 10})
    );
    let negative: i64 = app.database().query_row(
        "SELECT COUNT(*) FROM (SELECT customer_id FROM tpoint_ledger GROUP BY customer_id HAVING SUM(available) < 0)",
        [], |r| r.get(0)).unwrap();
    assert_eq!(negative, 0);
}
