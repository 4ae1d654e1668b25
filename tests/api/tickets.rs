//! Tickets (first part): business calendars as data and the deadline
//! arithmetic on them, through the wasm component.

use e2e::{boot, call, call_with, fields, json, problem, store_customer};
use serde_json::json;

fn deadline(host: &e2e::Host, calendar: &str, query: &str) -> serde_json::Value {
    let r = call(
        host,
        Some("customer_success"),
        "GET",
        &format!("/api/v1/calendars/{calendar}/deadline?{query}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)
}

#[test]
fn calendars_are_data_and_deadlines_follow_them() {
    let (app, host) = boot();
    // The default calendar exists from the start: Mon–Fri 08:00–17:00 Madrid.
    let d = json(&call(
        &host,
        Some("program_manager"),
        "GET",
        "/api/v1/calendars/default",
        None,
    ));
    assert_eq!(d["calendar"]["zone"], "Europe/Madrid");
    assert_eq!(d["calendar"]["week"].as_array().unwrap().len(), 5);
    // Friday 16:00 Madrid + 4 business hours: Monday 11:00 Madrid.
    let due = deadline(&host, "default", "start=2026-11-20T15:00:00Z&duration=4h");
    assert_eq!(due["due"], "2026-11-23T10:00:00.000Z");
    assert_eq!(due["business_minutes_between"], 240);
    // The week of the last Sunday of March: Friday 16:00 + 2 h is Monday 09:00 (UTC+2 by then).
    let dst = deadline(&host, "default", "start=2026-03-27T15:00:00Z&duration=2h");
    assert_eq!(dst["due"], "2026-03-30T07:00:00.000Z");
    assert_eq!(dst["due_local"], "2026-03-30T09:00:00+02:00");
    // Natural time for very_high incidents.
    let natural = deadline(
        &host,
        "default",
        "start=2026-11-21T22:00:00Z&duration=4h&natural=true",
    );
    assert_eq!(natural["due"], "2026-11-22T02:00:00.000Z");

    // A calendar with holidays, one worked anyway.
    let office = json!({
        "zone": "Europe/Madrid",
        "week": [{"day": "mon", "start": "08:00", "end": "17:00"}, {"day": "tue", "start": "08:00", "end": "17:00"},
                 {"day": "wed", "start": "08:00", "end": "17:00"}, {"day": "thu", "start": "08:00", "end": "17:00"},
                 {"day": "fri", "start": "08:00", "end": "14:00"}],
        "holidays": ["2027-01-01", "2027-01-06", "2026-06-24"],
        "worked_holidays": ["2026-06-24"]
    });
    let created = call(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/calendars/igualada",
        Some(&office),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("etag"), Some("\"1\""));
    // Thursday 31 Dec 16:00 + 2 h: 1 h that day, New Year off, Monday 09:00.
    let new_year = deadline(&host, "igualada", "start=2026-12-31T15:00:00Z&duration=2h");
    assert_eq!(new_year["due"], "2027-01-04T08:00:00.000Z");
    // Replace under If-Match; a stale version is a 412.
    let replaced = call_with(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/calendars/igualada",
        Some(&office),
        &[("if-match", "\"1\"")],
    );
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let stale = call_with(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/calendars/igualada",
        Some(&office),
        &[("if-match", "\"1\"")],
    );
    problem(&stale, 412, "version-mismatch");
    let listed = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/calendars",
        None,
    ));
    assert_eq!(listed["calendars"].as_array().unwrap().len(), 2);
    let audited: i64 = app
        .database()
        .query_row("SELECT COUNT(*) FROM audit_events WHERE entity_type = 'calendar' AND entity_id = 'igualada'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(audited, 2);
}

#[test]
fn bad_calendars_and_bad_questions_are_refused_with_the_field() {
    let (_app, host) = boot();
    let put = |body: serde_json::Value| {
        call(
            &host,
            Some("staff"),
            "PUT",
            "/api/v1/calendars/bad",
            Some(&body),
        )
    };
    let p = problem(
        &put(json!({"zone": "Mars/Olympus", "week": []})),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["zone"]);
    let overlapping = json!({"zone": "Europe/Madrid", "week": [
        {"day": "mon", "start": "08:00", "end": "14:00"}, {"day": "mon", "start": "13:00", "end": "17:00"},
        {"day": "tue", "start": "17:00", "end": "09:00"}],
        "holidays": [], "worked_holidays": ["2026-09-11"]});
    let p = problem(&put(overlapping), 400, "validation-error");
    assert_eq!(fields(&p), vec!["week[1]", "week[2]", "worked_holidays[0]"]);
    let p = problem(
        &put(
            json!({"zone": "Europe/Madrid", "week": [{"day": "funday", "start": "08:00", "end": "09:00"}]}),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["week[0].day"]);
    problem(
        &call(
            &host,
            Some("staff"),
            "PUT",
            "/api/v1/calendars/Bad_Id",
            Some(&json!({})),
        ),
        400,
        "validation-error",
    );
    problem(
        &call(
            &host,
            Some("staff"),
            "GET",
            "/api/v1/calendars/nowhere",
            None,
        ),
        404,
        "not-found",
    );
    let q = |query: &str| {
        call(
            &host,
            Some("staff"),
            "GET",
            &format!("/api/v1/calendars/default/deadline?{query}"),
            None,
        )
    };
    assert_eq!(
        fields(&problem(&q("duration=4h"), 400, "validation-error")),
        vec!["start"]
    );
    assert_eq!(
        fields(&problem(
            &q("start=2026-11-20T15:00:00Z&duration=4w"),
            400,
            "validation-error"
        )),
        vec!["duration"]
    );
    assert_eq!(
        fields(&problem(
            &q("start=yesterday&duration=4h"),
            400,
            "validation-error"
        )),
        vec!["start"]
    );
}

fn open(host: &e2e::Host, role: &str, body: serde_json::Value) -> e2e::Response {
    call(host, Some(role), "POST", "/api/v1/tickets", Some(&body))
}

#[test]
fn intake_computes_the_targets_and_explains_them() {
    let (app, host) = boot();
    store_customer(&host, "T-GOLD", "gold", true);
    let r = open(
        &host,
        "webform",
        json!({"customer_id": "T-GOLD", "kind": "incident", "priority": "high", "channel": "web_form", "subject": "Slow checkout"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let t = json(&r);
    assert_eq!(
        (t["state"].as_str(), t["sla_priority"].as_str()),
        (Some("new"), Some("high"))
    );
    assert_eq!(t["sla"]["calendar"], "default");
    assert_eq!(
        t["sla"]["first_response"]["target_minutes"], 120,
        "gold × high: 2 h"
    );
    assert_eq!(
        t["sla"]["resolution"]["target_minutes"],
        2 * 9 * 60,
        "gold × high: 2 business days"
    );
    assert_eq!(t["key_account"], true);
    let id = t["id"].as_i64().unwrap();
    // "Why is this due then?"
    let s = json(&call(
        &host,
        Some("chatbot"),
        "GET",
        &format!("/api/v1/tickets/{id}/sla"),
        None,
    ));
    assert_eq!(s["calendar"]["zone"], "Europe/Madrid");
    assert_eq!(s["counted_in"], "business hours of the calendar");
    let first = &s["clocks"][0];
    assert_eq!(first["clock"], "first_response");
    assert_eq!(first["due"], t["sla"]["first_response"]["due"]);
    assert_eq!(first["target_minutes"], 120);
    assert!(first["used_minutes"].as_i64().unwrap() <= 1);
    // The due time is the calendar's arithmetic from the opening time.
    let check = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!(
            "/api/v1/calendars/default/deadline?start={}&duration=2h",
            s["clocks"][0]["started"].as_str().unwrap()
        ),
        None,
    ));
    assert_eq!(check["due"], first["due"]);

    // very_high runs on natural time: 1 h for gold, whatever the hour.
    let urgent = json(&open(
        &host,
        "chatbot",
        json!({"customer_id": "T-GOLD", "kind": "incident", "priority": "very_high", "channel": "chat_bot", "subject": "Nobody can pay"}),
    ));
    let opened =
        chrono::DateTime::parse_from_rfc3339(urgent["opened_at"].as_str().unwrap()).unwrap();
    let due = chrono::DateTime::parse_from_rfc3339(
        urgent["sla"]["first_response"]["due"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(due - opened, chrono::Duration::hours(1));
    assert_eq!(urgent["sla"]["clock"], "natural (24×7)");
    // Gold has phone support; a formal complaint is escalated at once. (The
    // call is logged as taken yesterday at 11:00 UTC, within the phone
    // line's hours, so the test does not depend on the hour it runs.)
    let in_hours = format!(
        "{}T11:00:00.000Z",
        (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%d")
    );
    let call_in = json(&open(
        &host,
        "staff",
        json!({"customer_id": "T-GOLD", "kind": "question", "channel": "phone", "subject": "Invoice question",
               "complaint": true, "received_at": in_hours}),
    ));
    assert_eq!(call_in["state"], "escalated");
    let notices: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM notice_outbox WHERE kind = 'ticket.escalated'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(notices, 1);
    // A retry under the same key is the same ticket.
    let body =
        json!({"customer_id": "T-GOLD", "kind": "question", "channel": "email", "subject": "Same"});
    let a = call_with(
        &host,
        Some("webform"),
        "POST",
        "/api/v1/tickets",
        Some(&body),
        &[("idempotency-key", "t-1")],
    );
    let b = call_with(
        &host,
        Some("webform"),
        "POST",
        "/api/v1/tickets",
        Some(&body),
        &[("idempotency-key", "t-1")],
    );
    assert_eq!(json(&a)["id"], json(&b)["id"]);
}

#[test]
fn intake_rules_refuse_with_a_clear_problem() {
    let (_app, host) = boot();
    store_customer(&host, "T-SILVER", "silver", false);
    let p = problem(
        &open(
            &host,
            "webform",
            json!({"customer_id": "T-SILVER", "kind": "question", "priority": "high", "channel": "web_form", "subject": "Q"}),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["priority"]);
    let p = problem(
        &open(
            &host,
            "webform",
            json!({"customer_id": "T-SILVER", "kind": "incident", "channel": "web_form", "subject": "Broken"}),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["priority"]);
    // Silver has no phone line: the caller is pointed to the ticket channel.
    let p = problem(
        &open(
            &host,
            "webform",
            json!({"customer_id": "T-SILVER", "kind": "question", "channel": "phone", "subject": "Q"}),
        ),
        422,
        "no-phone-support",
    );
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("silver plan does not include phone support"),
        "{p}"
    );
    // Staff only write up change requests.
    problem(
        &open(
            &host,
            "staff",
            json!({"customer_id": "T-SILVER", "kind": "question", "channel": "email", "subject": "Q"}),
        ),
        422,
        "customer-opens-tickets",
    );
    let change = json!({"customer_id": "T-SILVER", "kind": "change_request", "urgency": "urgent", "complexity": "moderate", "channel": "email", "subject": "New filter"});
    assert_eq!(open(&host, "staff", change.clone()).status, 201);
    assert_eq!(open(&host, "webform", change.clone()).status, 201);
    let p = problem(&open(&host, "webform", change), 409, "change-request-limit");
    assert!(p["detail"].as_str().unwrap().contains("at most 2"), "{p}");
    let low = json!({"customer_id": "T-SILVER", "kind": "change_request", "urgency": "low", "complexity": "simple", "channel": "email", "subject": "Typo"});
    assert_eq!(
        open(&host, "webform", low).status,
        201,
        "low urgency does not count"
    );
    problem(
        &open(
            &host,
            "staff",
            json!({"customer_id": "NOBODY", "kind": "question", "channel": "email", "subject": "Q"}),
        ),
        404,
        "not-found",
    );
    problem(
        &call(&host, Some("staff"), "GET", "/api/v1/tickets/999", None),
        404,
        "not-found",
    );
}

#[test]
fn concurrent_urgent_change_requests_respect_the_monthly_limit() {
    let app = e2e::App::new();
    let host = app.start_with(&["--max-instances", "64"]);
    store_customer(&host, "T-BURST", "bronze", false);
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..20)
            .map(|i| {
                let host = &host;
                s.spawn(move || {
                    open(host, "webform", json!({"customer_id": "T-BURST", "kind": "change_request", "urgency": "medium", "complexity": "simple", "channel": "web_form", "subject": format!("Change {i}")})).status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        2,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
}

fn event(host: &e2e::Host, role: &str, id: i64, event: &str) -> e2e::Response {
    call(
        host,
        Some(role),
        "POST",
        &format!("/api/v1/tickets/{id}/events"),
        Some(&json!({ "event": event, "note": format!("{event} by {role}") })),
    )
}

#[test]
fn waiting_on_the_customer_stops_the_clocks_and_every_move_is_checked() {
    let (app, host) = boot();
    store_customer(&host, "T-LIFE", "platinum", false);
    let t = json(&open(
        &host,
        "webform",
        json!({"customer_id": "T-LIFE", "kind": "incident", "priority": "medium", "channel": "web_form", "subject": "Contact form broken"}),
    ));
    let id = t["id"].as_i64().unwrap();
    // The team asks the customer: first response met, the clocks stop.
    let asked = json(&event(&host, "customer_success", id, "ask_customer"));
    assert_eq!(asked["state"], "pending_customer");
    assert!(asked["sla"]["first_response"]["met_at"].is_string());
    assert_eq!(
        asked["sla"]["resolution"]["due"],
        serde_json::Value::Null,
        "no due time while paused"
    );
    let sla = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/tickets/{id}/sla"),
        None,
    ));
    assert_eq!(
        sla["clocks"][1]["status"],
        "paused: waiting on the customer"
    );
    assert_eq!(sla["clocks"][1]["pauses"].as_array().unwrap().len(), 1);
    // The team cannot send the customer's reply, nor the customer the team's events.
    problem(
        &event(&host, "customer_success", id, "customer_reply"),
        403,
        "forbidden",
    );
    problem(&event(&host, "webform", id, "resolve"), 403, "forbidden");
    // The customer answers: the clock runs again with a due time.
    let back = json(&event(&host, "webform", id, "customer_reply"));
    assert_eq!(back["state"], "open");
    assert!(back["sla"]["resolution"]["due"].is_string());
    let resolved = json(&event(&host, "staff", id, "resolve"));
    assert!(resolved["sla"]["resolution"]["met_at"].is_string());
    let p = problem(
        &event(&host, "webform", id, "customer_reply"),
        409,
        "invalid-ticket-transition",
    );
    assert!(p["detail"].as_str().unwrap().contains("reopen it"), "{p}");
    assert_eq!(json(&event(&host, "staff", id, "close"))["state"], "closed");
    // Reopened within 7 days: open again, the resolution clock runs on.
    let reopened = json(&event(&host, "chatbot", id, "reopen"));
    assert_eq!(reopened["state"], "open");
    assert_eq!(
        reopened["sla"]["resolution"]["met_at"],
        serde_json::Value::Null
    );
    assert_eq!(
        json(&event(&host, "customer_success", id, "escalate"))["state"],
        "escalated"
    );
    problem(
        &event(&host, "customer_success", id, "escalate"),
        409,
        "invalid-ticket-transition",
    );
    problem(
        &event(&host, "staff", id, "close"),
        409,
        "invalid-ticket-transition",
    );
    let p = problem(
        &call(
            &host,
            Some("staff"),
            "POST",
            &format!("/api/v1/tickets/{id}/events"),
            Some(&json!({"event": "vanish"})),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["event"]);
    let moves: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM audit_events WHERE entity_type = 'ticket' AND entity_id = ?1 AND action <> 'ticket.opened'",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    // first response, pending, open, resolved, closed, open, escalated
    assert_eq!(moves, 7);
}

/// Acceptance finding (issue 18 §11): a met clock is final. Once answered,
/// the first-response clock reads `met` with the due time it was met against,
/// whatever waits on the customer follow; the same once resolved.
#[test]
fn a_met_clock_keeps_its_status_and_due_time_through_later_waits() {
    let (_app, host) = boot();
    store_customer(&host, "T-MET", "gold", false);
    let t = json(&open(
        &host,
        "webform",
        json!({"customer_id": "T-MET", "kind": "incident", "priority": "medium", "channel": "web_form", "subject": "Invoices page blank"}),
    ));
    let id = t["id"].as_i64().unwrap();
    let clocks = |role: &str| {
        let sla = json(&call(
            &host,
            Some(role),
            "GET",
            &format!("/api/v1/tickets/{id}/sla"),
            None,
        ));
        sla["clocks"].as_array().unwrap().clone()
    };
    let replied = json(&event(&host, "customer_success", id, "team_reply"));
    let due = replied["sla"]["first_response"]["due"].clone();
    assert!(due.is_string(), "{replied}");
    assert_eq!(clocks("staff")[0]["status"], "met");
    let asked = json(&event(&host, "customer_success", id, "ask_customer"));
    assert_eq!(asked["state"], "pending_customer");
    assert_eq!(asked["sla"]["first_response"]["due"], due);
    // Read by staff and by the member's web form alike: met, due unchanged.
    for role in ["staff", "webform"] {
        let first = &clocks(role)[0];
        assert_eq!(
            (&first["status"], &first["due"]),
            (&json!("met"), &due),
            "{role}: {first}"
        );
        assert_eq!(first["pauses"], json!([]), "a later wait is not its pause");
    }
    event(&host, "webform", id, "customer_reply");
    assert_eq!(clocks("webform")[0]["status"], "met");
    assert_eq!(clocks("webform")[0]["due"], due);
    // Resolved: the resolution clock keeps its due time and reads met, not null.
    let before = clocks("staff")[1]["due"].clone();
    let resolved = json(&event(&host, "staff", id, "resolve"));
    assert_eq!(resolved["sla"]["resolution"]["due"], before);
    let resolution = &clocks("webform")[1];
    assert_eq!(
        (&resolution["status"], &resolution["due"]),
        (&json!("met"), &before)
    );
}

fn opened(host: &e2e::Host, role: &str, body: serde_json::Value) -> i64 {
    let r = open(host, role, body);
    assert_eq!(r.status, 201, "{}", r.body);
    json(&r)["id"].as_i64().unwrap()
}

fn queue(host: &e2e::Host, query: &str) -> Vec<i64> {
    let r = call(
        host,
        Some("customer_success"),
        "GET",
        &format!("/api/v1/tickets/queue{query}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn the_queue_orders_by_priority_key_account_then_time_to_breach_and_filters() {
    let (app, host) = boot();
    store_customer(&host, "Q-KEY", "gold", true);
    store_customer(&host, "Q-STD", "gold", false);
    let incident = |customer: &str, priority: &str| json!({"customer_id": customer, "kind": "incident", "priority": priority, "channel": "web_form", "subject": "Broken"});
    let medium = opened(&host, "webform", incident("Q-STD", "medium"));
    let medium_key = opened(&host, "webform", incident("Q-KEY", "medium"));
    let very_high = opened(&host, "chatbot", incident("Q-STD", "very_high"));
    let change = opened(
        &host,
        "staff",
        json!({"customer_id": "Q-STD", "kind": "change_request", "urgency": "low", "complexity": "simple",
               "channel": "email", "subject": "New banner"}),
    );
    let high_late = opened(&host, "webform", incident("Q-STD", "high"));
    let high_soon = opened(&host, "webform", incident("Q-STD", "high"));
    // One high incident is past its first-response due time.
    app.database()
        .execute(
            "UPDATE tickets SET first_response_due = '2026-11-02T12:00:00.000Z' WHERE id = ?",
            [high_late],
        )
        .unwrap();
    assert_eq!(
        queue(&host, ""),
        [very_high, high_late, high_soon, medium_key, medium, change]
    );
    let full = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/tickets/queue?breached=true",
        None,
    ));
    let late = &full["tickets"][0];
    assert_eq!(late["id"], high_late);
    assert_eq!(late["queue"]["breached"], true);
    assert_eq!(late["queue"]["next_clock"], "first_response");
    assert!(late["queue"]["minutes_to_breach"].as_i64().unwrap() < 0);
    assert_eq!(full["tickets"].as_array().unwrap().len(), 1);
    assert_eq!(queue(&host, "?team=change_requests"), [change]);
    assert_eq!(
        json(&call(
            &host,
            Some("staff"),
            "GET",
            &format!("/api/v1/tickets/{change}"),
            None
        ))["team"],
        "change_requests"
    );
    assert_eq!(
        queue(&host, "?team=customer_care&limit=2"),
        [very_high, high_late]
    );
    // Waiting on the customer: a state filter finds it; a key account still comes first in its priority.
    event(&host, "customer_success", medium_key, "ask_customer");
    assert_eq!(queue(&host, "?state=pending_customer"), [medium_key]);
    assert_eq!(
        queue(&host, "?breached=false"),
        [very_high, high_soon, medium_key, medium, change]
    );
    let p = problem(
        &call(
            &host,
            Some("staff"),
            "GET",
            "/api/v1/tickets/queue?team=sales",
            None,
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["team"]);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("customer_care"),
        "{p}"
    );
    let p = problem(
        &call(
            &host,
            Some("staff"),
            "GET",
            "/api/v1/tickets/queue?state=lost",
            None,
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["state"]);
}

#[test]
fn staff_split_a_ticket_into_one_topic_tickets() {
    let (app, host) = boot();
    store_customer(&host, "SP-1", "silver", false);
    let parent = opened(
        &host,
        "webform",
        json!({"customer_id": "SP-1", "kind": "incident", "priority": "high", "channel": "web_form",
               "subject": "Checkout slow and how do I export orders?"}),
    );
    let path = format!("/api/v1/tickets/{parent}/split");
    let body = json!({"topics": [{"subject": "Checkout slow"},
                                 {"subject": "How do I export orders?", "kind": "question"}],
                      "note": "two topics in one ticket"});
    problem(
        &call(&host, Some("customer_success"), "POST", &path, Some(&body)),
        403,
        "forbidden",
    );
    let bad =
        json!({"topics": [{"subject": ""}, {"subject": "A change", "kind": "change_request"}]});
    let p = problem(
        &call(&host, Some("staff"), "POST", &path, Some(&bad)),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["topics[0].subject", "topics[1].urgency"]);
    let one = json!({"topics": [{"subject": "Only one"}]});
    let p = problem(
        &call(&host, Some("staff"), "POST", &path, Some(&one)),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["topics"]);

    let r = call(&host, Some("staff"), "POST", &path, Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    let split = json(&r);
    assert_eq!(split["parent"]["state"], "closed");
    let parts = split["tickets"].as_array().unwrap();
    assert_eq!(parts[0]["kind"], "incident");
    assert_eq!(parts[0]["priority"], "high");
    assert_eq!(parts[1]["kind"], "question");
    assert_eq!(parts[1]["priority"], serde_json::Value::Null);
    // Their clocks started when the customer asked.
    for part in parts {
        assert_eq!(part["opened_at"], split["parent"]["opened_at"]);
        assert_eq!(part["customer_id"], "SP-1");
    }
    let numbers = format!(
        "split into #{}, #{}: two topics in one ticket",
        parts[0]["id"], parts[1]["id"]
    );
    let reason: String = app
        .database()
        .query_row(
            "SELECT reason FROM audit_events WHERE entity_type = 'ticket' AND entity_id = ? AND action = 'ticket.closed'",
            [parent.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(reason, numbers);
    // A closed ticket is not split again.
    problem(
        &call(&host, Some("staff"), "POST", &path, Some(&body)),
        409,
        "invalid-ticket-transition",
    );
}

#[test]
fn a_customer_may_have_their_own_calendar_and_a_calendar_in_use_is_not_deleted() {
    let (app, host) = boot();
    let canary = json!({"zone": "Atlantic/Canary",
        "week": [{"day": "mon", "start": "08:00", "end": "17:00"}, {"day": "tue", "start": "08:00", "end": "17:00"},
                 {"day": "wed", "start": "08:00", "end": "17:00"}, {"day": "thu", "start": "08:00", "end": "17:00"},
                 {"day": "fri", "start": "08:00", "end": "17:00"}]});
    for id in ["canarias", "spare"] {
        let r = call(
            &host,
            Some("staff"),
            "PUT",
            &format!("/api/v1/calendars/{id}"),
            Some(&canary),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let put = |id: &str, facts: serde_json::Value| {
        call(
            &host,
            Some("staff"),
            "PUT",
            &format!("/api/v1/customers/{id}"),
            Some(&e2e::customer(facts)),
        )
    };
    let p = problem(
        &put("CAL-1", json!({"support_calendar": "Las Palmas"})),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["facts.support_calendar"]);
    assert_eq!(
        put("CAL-1", json!({"support_calendar": "canarias"})).status,
        201
    );
    assert_eq!(
        put("CAL-2", json!({"support_calendar": "nowhere"})).status,
        201
    );
    let question = |customer: &str| json!({"customer_id": customer, "kind": "question", "channel": "web_form", "subject": "Invoices?"});
    let t = json(&open(&host, "webform", question("CAL-1")));
    assert_eq!(t["sla"]["calendar"], "canarias");
    let p = problem(
        &open(&host, "webform", question("CAL-2")),
        422,
        "calendar-missing",
    );
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("customer's own calendar `nowhere`"),
        "{p}"
    );

    let delete = |id: &str| {
        call(
            &host,
            Some("staff"),
            "DELETE",
            &format!("/api/v1/calendars/{id}"),
            None,
        )
    };
    let p = problem(&delete("canarias"), 409, "calendar-in-use");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("a ticket not closed, a customer"),
        "{p}"
    );
    problem(&delete("default"), 409, "calendar-in-use");
    assert_eq!(delete("spare").status, 204);
    problem(&delete("spare"), 404, "not-found");
    let deleted: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'calendar.deleted' AND entity_id = 'spare' AND actor LIKE 'staff%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(deleted, 1);
}
