//! Member notices (docs/domain.md "Notices"): templates as programme data in
//! es, en and zh, checked and previewed; delivery in the member's language
//! over their channels, falling back on a refusal for good; staff notices
//! unchanged; what cannot be delivered or rendered is recorded, never dropped.

use e2e::partner::{Call, Partner};
use e2e::{become_member, call, fields, json, problem, App, Host};
use serde_json::{json, Value};

/// An app whose notification partner has one path per channel.
fn boot_with_channels() -> (Partner, App, Host) {
    let partner = Partner::start();
    let app = App::with_partners(&partner.origin)
        .with_variable("SPIN_VARIABLE_NOTIFICATION_EMAIL_PATH", "/email")
        .with_variable("SPIN_VARIABLE_NOTIFICATION_SMS_PATH", "/sms")
        .with_variable("SPIN_VARIABLE_NOTIFICATION_WHATSAPP_PATH", "/whatsapp");
    let host = app.start();
    (partner, app, host)
}

fn deliver(host: &Host) -> Value {
    let r = call(
        host,
        Some("scheduler"),
        "POST",
        "/api/v1/notices/runs",
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)["notices"].clone()
}

fn prefer(host: &Host, id: &str, body: Value) -> e2e::Response {
    call(
        host,
        Some("webform"),
        "PUT",
        &format!("/api/v1/customers/{id}/notice-preferences"),
        Some(&body),
    )
}

