//! Tickets (first part): business calendars as data and the deadline
//! arithmetic on them, through the wasm component.

use e2e::{boot, call, call_with, fields, json, problem};
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
