//! Change requests (EVO) paid in T-Points (docs/domain.md §8; seed 002
//! §10.2): packs, sizing, estimates computed and explained, the second
//! review, the customer's decision, validation and cancellation, the
//! paid-estimates list, and acceptances that race.

use e2e::{boot, call, call_with, fields, json, member_token, problem, store_customer, Host};
use serde_json::{json, Value};

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
        json!({"available": 20, "reserved": 0, "spent": 0, "bought": 20})
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
        json!({"available": 8, "reserved": 12, "spent": 0, "bought": 20})
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
        json!({"available": 8, "reserved": 0, "spent": 12, "bought": 20})
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
        json!({"available": 10, "reserved": 0, "spent": 0, "bought": 10})
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
        json!({"available": 4, "reserved": 0, "spent": 1, "bought": 5})
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
        json!({"available": 2, "reserved": 8, "spent": 0, "bought": 10})
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
}