fn suspend(host: &Host, id: &str, reason: &str) {
    let r = call(
        host,
        Some("staff"),
        "POST",
        &format!("/api/v1/members/{id}/membership/suspension"),
        Some(&json!({ "reason": reason })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The calls at `path` carrying notices of `kind`.
fn of_kind(partner: &Partner, path: &str, kind: &str) -> Vec<Call> {
    partner
        .calls(path)
        .into_iter()
        .filter(|c| c.json()["type"] == kind)
        .collect()
}

#[test]
fn templates_are_checked_and_previewed_in_each_language() {
    let (_app, host) = e2e::boot();
    let r = call(
        &host,
        Some("program_manager"),
        "GET",
        "/api/v1/program/notice-templates",
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let doc = json(&r);
    let version = doc["version"].as_i64().unwrap();
    let mut templates = doc["templates"].clone();
    assert_eq!(templates["default_language"], "es");
    let list = templates["templates"].as_array().unwrap();
    for language in ["es", "en", "zh"] {
        assert!(list
            .iter()
            .any(|t| t["kind"] == "dunning.remind" && t["language"] == language));
    }
    // An unknown placeholder is named, with the fields the kind offers.
    templates["templates"][0]["body"] = json!("Hola {{name}}, {{password}}");
    let put = |body: &Value| {
        e2e::call_with(
            &host,
            Some("program_manager"),
            "PUT",
            "/api/v1/program/notice-templates",
            Some(body),
            &[("if-match", &format!("\"{version}\""))],
        )
    };
    let p = problem(&put(&templates), 400, "validation-error");
    assert_eq!(fields(&p), vec!["templates[0].body"]);
    assert!(
        e2e::message(&p).contains("unknown placeholder `{{password}}`"),
        "{p}"
    );
    templates["templates"][0]["body"] = json!("Hola {{name}}");
    templates["templates"][0]["language"] = json!("fr");
    problem(&put(&templates), 400, "validation-error");
    templates["templates"][0]["language"] = json!("es");
    templates["templates"][0]["body"] = json!("¡Bienvenido, {{name}}! Caso {{case_id}}.");
    assert_eq!(put(&templates).status, 200);

    let preview = |kind: &str, body: Value| {
        call(
            &host,
            Some("customer_success"),
            "POST",
            &format!("/api/v1/notice-templates/{kind}/preview"),
            Some(&body),
        )
    };
    let r = preview(
        "dunning.remind",
        json!({"language": "zh", "channel": "sms", "fields": {"invoice_id": 42}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let m = json(&r)["message"].clone();
    assert_eq!(m["language"], "zh");
    assert_eq!(m["text"], "发票 42 尚未付款。如已付款请忽略。");
    let r = json(&preview("onboarding.approved", json!({"language": "en"})));
    assert!(
        r["message"]["text"]
            .as_str()
            .unwrap()
            .contains("application <case_id>"),
        "{r}"
    );
    let p = problem(
        &preview("onboarding.approved", json!({"language": "fr"})),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["language"]);
    problem(
        &preview(
            "dunning.remind",
            json!({"language": "es", "fields": {"pin": 1}}),
        ),
        400,
        "validation-error",
    );
    problem(
        &preview("order.closed", json!({"language": "es"})),
        404,
        "not-found",
    );
}

#[test]
fn a_member_notice_goes_in_their_language_by_their_channel_and_falls_back() {
    let (partner, _app, host) = boot_with_channels();
    become_member(&host, "N-1");
    // WhatsApp first, but no third-party consent: SMS is the first that can reach them.
    let r = prefer(
        &host,
        "N-1",
        json!({"language": "en", "channels": ["whatsapp", "sms", "email"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let p = problem(
        &prefer(
            &host,
            "N-1",
            json!({"language": "en", "channels": ["sms", "sms"]}),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["channels"]);
    problem(
        &prefer(&host, "N-1", json!({"language": "fr", "channels": ["sms"]})),
        400,
        "validation-error",
    );
    deliver(&host);
    suspend(&host, "N-1", "card misuse under review");
    let run = deliver(&host);
    assert_eq!(run["undeliverable"], 0, "{run}");
    let sms = of_kind(&partner, "/sms", "membership.suspended");
    assert_eq!(sms.len(), 1, "{:?}", partner.calls("/sms"));
    let data = sms[0].json()["data"].clone();
    assert_eq!(data["channel"], "sms");
    assert_eq!(data["to"], "+504 5555-0101");
    assert_eq!(data["message"]["language"], "en");
    assert_eq!(data["message"]["subject"], "Your membership is suspended");
    assert!(
        data["message"]["text"].as_str().unwrap().starts_with(
            "Hello Ana Pérez, your VIP membership is suspended. Reason: card misuse under review."
        ),
        "{data}"
    );
    assert!(of_kind(&partner, "/whatsapp", "membership.suspended").is_empty());

    // SMS refuses the next one for good: email carries it, same notice id.
    partner.refuse_next("/sms", 1);
    let r = call(
        &host,
        Some("staff"),
        "POST",
        "/api/v1/members/N-1/membership/reactivation",
        Some(&json!({})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let run = deliver(&host);
    assert_eq!(
        (run["delivered"].as_i64(), run["failed"].as_i64()),
        (Some(1), Some(0)),
        "{run}"
    );
    let refused = of_kind(&partner, "/sms", "membership.active");
    let email = of_kind(&partner, "/email", "membership.active");
    assert_eq!((refused.len(), email.len()), (1, 1));
    assert_eq!(refused[0].status, 410);
    assert_eq!(email[0].id, refused[0].id);
    assert_eq!(email[0].json()["data"]["to"], "ana@example.test");
    // Staff notices are unchanged: the notification webhook, no channel.
    let r = call(
        &host,
        Some("webform"),
        "POST",
        "/api/v1/customers/N-1/service/disconnection",
        Some(&json!({})),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    deliver(&host);
    let staff = of_kind(&partner, "/notices", "retention.request_pending");
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0].json()["data"]["channel"], Value::Null);
}

#[test]
fn what_cannot_reach_the_member_or_be_rendered_is_recorded() {
    let (partner, app, host) = boot_with_channels();
    become_member(&host, "N-2");
    deliver(&host);
    // No contact on file any more: the notice is given up, with why, once.
    let db = app.database();
    db.execute("UPDATE customers SET contact = '{}' WHERE id = 'N-2'", [])
        .unwrap();
    suspend(&host, "N-2", "fraud review");
    let run = deliver(&host);
    assert_eq!(run["undeliverable"], 1, "{run}");
    let reason: String = db
        .query_row(
            "SELECT r.reason FROM notice_routes r JOIN notice_outbox o ON o.id = r.id
             WHERE o.kind = 'membership.suspended' AND o.customer_id = 'N-2' AND o.delivered_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(reason.contains("cannot be reached"), "{reason}");
    assert_eq!(deliver(&host)["undeliverable"], 0);

    // A notice whose payload lacks a field its template uses (queued before
    // the field existed) fails with the reason and is tried again later.
    become_member(&host, "N-3");
    deliver(&host);
    db.execute(
        "INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
         VALUES ('legacy-1', 'onboarding.rejected', 'N-3', '{\"case_id\": 7}', '2026-01-01T00:00:00.000Z')",
        [],
    )
    .unwrap();
    let run = deliver(&host);
    assert_eq!(run["failed"], 1, "{run}");
    let (error, next): (String, Option<String>) = db
        .query_row(
            "SELECT last_error, next_at FROM outbox_deliveries WHERE id = 'legacy-1'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        error,
        "template `onboarding.rejected` (es): the notice has no field `reason`"
    );
    assert!(next.is_some());
    // Staff see both: the one given up and the one failing.
    let undelivered = |query: &str| {
        let r = call(
            &host,
            Some("customer_success"),
            "GET",
            &format!("/api/v1/notices/undelivered?{query}"),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        json(&r)["notices"].as_array().cloned().unwrap_or_default()
    };
    let given_up = undelivered("customer_id=N-2");
    assert_eq!(given_up.len(), 1, "{given_up:?}");
    assert!(given_up[0]["last_error"]
        .as_str()
        .unwrap()
        .contains("cannot be reached"));
    let failing = undelivered("state=failing");
    assert!(failing.iter().any(|n| n["id"] == "legacy-1"), "{failing:?}");
    assert!(partner.calls("/email").iter().all(|c| c.id != "legacy-1"));
}

fn broadcast(host: &Host, body: Value) -> e2e::Response {
    call(
        host,
        Some("program_manager"),
        "POST",
        "/api/v1/broadcasts",
        Some(&body),
    )
}

#[test]
fn a_broadcast_reaches_every_member_at_the_pace_of_each_channel() {
    let (partner, app, host) = boot_with_channels();
    for id in ["B-1", "B-2", "B-3"] {
        become_member(&host, id);
    }
    assert_eq!(
        prefer(&host, "B-3", json!({"language": "zh", "channels": ["sms"]})).status,
        200
    );
    deliver(&host);
    // One email a second, so the pace shows.
    let r = call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/program/broadcasts",
        None,
    );
    let mut program = json(&r)["program"].clone();
    program["per_second"]["email"] = json!(1);
    let r = e2e::call_with(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/program/broadcasts",
        Some(&program),
        &[("if-match", "\"1\"")],
    );
    assert_eq!(r.status, 200, "{}", r.body);

    let p = problem(
        &broadcast(&host, json!({"messages": []})),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["audience", "messages"]);
    let p = problem(
        &broadcast(
            &host,
            json!({"audience": {}, "messages": [{"language": "es", "subject": "x", "body": "y"}]}),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["audience"]);

    let crisis = json!({
        "audience": {"all": true},
        "messages": [
            {"language": "es", "subject": "Incidencia en la red", "body": "Hola {{name}}: trabajamos para restablecer el servicio."},
            {"language": "en", "subject": "Network incident", "body": "Hello {{name}}, we are restoring the service."}
        ]
    });
    let r = broadcast(&host, crisis);
    assert_eq!(r.status, 201, "{}", r.body);
    let b = json(&r);
    let id = b["id"].as_i64().unwrap();
    assert_eq!(
        (b["recipients"].as_i64(), b["unreachable"].as_i64()),
        (Some(3), Some(0))
    );
    assert_eq!(b["progress"]["waiting"], 3);
    // Two emails a second apart, the SMS at once.
    let slots: Vec<(String, String)> = {
        let db = app.database();
        let mut q = db
            .prepare("SELECT customer_id, created_at FROM notice_outbox WHERE kind = 'broadcast.message' ORDER BY customer_id")
            .unwrap();
        q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let at = |i: usize| chrono::DateTime::parse_from_rfc3339(&slots[i].1).unwrap();
    assert_eq!((at(1) - at(0)).num_milliseconds(), 1000, "{slots:?}");
    assert_eq!(at(2), at(0), "{slots:?}");

    std::thread::sleep(std::time::Duration::from_millis(1100));
    let run = deliver(&host);
    assert_eq!(run["delivered"], 3, "{run}");
    let b = json(&call(
        &host,
        Some("customer_success"),
        "GET",
        &format!("/api/v1/broadcasts/{id}"),
        None,
    ));
    assert_eq!(b["progress"]["delivered"], 3, "{b}");
    assert_eq!(b["progress"]["by_channel"], json!({"email": 2, "sms": 1}));
    let zh = of_kind(&partner, "/sms", "broadcast.message");
    // No zh message: the default language's stands in.
    assert_eq!(
        zh[0].json()["data"]["message"]["subject"],
        "Incidencia en la red"
    );

    // The update goes to the same members, not to one who joined since.
    become_member(&host, "B-4");
    let r = broadcast(
        &host,
        json!({"follows": id, "messages": [{"language": "es", "subject": "Actualización", "body": "Servicio restablecido."}]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(json(&r)["recipients"], 3);
    // Marketing goes only to those who consented to it.
    let r = broadcast(
        &host,
        json!({"audience": {"all": true}, "purpose": "marketing",
               "messages": [{"language": "es", "subject": "Evento VIP", "body": "Le invitamos."}]}),
    );
    assert_eq!(json(&r)["recipients"], 0, "{}", r.body);
}

/// Runs fired at once (a slow run overlapping the next minute's) share the
/// outbox: each notice is sent once.
#[test]
fn concurrent_runs_send_each_notice_once() {
    let (partner, app, host) = boot_with_channels();
    become_member(&host, "C-1");
    let db = app.database();
    for i in 0..300 {
        db.execute(
            "INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
             VALUES (?, 'membership.suspended', 'C-1', '{\"from\":\"active\",\"to\":\"suspended\",\"reason\":\"r\"}',
                     '2026-01-01T00:00:00.000Z')",
            [format!("many-{i:03}")],
        )
        .unwrap();
    }
    let delivered: i64 = std::thread::scope(|s| {
        let runs: Vec<_> = (0..4).map(|_| s.spawn(|| deliver(&host))).collect();
        runs.into_iter()
            .map(|r| r.join().unwrap()["delivered"].as_i64().unwrap())
            .sum()
    });
    let calls: Vec<String> = partner
        .calls("/email")
        .into_iter()
        .map(|c| c.id)
        .filter(|id| id.starts_with("many-"))
        .collect();
    let mut unique = calls.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((calls.len(), unique.len()), (300, 300));
    assert!(delivered >= 300, "{delivered}");
}
