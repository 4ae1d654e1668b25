//! The membership's states (docs/domain.md §1 "Membership states"; seed
//! 004): suspended and reactivated by staff, exited at the member's request,
//! revoked by the programme manager; cards follow; a member who is not
//! active (or whose service is suspended) neither earns nor redeems.

use e2e::{become_member, call, call_with, cards_of, days_ago, fields, json, problem, App, Host};
use serde_json::{json, Value};

fn membership(host: &Host, id: &str) -> Value {
    let r = call(
        host,
        Some("staff"),
        "GET",
        &format!("/api/v1/members/{id}/membership"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)
}

fn act(host: &Host, role: &str, id: &str, what: &str, body: Value) -> e2e::Response {
    call(
        host,
        Some(role),
        "POST",
        &format!("/api/v1/members/{id}/membership/{what}"),
        Some(&body),
    )
}

fn buy(host: &Host, id: &str, purchase: &str, at: &str) -> e2e::Response {
    call(
        host,
        Some("staff"),
        "POST",
        &format!("/api/v1/members/{id}/purchases"),
        Some(
            &json!({"purchase_id": purchase, "amount": {"amount": "500.00", "currency": "USD"}, "at": at}),
        ),
    )
}

fn redeem(host: &Host, id: &str, reward: i64, key: &str) -> e2e::Response {
    call_with(
        host,
        Some("webform"),
        "POST",
        "/api/v1/redemptions",
        Some(&json!({"customer_id": id, "reward_id": reward})),
        &[("idempotency-key", key)],
    )
}

fn badge(host: &Host) -> i64 {
    let r = call(
        host,
        Some("staff"),
        "POST",
        "/api/v1/rewards",
        Some(&json!({"name": "Badge", "kind": "digital", "cost": 10})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    json(&r)["id"].as_i64().unwrap()
}

fn card_status(host: &Host, id: &str) -> String {
    cards_of(host, id)[0]["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn count(app: &App, sql: &str) -> i64 {
    app.database().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_suspended_member_neither_earns_nor_redeems_until_reactivated() {
    let (app, host) = e2e::boot();
    become_member(&host, "L-1");
    let first = days_ago(2);
    assert_eq!(buy(&host, "L-1", "L-1-a", &first).status, 201);
    let reward = badge(&host);
    let m = membership(&host, "L-1");
    assert_eq!(
        (m["state"].as_str(), m["earns_and_redeems"].as_bool()),
        (Some("active"), Some(true))
    );

    // A reason is required; the web form cannot suspend.
    let p = problem(
        &act(&host, "staff", "L-1", "suspension", json!({})),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["reason"]);
    problem(
        &act(
            &host,
            "webform",
            "L-1",
            "suspension",
            json!({"reason": "x"}),
        ),
        403,
        "forbidden",
    );
    let r = act(
        &host,
        "customer_success",
        "L-1",
        "suspension",
        json!({"reason": "card misuse under review"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let m = json(&r);
    assert_eq!(m["state"], "suspended");
    assert_eq!(m["earns_and_redeems"], false);
    assert!(
        m["not_active_because"]
            .as_str()
            .unwrap()
            .ends_with("card misuse under review"),
        "{m}"
    );
    assert_eq!(card_status(&host, "L-1"), "suspended");
    problem(
        &act(
            &host,
            "staff",
            "L-1",
            "suspension",
            json!({"reason": "again"}),
        ),
        409,
        "invalid-membership-transition",
    );

    // Neither earning nor redeeming, with the reason.
    let p = problem(
        &redeem(&host, "L-1", reward, "r-1"),
        409,
        "membership-not-active",
    );
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("card misuse under review"),
        "{p}"
    );
    problem(
        &buy(&host, "L-1", "L-1-b", &days_ago(0)),
        409,
        "membership-not-active",
    );
    // A purchase recorded before replays as it did.
    assert_eq!(buy(&host, "L-1", "L-1-a", &first).status, 200);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM purchases WHERE customer_id = 'L-1'"
        ),
        1
    );

    let r = act(&host, "staff", "L-1", "reactivation", json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "active");
    assert_eq!(card_status(&host, "L-1"), "active");
    assert_eq!(redeem(&host, "L-1", reward, "r-2").status, 201);
    let changes = membership(&host, "L-1")["changes"].clone();
    assert_eq!(changes.as_array().unwrap().len(), 2, "{changes}");
    assert_eq!(changes[0]["event"], "suspend");
    assert_eq!(changes[1]["to"], "active");
    // Audited and told to the member.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_events WHERE entity_type = 'membership' AND entity_id = 'L-1' AND action IN ('membership.suspended', 'membership.active')"),
        2
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM notice_outbox WHERE customer_id = 'L-1' AND kind = 'membership.suspended'"),
        1
    );
}

#[test]
fn revocation_is_the_programme_managers_with_a_reason_and_ends_the_membership() {
    let (_app, host) = e2e::boot();
    become_member(&host, "L-2");
    problem(
        &act(
            &host,
            "staff",
            "L-2",
            "revocation",
            json!({"reason": "fraud"}),
        ),
        403,
        "forbidden",
    );
    let p = problem(
        &act(
            &host,
            "program_manager",
            "L-2",
            "revocation",
            json!({"reason": " "}),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["reason"]);
    let r = act(
        &host,
        "program_manager",
        "L-2",
        "revocation",
        json!({"reason": "resold rewards"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "revoked");
    assert_eq!(card_status(&host, "L-2"), "revoked");
    let p = problem(
        &act(&host, "staff", "L-2", "reactivation", json!({})),
        409,
        "invalid-membership-transition",
    );
    assert!(p["detail"].as_str().unwrap().contains("has ended"), "{p}");
    // No new card for a revoked member.
    problem(
        &call(
            &host,
            Some("staff"),
            "POST",
            "/api/v1/cards",
            Some(&json!({"customer_id": "L-2"})),
        ),
        409,
        "membership-not-active",
    );
    problem(
        &act(
            &host,
            "staff",
            "NOBODY",
            "suspension",
            json!({"reason": "x"}),
        ),
        404,
        "not-found",
    );
}

#[test]
fn a_member_who_leaves_counts_as_an_exit_in_the_reports() {
    let (_app, host) = e2e::boot();
    become_member(&host, "L-3");
    let r = act(
        &host,
        "chatbot",
        "L-3",
        "exit",
        json!({"reason": "moving away"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "exited");
    assert_eq!(card_status(&host, "L-3"), "revoked");
    let today = chrono::Utc::now().date_naive();
    let report = json(&call(
        &host,
        Some("program_manager"),
        "GET",
        &format!("/api/v1/reports/programme?from={today}&to={today}&breakdown=how"),
        None,
    ));
    let exited = report["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["figure"] == "exits" && l["breakdown"] == "how" && l["key"] == "exited")
        .cloned();
    assert_eq!(
        exited.map(|l| l["value"].clone()),
        Some(json!(1)),
        "{report}"
    );
}

#[test]
fn a_suspended_service_suspends_the_benefits() {
    let (app, host) = e2e::boot();
    become_member(&host, "L-4");
    assert_eq!(buy(&host, "L-4", "L-4-a", &days_ago(2)).status, 201);
    let reward = badge(&host);
    app.database()
        .execute(
            "INSERT INTO service_status (customer_id, status, updated_at, updated_by, reason)
             VALUES ('L-4', 'suspended', '2026-01-27T05:00:00.000Z', 'test', 'unpaid')",
            [],
        )
        .unwrap();
    let p = problem(
        &redeem(&host, "L-4", reward, "s-1"),
        409,
        "membership-not-active",
    );
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("service is suspended"),
        "{p}"
    );
    let m = membership(&host, "L-4");
    assert_eq!(
        (m["state"].as_str(), m["earns_and_redeems"].as_bool()),
        (Some("active"), Some(false))
    );
}

#[test]
fn one_card_is_suspended_reactivated_or_revoked_alone() {
    let (_app, host) = e2e::boot();
    become_member(&host, "L-5");
    let number = cards_of(&host, "L-5")[0]["number"]
        .as_str()
        .unwrap()
        .to_string();
    let card = |role: &str, verb: &str| {
        call(
            &host,
            Some(role),
            "POST",
            &format!("/api/v1/cards/{number}/{verb}"),
            None,
        )
    };
    let r = card("staff", "suspend");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["status"], "suspended");
    assert_eq!(membership(&host, "L-5")["state"], "active");
    problem(&card("staff", "suspend"), 409, "invalid-card-transition");
    assert_eq!(
        json(&card("customer_success", "reactivate"))["status"],
        "active"
    );
    problem(&card("staff", "revoke"), 403, "forbidden");
    assert_eq!(
        json(&card("program_manager", "revoke"))["status"],
        "revoked"
    );
    problem(&card("staff", "reactivate"), 409, "invalid-card-transition");
}

#[test]
fn two_suspensions_at_once_move_the_member_once() {
    let (app, host) = e2e::boot();
    become_member(&host, "L-6");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let host = &host;
                s.spawn(move || {
                    act(
                        host,
                        "staff",
                        "L-6",
                        "suspension",
                        json!({"reason": format!("report {i}")}),
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
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM membership_state_changes WHERE customer_id = 'L-6'"
        ),
        1
    );
}

fn tasks_of(host: &Host, query: &str) -> Vec<Value> {
    let r = call(
        host,
        Some("customer_success"),
        "GET",
        &format!("/api/v1/onboarding/tasks?{query}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)["tasks"].as_array().cloned().unwrap_or_default()
}

#[test]
fn approval_opens_the_follow_through_and_a_promotion_the_congratulation_call() {
    let (app, host) = e2e::boot();
    let case = become_member(&host, "T-1");
    let tasks = tasks_of(&host, "customer_id=T-1");
    let keys: Vec<&str> = tasks.iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert_eq!(
        keys,
        vec!["account_setup", "welcome_call", "follow_up_7_days"]
    );
    let hours = |t: &Value| {
        let at = |f: &str| chrono::DateTime::parse_from_rfc3339(t[f].as_str().unwrap()).unwrap();
        (at("due_at") - at("opened_at")).num_hours()
    };
    assert_eq!(
        tasks.iter().map(hours).collect::<Vec<_>>(),
        vec![4, 48, 168]
    );
    assert_eq!(tasks[0]["opened_at"], case["decided_at"]);

    let welcome = tasks[1]["id"].as_i64().unwrap();
    let r = call(
        &host,
        Some("customer_success"),
        "POST",
        &format!("/api/v1/onboarding/tasks/{welcome}/assignment"),
        Some(&json!({"assignee": "ana.cs"})),
    );
    assert_eq!(json(&r)["assignee"], "ana.cs", "{}", r.body);
    let complete = |note: &str| {
        call(
            &host,
            Some("customer_success"),
            "POST",
            &format!("/api/v1/onboarding/tasks/{welcome}/completion"),
            Some(&json!({ "note": note })),
        )
    };
    assert_eq!(
        fields(&problem(&complete(" "), 400, "validation-error")),
        vec!["note"]
    );
    let r = complete("45 min call; goals agreed");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["state"], "done_on_time");
    let p = problem(&complete("again"), 409, "task-already-done");
    assert!(
        p["detail"].as_str().unwrap().contains("ana")
            || p["detail"].as_str().unwrap().contains("customer_success"),
        "{p}"
    );

    // The account set-up ran late: the case shows in the overdue list.
    app.database()
        .execute(
            "UPDATE member_tasks SET due_at = '2026-01-01T00:00:00.000Z' WHERE customer_id = 'T-1' AND key = 'account_setup'",
            [],
        )
        .unwrap();
    let overdue = tasks_of(&host, "state=overdue");
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["state"], "overdue");
    let cases = json(&call(
        &host,
        Some("customer_success"),
        "GET",
        "/api/v1/onboarding/cases?overdue=true",
        None,
    ));
    let listed = cases["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["customer_id"] == "T-1")
        .cloned()
        .expect("the case is listed as overdue");
    assert_eq!(listed["overdue_tasks"], 1);
    // The programme report counts it due and late in January.
    let report = json(&call(
        &host,
        Some("program_manager"),
        "GET",
        "/api/v1/reports/programme?from=2025-12-31&to=2026-01-01&breakdown=task",
        None,
    ));
    let figure = |name: &str| {
        report["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["figure"] == name && l["key"] == "account_setup")
            .map(|l| l["value"].clone())
    };
    assert_eq!(
        (figure("tasks_due"), figure("tasks_late")),
        (Some(json!(1)), Some(json!(1))),
        "{report}"
    );

    // A promotion to gold opens the congratulation call.
    let r = buy10k(&host, "T-1");
    assert_eq!(json(&r)["tier"]["tier"], "gold", "{}", r.body);
    let calls: Vec<Value> = tasks_of(&host, "customer_id=T-1")
        .into_iter()
        .filter(|t| t["key"] == "promotion_call")
        .collect();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0]["cause"]
        .as_str()
        .unwrap()
        .starts_with("promotion-"));
}

fn buy10k(host: &Host, id: &str) -> e2e::Response {
    call(
        host,
        Some("staff"),
        "POST",
        &format!("/api/v1/members/{id}/purchases"),
        Some(
            &json!({"purchase_id": "BIG", "amount": {"amount": "10000.00", "currency": "USD"}, "at": days_ago(0)}),
        ),
    )
}

#[test]
fn the_birthday_benefit_is_granted_once_a_year_with_the_consent() {
    let (app, host) = e2e::boot();
    for id in ["BD-1", "BD-2"] {
        become_member(&host, id);
        let r = call(
            &host,
            Some("webform"),
            "PUT",
            &format!("/api/v1/customers/{id}/birth-date"),
            Some(&json!({"birth_date": "1980-03-15"})),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let p = problem(
        &call(
            &host,
            Some("webform"),
            "PUT",
            "/api/v1/customers/BD-1/birth-date",
            Some(&json!({"birth_date": "2999-01-01"})),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["birth_date"]);
    // Only BD-1 gave the programme consent.
    app.database()
        .execute(
            "INSERT INTO consents (customer_id, purpose, granted, recorded_at, recorded_by)
             VALUES ('BD-1', 'programme', 1, '2026-01-01T00:00:00.000Z', 'test')",
            [],
        )
        .unwrap();
    let run = |as_of: &str| {
        let r = call(
            &host,
            Some("scheduler"),
            "POST",
            &format!("/api/v1/members/birthdays/runs?as_of={as_of}"),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        json(&r)
    };
    assert_eq!(run("2026-03-14T12:00:00Z")["granted"], json!([]));
    // 15 March in Madrid begins at 23:00 UTC on the 14th.
    let r = run("2026-03-14T23:30:00Z");
    assert_eq!(r["day"], "2026-03-15");
    assert_eq!(
        r["granted"],
        json!([{"customer_id": "BD-1", "tier": "member", "benefit": "birthday greeting", "year": 2026}])
    );
    // A repeat, a catch-up days later: nothing more this year.
    assert_eq!(run("2026-03-15T08:00:00Z")["granted"], json!([]));
    assert_eq!(run("2026-03-20T08:00:00Z")["granted"], json!([]));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM notice_outbox WHERE kind = 'member.birthday' AND customer_id = 'BD-1'"),
        1
    );
    // Erasure drops the date of birth.
    let r = call(
        &host,
        Some("staff"),
        "POST",
        "/api/v1/customers/BD-1/erasure",
        Some(&json!({})),
    );
    assert!(r.status == 200 || r.status == 201, "{}", r.body);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM member_birthdays WHERE customer_id = 'BD-1'"
        ),
        0
    );
}
