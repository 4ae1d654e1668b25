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
