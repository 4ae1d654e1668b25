//! The ticket workspace (issue 18): the conversation (public messages,
//! internal notes, attachments' metadata) and who works a ticket.

use e2e::{boot, call, call_with, fields, json, member_token, problem, store_customer, Host};
use serde_json::{json, Value};

fn open_ticket(host: &Host, customer: &str, description: &str) -> i64 {
    let r = call(
        host,
        Some("webform"),
        "POST",
        "/api/v1/tickets",
        Some(
            &json!({"customer_id": customer, "kind": "incident", "priority": "medium",
                     "channel": "web_form", "subject": "Router", "description": description}),
        ),
    );
    json(&r)["id"].as_i64().unwrap()
}

fn say(host: &Host, role: &str, ticket: i64, body: Value) -> e2e::Response {
    call(
        host,
        Some(role),
        "POST",
        &format!("/api/v1/tickets/{ticket}/messages"),
        Some(&body),
    )
}

fn conversation(host: &Host, role: &str, ticket: i64) -> Vec<Value> {
    let r = call(
        host,
        Some(role),
        "GET",
        &format!("/api/v1/tickets/{ticket}/messages"),
        None,
    );
    json(&r)["messages"].as_array().unwrap().clone()
}

/// A ticket event as `role`.
fn event(host: &Host, role: &str, ticket: i64, event: &str) -> e2e::Response {
    call(
        host,
        Some(role),
        "POST",
        &format!("/api/v1/tickets/{ticket}/events"),
        Some(&json!({ "event": event })),
    )
}

/// The SLA sweep as of now, as the scheduler runs it.
fn sweep_now(host: &Host) -> Value {
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    json(&call(
        host,
        Some("scheduler"),
        "POST",
        &format!("/api/v1/tickets/sla-sweep?as_of={now}"),
        None,
    ))
}

fn file(size: u64, media: &str) -> Value {
    json!({"name": "photo.png", "media_type": media, "size_bytes": size,
           "sha256": "0f".repeat(32), "url": "https://files.example.test/photo.png"})
}

