//! The SLA sweep in time-travel: tickets are set back to a chosen week in
//! the database, then the `tickets` component's cron entry (the SLA sweep) is fired with `--at`
//! (and the HTTP sweep with `as_of`), so weeks of calendar pass in seconds.
//! Expected times are worked out by hand on the default calendar (Mon–Fri
//! 08:00–17:00 Europe/Madrid), across both DST changes of 2026.

use e2e::{boot, call, json, problem, store_customer, App, Host};
use serde_json::{json, Value};

fn open(host: &Host, customer: &str, extra: Value) -> i64 {
    let mut body = json!({"customer_id": customer, "kind": "incident", "priority": "medium",
                          "channel": "web_form", "subject": "Contact form broken"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = call(
        host,
        Some("webform"),
        "POST",
        "/api/v1/tickets",
        Some(&body),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    json(&r)["id"].as_i64().unwrap()
}

fn event(host: &Host, role: &str, id: i64, event: &str) -> Value {
    let r = call(
        host,
        Some(role),
        "POST",
        &format!("/api/v1/tickets/{id}/events"),
        Some(&json!({ "event": event })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)
}

/// Moves a ticket's intake (and every time of it so far) to `at`.
fn set_back(app: &App, id: i64, at: &str) {
    let db = app.database();
    db.execute(
        "UPDATE tickets SET opened_at = ?2, last_team_feedback_at = ?2, updated_at = ?2,
                first_responded_at = CASE WHEN first_responded_at IS NULL THEN NULL ELSE ?2 END
         WHERE id = ?1",
        rusqlite::params![id, at],
    )
    .unwrap();
    db.execute(
        "UPDATE ticket_pauses SET from_at = ?2 WHERE ticket_id = ?1",
        rusqlite::params![id, at],
    )
    .unwrap();
}

/// Fires the `tickets` component's cron entry (the SLA sweep) as the scheduler would at `at`.
fn fire(app: &App, at: &str) {
    app.fire_cron("tickets", at);
}

/// The ticket's recorded clock events: (kind, due_at, notify), in due order.
fn clock_events(app: &App, id: i64) -> Vec<(String, String, String)> {
    let db = app.database();
    let mut q = db
        .prepare(
            "SELECT kind, due_at, notify FROM ticket_clock_events
             WHERE ticket_id = ? AND kind NOT LIKE 'level.%' ORDER BY due_at, key",
        )
        .unwrap();
    q.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn count(app: &App, sql: &str) -> i64 {
    app.database().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn state(host: &Host, id: i64) -> String {
    json(&call(
        host,
        Some("staff"),
        "GET",
        &format!("/api/v1/tickets/{id}"),
        None,
    ))["state"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn silence_walks_through_warning_breach_four_follow_ups_and_escalation_across_the_march_dst_change()
{
    let (app, host) = boot();
    store_customer(&host, "S-GOLD", "gold", false);
    // Medium × gold: first response 4 business hours, resolution 5 business days (45 h).
    let id = open(&host, "S-GOLD", json!({}));
    // Opened Monday 2 March 2026, 09:00 Madrid (UTC+1).
    set_back(&app, id, "2026-03-02T08:00:00.000Z");

    fire(&app, "2026-03-02T10:59:00Z");
    assert!(clock_events(&app, id).is_empty());
    // 3 of 4 business hours: the 75 % warning, to the team.
    fire(&app, "2026-03-02T11:00:00Z");
    assert_eq!(
        clock_events(&app, id),
        [(
            "first_response.warning".into(),
            "2026-03-02T11:00:00.000Z".into(),
            "team:customer_care".into()
        )]
    );
    // Fired twice at the same minute: nothing more, no second notice.
    fire(&app, "2026-03-02T11:00:00Z");
    assert_eq!(clock_events(&app, id).len(), 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notice_outbox WHERE kind LIKE 'ticket.%' AND kind NOT LIKE 'ticket.level.%'"
        ),
        1
    );
    fire(&app, "2026-03-02T12:30:00Z");
    // The breach goes to the team lead, and to the customer with a new
    // estimate (002 §9.7): 150 % of 4 h from 09:00 is 15:00 Madrid.
    assert_eq!(
        clock_events(&app, id)[1..],
        [
            (
                "first_response.breach".into(),
                "2026-03-02T12:00:00.000Z".into(),
                "team_lead:customer_care".into()
            ),
            (
                "first_response.breach_notice".into(),
                "2026-03-02T12:00:00.000Z".into(),
                "customer".into()
            )
        ]
    );
    let told: String = app
        .database()
        .query_row(
            "SELECT json_extract(payload, '$.reason') FROM notice_outbox WHERE kind = 'ticket.first_response.breach_notice'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        told,
        "we missed the first_response target; our new estimate is 2026-03-02 14:00 UTC"
    );
    fire(&app, "2026-03-02T12:31:00Z");
    assert_eq!(clock_events(&app, id).len(), 3, "told once");

    // A month of downtime, then one HTTP catch-up run: every event once, in
    // order, each dated when it fell due. Follow-ups every 48 business hours
    // from the intake (8 h on the Monday, 9 a day after): Mon 9 Mar 12:00,
    // Mon 16 Mar 15:00, Tue 24 Mar 09:00 (UTC+1), then across the change to
    // summer time Tue 31 Mar 12:00 (UTC+2), with the escalation to the head
    // of department.
    let run = call(
        &host,
        Some("scheduler"),
        "POST",
        "/api/v1/tickets/sla-sweep?as_of=2026-04-01T00:00:00Z",
        None,
    );
    assert_eq!(run.status, 200, "{}", run.body);
    let run = json(&run);
    assert_eq!(run["events_recorded"], 8, "{run}");
    assert_eq!(run["tickets_moved"], 1);
    let events: Vec<(String, String)> = clock_events(&app, id)
        .into_iter()
        .skip(3)
        .map(|(k, at, _)| (k, at))
        .collect();
    let expected = [
        ("resolution.warning", "2026-03-05T14:45:00.000Z"),
        ("resolution.breach", "2026-03-09T08:00:00.000Z"),
        ("resolution.breach_notice", "2026-03-09T08:00:00.000Z"),
        ("follow_up.1", "2026-03-09T11:00:00.000Z"),
        ("follow_up.2", "2026-03-16T14:00:00.000Z"),
        ("follow_up.3", "2026-03-24T08:00:00.000Z"),
        ("escalation.head_of_department", "2026-03-31T10:00:00.000Z"),
        ("follow_up.4", "2026-03-31T10:00:00.000Z"),
    ];
    assert_eq!(
        events,
        expected.map(|(k, at)| (k.to_string(), at.to_string()))
    );
    assert_eq!(state(&host, id), "escalated");
    // The history explains it: the escalation, by the sweep, with why.
    let history = json(&call(
        &host,
        Some("customer_success"),
        "GET",
        &format!("/api/v1/tickets/{id}/history"),
        None,
    ));
    let moved = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "ticket.escalated")
        .unwrap_or_else(|| panic!("{history}"));
    assert_eq!(moved["at"], "2026-03-31T10:00:00.000Z");
    assert!(
        moved["reason"]
            .as_str()
            .unwrap()
            .starts_with("follow-up 4 is due: 192 business hours without feedback"),
        "{moved}"
    );
    let notice: String = app
        .database()
        .query_row(
            "SELECT json_extract(payload, '$.to') FROM notice_outbox WHERE kind = 'ticket.escalation.head_of_department'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(notice, "head_of_department");

    // Re-runs write nothing: HTTP and cron.
    let again = json(&call(
        &host,
        Some("scheduler"),
        "POST",
        "/api/v1/tickets/sla-sweep?as_of=2026-04-01T00:00:00Z",
        None,
    ));
    assert_eq!(again["events_recorded"], 0, "{again}");
    fire(&app, "2026-04-01T00:00:00Z");
    assert_eq!(clock_events(&app, id).len(), 11);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notice_outbox WHERE kind LIKE 'ticket.%' AND kind NOT LIKE 'ticket.level.%'"
        ),
        11
    );
    // The events are append-only.
    let db = app.database();
    assert!(db
        .execute("DELETE FROM ticket_clock_events WHERE ticket_id = ?", [id])
        .is_err());

    // A team answer starts a new silence: follow-ups count from it.
    let answered = event(&host, "customer_success", id, "team_reply");
    assert_eq!(answered["state"], "escalated");
    let rerun = json(&call(
        &host,
        Some("scheduler"),
        "POST",
        "/api/v1/tickets/sla-sweep",
        None,
    ));
    assert_eq!(rerun["events_recorded"], 0, "{rerun}");
    // The HTTP sweep judges the past only; a scheduler alone may run it.
    problem(
        &call(
            &host,
            Some("scheduler"),
            "POST",
            "/api/v1/tickets/sla-sweep?as_of=2099-01-01T00:00:00Z",
            None,
        ),
        422,
        "as-of-in-future",
    );
    problem(
        &call(
            &host,
            Some("scheduler"),
            "POST",
            "/api/v1/tickets/sla-sweep?as_of=yesterday",
            None,
        ),
        400,
        "validation-error",
    );
}

#[test]
fn a_silent_customer_is_reminded_then_the_ticket_closes_across_the_october_dst_change() {
    let (app, host) = boot();
    store_customer(&host, "S-WAIT", "silver", false);
    let id = open(&host, "S-WAIT", json!({"priority": "low"}));
    let asked = event(&host, "customer_success", id, "ask_customer");
    assert_eq!(asked["state"], "pending_customer");
    // Waiting on the customer from Thursday 22 October 2026, 10:00 Madrid (UTC+2).
    set_back(&app, id, "2026-10-22T08:00:00.000Z");
    // No follow-ups while waiting; the paused clocks bring nothing.
    fire(&app, "2026-10-27T08:59:00Z");
    assert!(
        clock_events(&app, id).is_empty(),
        "{:?}",
        clock_events(&app, id)
    );
    // 3 business days (27 h): Thu 7, Fri 9, Mon 9 (winter time, UTC+1 from
    // Sunday 25), Tue 2 → Tuesday 27 October 10:00 Madrid = 09:00 UTC.
    fire(&app, "2026-10-27T09:00:00Z");
    assert_eq!(
        clock_events(&app, id),
        [(
            "reminder".into(),
            "2026-10-27T09:00:00.000Z".into(),
            "customer".into()
        )]
    );
    assert_eq!(state(&host, id), "pending_customer");
    // 7 business days (63 h): Monday 2 November 10:00 Madrid = 09:00 UTC.
    fire(&app, "2026-11-02T08:59:00Z");
    assert_eq!(state(&host, id), "pending_customer");
    fire(&app, "2026-11-02T09:01:00Z");
    let closed = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/tickets/{id}"),
        None,
    ));
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["closed_at"], "2026-11-02T09:00:00.000Z");
    assert_eq!(clock_events(&app, id).len(), 2);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'ticket.closed' AND reason LIKE 'waiting on the customer for 7 business days%'"
        ),
        1
    );
    // A closed ticket is no longer swept.
    let run = json(&call(
        &host,
        Some("scheduler"),
        "POST",
        "/api/v1/tickets/sla-sweep",
        None,
    ));
    assert_eq!(run["tickets_swept"], 0, "{run}");
}

#[test]
fn a_customer_reply_before_the_sweep_makes_the_reminder_moot() {
    let (app, host) = boot();
    store_customer(&host, "S-BACK", "bronze", false);
    let id = open(
        &host,
        "S-BACK",
        json!({"kind": "question", "priority": null}),
    );
    event(&host, "staff", id, "ask_customer");
    set_back(&app, id, "2026-10-05T08:00:00.000Z");
    // The customer answers before any sweep ran: the wait is over.
    event(&host, "webform", id, "customer_reply");
    fire(&app, "2026-10-09T12:00:00Z");
    assert!(clock_events(&app, id)
        .iter()
        .all(|(k, _, _)| k != "reminder" && k != "auto_close"));
    assert_eq!(state(&host, id), "open");
}