#[test]
fn the_conversation_carries_replies_notes_and_attachments() {
    let (app, host) = boot();
    store_customer(&host, "T-CONV", "gold", false);
    store_customer(&host, "T-OTHER", "gold", false);
    let id = open_ticket(&host, "T-CONV", "The router blinks red since this morning");
    // The description is the first message, on the customer's side.
    let first = conversation(&host, "staff", id);
    assert_eq!(first.len(), 1);
    assert_eq!(
        (&first[0]["side"], &first[0]["body"]),
        (
            &json!("customer"),
            &json!("The router blinks red since this morning")
        )
    );
    // An internal note moves nothing and only the team sees it.
    let note = json(&say(
        &host,
        "customer_success",
        id,
        json!({"body": "Line test shows packet loss", "visibility": "internal"}),
    ));
    assert_eq!(note["ticket"]["state"], "new");
    assert_eq!(
        note["ticket"]["sla"]["first_response"]["met_at"],
        Value::Null
    );
    assert_eq!(conversation(&host, "customer_success", id).len(), 2);
    assert_eq!(
        conversation(&host, "webform", id).len(),
        1,
        "no note for a web form"
    );
    let token = member_token(&host, "T-CONV").unwrap();
    let mine = call_with(
        &host,
        None,
        "GET",
        &format!("/api/v1/me/tickets/{id}/messages"),
        None,
        &[("authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(json(&mine)["messages"].as_array().unwrap().len(), 1);
    let p = problem(
        &say(
            &host,
            "webform",
            id,
            json!({"body": "psst", "visibility": "internal"}),
        ),
        403,
        "forbidden",
    );
    assert!(
        p["detail"].as_str().unwrap().contains("internal notes"),
        "{p}"
    );
    // The team's public answer is the first response and goes to the customer.
    let answer = json(&say(
        &host,
        "customer_success",
        id,
        json!({"body": "Please restart it; a technician calls at 16:00", "attachments": [file(2048, "image/png")]}),
    ));
    assert_eq!(answer["ticket"]["state"], "open");
    assert!(answer["ticket"]["sla"]["first_response"]["met_at"].is_string());
    assert_eq!(answer["message"]["attachments"][0]["size_bytes"], 2048);
    let message_id = answer["message"]["id"].as_i64().unwrap();
    let (kind, channel): (String, String) = app
        .database()
        .query_row(
            "SELECT kind, json_extract(payload, '$.channel') FROM notice_outbox WHERE id = ?1",
            [format!("ticket-message-{message_id}")],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (kind.as_str(), channel.as_str()),
        ("ticket.message", "web_form")
    );
    // Waiting on the customer, their message starts the clocks again.
    event(&host, "customer_success", id, "ask_customer");
    let reply = json(&say(
        &host,
        "webform",
        id,
        json!({"body": "Restarted, still red"}),
    ));
    assert_eq!(reply["ticket"]["state"], "open");
    assert_eq!(reply["message"]["side"], "customer");
    // Files are checked against the programme: size, type, and each field.
    problem(
        &say(
            &host,
            "webform",
            id,
            json!({"body": "video", "attachments": [file(11 * 1024 * 1024, "image/png")]}),
        ),
        413,
        "attachment-too-large",
    );
    problem(
        &say(
            &host,
            "webform",
            id,
            json!({"body": "exe", "attachments": [file(10, "application/x-msdownload")]}),
        ),
        415,
        "attachment-type-not-allowed",
    );
    let mut bad = file(10, "image/png");
    bad["sha256"] = json!("nope");
    let p = problem(
        &say(
            &host,
            "webform",
            id,
            json!({"body": " ", "attachments": [bad]}),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["body", "attachments[0].sha256"]);
    // Another member's ticket is not found through their token.
    let other = member_token(&host, "T-OTHER").unwrap();
    let foreign = call_with(
        &host,
        None,
        "POST",
        &format!("/api/v1/me/tickets/{id}/messages"),
        Some(&json!({"body": "hello"})),
        &[("authorization", &format!("Bearer {other}"))],
    );
    problem(&foreign, 404, "not-found");
    // A retry with the same key gives the same message, recorded once.
    let keyed = |key: &str| {
        call_with(
            &host,
            Some("webform"),
            "POST",
            &format!("/api/v1/tickets/{id}/messages"),
            Some(&json!({"body": "Any news?"})),
            &[("idempotency-key", key)],
        )
    };
    let once = keyed("news-1");
    let again = keyed("news-1");
    assert_eq!(once.status, 201, "{}", once.body);
    assert_eq!(json(&once)["message"]["id"], json(&again)["message"]["id"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    // Closed: no reply until it is reopened; a note is still taken.
    for step in ["resolve", "close"] {
        event(&host, "staff", id, step);
    }
    let p = problem(
        &say(&host, "webform", id, json!({"body": "One more thing"})),
        409,
        "invalid-ticket-transition",
    );
    assert!(
        p["detail"].as_str().unwrap().contains("reopen it first"),
        "{p}"
    );
    assert_eq!(
        say(
            &host,
            "staff",
            id,
            json!({"body": "Closed after the visit", "visibility": "internal"})
        )
        .status,
        201
    );
    let all = conversation(&host, "staff", id);
    let sides: Vec<(&str, &str)> = all
        .iter()
        .map(|m| {
            (
                m["side"].as_str().unwrap(),
                m["visibility"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sides,
        [
            ("customer", "public"),
            ("team", "internal"),
            ("team", "public"),
            ("customer", "public"),
            ("customer", "public"),
            ("team", "internal")
        ]
    );
}

#[test]
fn tickets_are_assigned_and_my_queue_lists_mine() {
    let (_app, host) = boot();
    store_customer(&host, "T-ASSIGN", "silver", false);
    let one = open_ticket(&host, "T-ASSIGN", "");
    let two = open_ticket(&host, "T-ASSIGN", "");
    let assign = |role: &str, ticket: i64, body: Value| {
        call(
            &host,
            Some(role),
            "POST",
            &format!("/api/v1/tickets/{ticket}/assignment"),
            Some(&body),
        )
    };
    let queue = |role: &str, query: &str| -> Vec<i64> {
        let r = call(
            &host,
            Some(role),
            "GET",
            &format!("/api/v1/tickets/queue?{query}"),
            None,
        );
        json(&r)["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    };
    let mine = json(&assign(
        "customer_success",
        one,
        json!({"assignee": "me", "reason": "my shift"}),
    ));
    let agent = mine["assignee"].as_str().unwrap().to_string();
    assert!(agent.starts_with("customer_success#"), "{mine}");
    assert_eq!(mine["team"], "customer_care");
    assert_eq!(queue("customer_success", "assignee=me"), [one]);
    assert_eq!(queue("staff", "assignee=me"), Vec::<i64>::new());
    let encoded = agent.replace('#', "%23");
    assert_eq!(queue("staff", &format!("assignee={encoded}")), [one]);
    // Another team takes it: the team queues follow, the agent stays.
    let moved = json(&assign("staff", one, json!({"team": "change_requests"})));
    assert_eq!(
        (&moved["team"], &moved["assignee"]),
        (&json!("change_requests"), &json!(agent))
    );
    assert_eq!(queue("staff", "team=change_requests"), [one]);
    assert_eq!(queue("staff", "team=customer_care"), [two]);
    // Unassigned, it is the team's again.
    let freed = json(&assign("staff", one, json!({"unassign": true})));
    assert_eq!(freed["assignee"], Value::Null);
    assert_eq!(queue("customer_success", "assignee=me"), Vec::<i64>::new());
    // Bad fields are named; the customer's side does not assign.
    let p = problem(
        &assign(
            "staff",
            two,
            json!({"team": "billing", "assignee": "ana lopez"}),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["assignee", "team"]);
    problem(
        &assign("webform", two, json!({"assignee": "me"})),
        403,
        "forbidden",
    );
    problem(
        &call(
            &host,
            Some("staff"),
            "GET",
            "/api/v1/tickets/queue?assignee=a%20b",
            None,
        ),
        400,
        "validation-error",
    );
    // Every change is in the history with who made it and what it was before.
    let history = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/tickets/{one}/history"),
        None,
    ));
    let assigned: Vec<&Value> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "ticket.assigned")
        .collect();
    assert_eq!(assigned.len(), 3, "{history}");
    assert_eq!(assigned[0]["actor"], json!(agent));
    assert_eq!(assigned[0]["reason"], "my shift");
    assert_eq!(assigned[2]["details"]["from_assignee"], json!(agent));
    assert_eq!(assigned[2]["details"]["assignee"], Value::Null);
}

#[test]
fn a_logged_call_or_email_starts_its_clocks_when_the_customer_made_contact() {
    let (_app, host) = boot();
    store_customer(&host, "T-LATE", "gold", false);
    let now = chrono::Utc::now();
    let at = |hours_ago: i64| {
        (now - chrono::Duration::hours(hours_ago))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let ticket = |role: &str, channel: &str, received: Value| {
        call(
            &host,
            Some(role),
            "POST",
            "/api/v1/tickets",
            Some(
                &json!({"customer_id": "T-LATE", "kind": "incident", "priority": "high",
                         "channel": channel, "subject": "Checkout down", "received_at": received}),
            ),
        )
    };
    // Staff log a call taken yesterday at 11:00 UTC (within the phone
    // line's 08:00-20:00 Madrid); the email gateway an email of 30 hours ago.
    let call_at = format!(
        "{}T11:00:00.000Z",
        (now - chrono::Duration::days(1)).format("%Y-%m-%d")
    );
    let logged = ticket("staff", "phone", json!(call_at));
    assert_eq!(logged.status, 201, "{}", logged.body);
    let logged = json(&logged);
    assert_eq!(logged["opened_at"], json!(call_at));
    let sla = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/tickets/{}/sla", logged["id"]),
        None,
    ));
    assert_eq!(sla["clocks"][0]["started"], json!(call_at));
    let email_at = at(30);
    let emailed = json(&ticket("scheduler", "email", json!(email_at)));
    assert_eq!(emailed["opened_at"], json!(email_at));
    // Only staff and the gateway say when; never in the future or too long ago.
    problem(
        &ticket("webform", "web_form", json!(at(1))),
        403,
        "forbidden",
    );
    let p = problem(
        &ticket("staff", "phone", json!(at(-1))),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["received_at"]);
    let p = problem(
        &ticket("staff", "phone", json!(at(73))),
        400,
        "validation-error",
    );
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("72 hours"),
        "{p}"
    );
    // Staff still do not open a customer's question by email on their behalf (002 §8.1).
    problem(
        &ticket("staff", "email", Value::Null),
        422,
        "customer-opens-tickets",
    );
}

#[test]
fn the_team_reclassifies_and_the_sla_explains_before_and_after() {
    let (_app, host) = boot();
    store_customer(&host, "T-REFILE", "gold", false);
    let opened = json(&call(
        &host,
        Some("webform"),
        "POST",
        "/api/v1/tickets",
        Some(
            &json!({"customer_id": "T-REFILE", "kind": "question", "channel": "web_form", "subject": "Cannot pay"}),
        ),
    ));
    let id = opened["id"].as_i64().unwrap();
    let refile = |role: &str, body: Value| {
        call(
            &host,
            Some(role),
            "POST",
            &format!("/api/v1/tickets/{id}/classification"),
            Some(&body),
        )
    };
    let p = problem(
        &refile("customer_success", json!({"kind": "incident"})),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["priority", "reason"]);
    problem(
        &refile(
            "webform",
            json!({"kind": "incident", "priority": "high", "reason": "x"}),
        ),
        403,
        "forbidden",
    );
    // No customer can pay: an outage, on the 24x7 clock with gold's 1 h first response.
    let refiled = json(&refile(
        "customer_success",
        json!({"kind": "incident", "priority": "very_high", "reason": "every payment fails"}),
    ));
    assert_eq!(
        (
            &refiled["kind"],
            &refiled["sla_priority"],
            &refiled["sla"]["clock"]
        ),
        (
            &json!("incident"),
            &json!("very_high"),
            &json!("natural (24×7)")
        )
    );
    assert_eq!(refiled["sla"]["first_response"]["target_minutes"], 60);
    let opened_at: chrono::DateTime<chrono::Utc> =
        refiled["opened_at"].as_str().unwrap().parse().unwrap();
    let due: chrono::DateTime<chrono::Utc> = refiled["sla"]["first_response"]["due"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        due - opened_at,
        chrono::Duration::hours(1),
        "from the intake"
    );
    let sla = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/tickets/{id}/sla"),
        None,
    ));
    let r = &sla["reclassifications"][0];
    assert_eq!(
        (&r["before"]["sla_priority"], &r["after"]["sla_priority"]),
        (&json!("low"), &json!("very_high"))
    );
    assert_eq!(
        r["before"]["first_response_due"],
        opened["sla"]["first_response"]["due"]
    );
    assert_eq!(
        r["after"]["first_response_due"],
        refiled["sla"]["first_response"]["due"]
    );
    assert!(
        r["why"].as_str().unwrap().contains("every payment fails"),
        "{r}"
    );
    assert_eq!(
        sla["clocks"][0]["due"],
        refiled["sla"]["first_response"]["due"]
    );
    // Once answered, the first-response clock is final; the resolution clock follows the new row.
    event(&host, "customer_success", id, "team_reply");
    let calmer = json(&refile(
        "staff",
        json!({"kind": "incident", "priority": "medium", "reason": "only one card brand fails"}),
    ));
    assert_eq!(
        calmer["sla"]["first_response"],
        json(&call(
            &host,
            Some("staff"),
            "GET",
            &format!("/api/v1/tickets/{id}"),
            None
        ))["sla"]["first_response"]
    );
    assert_eq!(calmer["sla"]["first_response"]["target_minutes"], 60);
    assert_eq!(
        calmer["sla"]["first_response"]["due"],
        refiled["sla"]["first_response"]["due"]
    );
    assert_eq!(calmer["sla"]["resolution"]["target_minutes"], 5 * 9 * 60);
    assert_eq!(calmer["sla"]["clock"], "business hours");
    // History keeps both, with who and why; a resolved ticket is not refiled.
    let history = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/tickets/{id}/history"),
        None,
    ));
    let reasons: Vec<&Value> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "ticket.reclassified")
        .map(|e| &e["reason"])
        .collect();
    assert_eq!(
        reasons,
        [
            &json!("every payment fails"),
            &json!("only one card brand fails")
        ]
    );
    event(&host, "staff", id, "resolve");
    problem(
        &refile("staff", json!({"kind": "question", "reason": "after all"})),
        409,
        "invalid-ticket-transition",
    );
}

#[test]
fn tickets_start_at_a_level_by_rule_and_climb_once_with_a_notice_to_the_new_owner() {
    let (app, host) = boot();
    store_customer(&host, "T-KEY", "gold", true);
    store_customer(&host, "T-SOS", "gold", false);
    let open = |customer: &str, channel: &str| {
        json(&call(
            &host,
            Some("webform"),
            "POST",
            "/api/v1/tickets",
            Some(
                &json!({"customer_id": customer, "kind": "incident", "priority": "medium",
                         "channel": channel, "subject": "Help"}),
            ),
        ))
    };
    let key = open("T-KEY", "web_form");
    assert_eq!(
        key["level"],
        json!({"current": "L2", "owner": "vip_technical_support", "started_at": "L2",
               "why": "a key account is never below L2"})
    );
    let sos = open("T-SOS", "emergency_line");
    assert_eq!(sos["level"]["current"], "L3");
    assert_eq!(sos["level"]["why"], "the emergency line starts at L3");
    // Opened a week ago, swept now (catch-up): the key account's ticket climbed
    // L2 → L3 → beyond L3, once each; the emergency call went to the
    // programme manager at once.
    let week_ago = (chrono::Utc::now() - chrono::Duration::days(7))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    app.database()
        .execute(
            "UPDATE tickets SET opened_at = ?1, last_team_feedback_at = ?1, updated_at = ?1",
            [&week_ago],
        )
        .unwrap();
    let run = sweep_now(&host);
    assert_eq!(run["events_by_kind"]["level.L3"], 1, "{run}");
    assert_eq!(run["events_by_kind"]["level.beyond"], 2, "{run}");
    assert_eq!(run["events_by_kind"]["emergency"], 1, "{run}");
    assert_eq!(sweep_now(&host)["events_recorded"], 0, "once");
    let now = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/tickets/{}", key["id"]),
        None,
    ));
    assert_eq!(
        (&now["level"]["current"], &now["level"]["owner"]),
        (&json!("beyond_l3"), &json!("program_manager"))
    );
    let notices: Vec<(String, String)> = {
        let db = app.database();
        let mut q = db
            .prepare(
                "SELECT kind, json_extract(payload, '$.to') FROM notice_outbox
                 WHERE json_extract(payload, '$.ticket_id') = ?1 AND kind LIKE 'ticket.level.%' ORDER BY kind",
            )
            .unwrap();
        q.query_map([key["id"].as_i64().unwrap()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    assert_eq!(
        notices,
        [
            (
                "ticket.level.L3".to_string(),
                "customer_success_manager".to_string()
            ),
            (
                "ticket.level.beyond".to_string(),
                "program_manager".to_string()
            )
        ]
    );
}

#[test]
fn a_resolved_ticket_gets_its_survey_once_and_first_contact_resolution_is_derived() {
    let (app, host) = boot();
    store_customer(&host, "T-CSAT", "silver", false);
    let id = open_ticket(&host, "T-CSAT", "Invoice PDF is blank");
    let answer = |role: &str, body: Value| {
        call(
            &host,
            Some(role),
            "POST",
            &format!("/api/v1/tickets/{id}/survey"),
            Some(&body),
        )
    };
    problem(
        &answer("webform", json!({"csat": 5})),
        409,
        "survey-not-open",
    );
    say(
        &host,
        "customer_success",
        id,
        json!({"body": "Fixed: download it again"}),
    );
    for step in ["resolve", "close"] {
        event(&host, "staff", id, step);
    }
    // Closed right after its resolution, it is still sent its survey a day later, once.
    let day_ago = (chrono::Utc::now() - chrono::Duration::hours(25))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    app.database()
        .execute(
            "UPDATE tickets SET resolved_at = ?1, closed_at = ?1 WHERE id = ?2",
            rusqlite::params![day_ago, id],
        )
        .unwrap();
    assert_eq!(sweep_now(&host)["events_by_kind"]["survey"], 1);
    assert_eq!(sweep_now(&host)["events_recorded"], 0);
    let p = problem(
        &answer("webform", json!({"csat": 6, "nps": 11})),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["csat", "nps"]);
    let first = answer(
        "webform",
        json!({"csat": 5, "nps": 9, "ces": 2, "comment": "quick"}),
    );
    assert_eq!(first.status, 201, "{}", first.body);
    let first = json(&first);
    assert_eq!(first["answer"]["csat"], 5);
    assert_eq!(first["first_contact_resolution"], true, "{first}");
    assert_eq!(first["team_answers"], 1);
    problem(&answer("staff", json!({"csat": 1})), 409, "survey-answered");
    let kept = json(&call(
        &host,
        Some("program_manager"),
        "GET",
        &format!("/api/v1/tickets/{id}/survey"),
        None,
    ));
    assert_eq!(kept["answer"]["csat"], 5);
    assert_eq!(kept["answer"]["comment"], "quick");
}

#[test]
fn channels_keep_their_hours_and_vip_email_is_answered_within_two_hours() {
    let (app, host) = boot();
    store_customer(&host, "T-NIGHT", "gold", false);
    store_customer(&host, "T-GOLDTIER", "gold", false);
    e2e::become_member(&host, "T-GOLDTIER");
    app.database()
        .execute(
            "UPDATE memberships SET tier = 'gold' WHERE customer_id = 'T-GOLDTIER'",
            [],
        )
        .unwrap();
    // Yesterday 22:00 UTC is 23:00 in Madrid: the VIP phone line is closed.
    let night = format!(
        "{}T22:00:00.000Z",
        (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%d")
    );
    let logged = |customer: &str, channel: &str| {
        call(
            &host,
            Some("staff"),
            "POST",
            "/api/v1/tickets",
            Some(
                &json!({"customer_id": customer, "kind": "incident", "priority": "medium",
                         "channel": channel, "subject": "Down", "received_at": night}),
            ),
        )
    };
    let p = problem(&logged("T-NIGHT", "phone"), 422, "channel-closed");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("sun 08:00–20:00 (Europe/Madrid)"),
        "{p}"
    );
    // A gold-tier member has the 24/7 line.
    assert_eq!(logged("T-GOLDTIER", "phone").status, 201);
    // By email, a member is promised 2 business hours; a customer the plan's 4.
    let emailed = |customer: &str| {
        json(&call(
            &host,
            Some("scheduler"),
            "POST",
            "/api/v1/tickets",
            Some(
                &json!({"customer_id": customer, "kind": "incident", "priority": "medium",
                         "channel": "email", "subject": "Slow"}),
            ),
        ))["sla"]["first_response"]["target_minutes"]
            .clone()
    };
    assert_eq!(emailed("T-GOLDTIER"), 120);
    assert_eq!(emailed("T-NIGHT"), 240);
    // The phone line's calendar is in use while the programme names it.
    problem(
        &call(
            &host,
            Some("staff"),
            "DELETE",
            "/api/v1/calendars/vip-phone",
            None,
        ),
        409,
        "calendar-in-use",
    );
}

#[test]
fn a_ticket_waits_on_a_provider_with_the_clocks_stopped_and_the_provider_is_chased() {
    let (app, host) = boot();
    store_customer(&host, "T-PROV", "gold", false);
    let id = open_ticket(&host, "T-PROV", "Checkout plug-in fails");
    event(&host, "customer_success", id, "team_reply");
    let hand = |body: Value| {
        call(
            &host,
            Some("customer_success"),
            "POST",
            &format!("/api/v1/tickets/{id}/provider-wait"),
            Some(&body),
        )
    };
    let soon = (chrono::Utc::now() + chrono::Duration::hours(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let past = (chrono::Utc::now() - chrono::Duration::hours(1))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let two_hours_ago = (chrono::Utc::now() - chrono::Duration::hours(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let p = problem(
        &hand(json!({"provider": " ", "committed_at": past})),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["provider", "committed_at"]);
    let waiting = hand(
        json!({"provider": "LogiCommerce", "committed_at": soon, "note": "their ticket 4711"}),
    );
    assert_eq!(waiting.status, 201, "{}", waiting.body);
    let waiting = json(&waiting);
    assert_eq!(waiting["waiting_on_provider"]["provider"], "LogiCommerce");
    assert_eq!(waiting["waiting_on_provider"]["pauses_clocks"], true);
    assert_eq!(waiting["sla"]["resolution"]["due"], Value::Null, "stopped");
    let sla = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/tickets/{id}/sla"),
        None,
    ));
    assert_eq!(sla["clocks"][1]["status"], "paused: waiting on a provider");
    assert_eq!(sla["clocks"][0]["status"], "met", "a met clock stays met");
    problem(
        &hand(json!({"provider": "Other", "committed_at": soon})),
        409,
        "provider-wait-open",
    );
    // The committed time passes (set back here): the sweep chases the provider, once.
    app.database()
        .execute(
            "UPDATE ticket_provider_waits SET since = ?1, committed_at = ?2 WHERE ticket_id = ?3",
            rusqlite::params![two_hours_ago, past, id],
        )
        .unwrap();
    assert_eq!(sweep_now(&host)["events_by_kind"]["provider.chase"], 1);
    assert!(sweep_now(&host)["events_by_kind"]
        .get("provider.chase")
        .is_none());
    // The provider answers: the clocks run again, with the wait added to the due time.
    let answer = || {
        call(
            &host,
            Some("customer_success"),
            "POST",
            &format!("/api/v1/tickets/{id}/provider-wait/answer"),
            None,
        )
    };
    let back = json(&answer());
    assert_eq!(back["waiting_on_provider"], Value::Null);
    assert!(back["sla"]["resolution"]["due"].is_string(), "{back}");
    problem(&answer(), 409, "no-provider-wait");
    let history = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/tickets/{id}/history"),
        None,
    ));
    // (Listed by time: the chase is dated at the committed time set back above.)
    let mut actions: Vec<&str> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.contains("provider"))
        .collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "ticket.provider.chase",
            "ticket.provider_answered",
            "ticket.waiting_on_provider"
        ]
    );
}
