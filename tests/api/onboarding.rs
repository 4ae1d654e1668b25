//! Onboarding: an eligibility pass opens a case; review, then approval
//! (membership + notice), or rejection with a reason; overdue cases listed.

use e2e::{boot, call, customer, json, post_check, problem};
use serde_json::json;

fn case_path(id: &serde_json::Value, step: &str) -> String {
    format!("/api/v1/onboarding/cases/{id}/{step}")
}

#[test]
fn a_vip_check_opens_a_case_that_review_then_approval_turns_into_a_membership() {
    let (app, host) = boot();
    call(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/customers/V1",
        Some(&customer(json!({"segment": "isp"}))),
    );
    let d = json(&post_check(
        &host,
        "chatbot",
        &json!({"customer_id": "V1"}),
        None,
    ));
    let case = d["onboarding_case_id"].clone();
    assert!(case.as_i64().unwrap() > 0, "{d}");
    let again = json(&post_check(
        &host,
        "chatbot",
        &json!({"customer_id": "V1"}),
        None,
    ));
    assert_eq!(
        again["onboarding_case_id"], case,
        "one open case per customer"
    );

    let c = json(&call(
        &host,
        Some("customer_success"),
        "GET",
        &format!("/api/v1/onboarding/cases/{case}"),
        None,
    ));
    assert_eq!(
        (
            c["state"].clone(),
            c["customer_id"].clone(),
            c["overdue"].clone()
        ),
        (json!("pending_review"), json!("V1"), json!(false))
    );

    // Approving a case not reviewed is refused; the wrong role is refused.
    problem(
        &call(
            &host,
            Some("program_manager"),
            "POST",
            &case_path(&case, "approve"),
            None,
        ),
        409,
        "invalid-transition",
    );
    problem(
        &call(
            &host,
            Some("program_manager"),
            "POST",
            &case_path(&case, "review"),
            None,
        ),
        403,
        "forbidden",
    );

    let reviewed = call(
        &host,
        Some("customer_success"),
        "POST",
        &case_path(&case, "review"),
        None,
    );
    assert_eq!(json(&reviewed)["state"], "reviewed", "{}", reviewed.body);
    problem(
        &call(
            &host,
            Some("customer_success"),
            "POST",
            &case_path(&case, "review"),
            None,
        ),
        409,
        "invalid-transition",
    );
    let approved = json(&call(
        &host,
        Some("program_manager"),
        "POST",
        &case_path(&case, "approve"),
        None,
    ));
    assert_eq!(approved["state"], "approved");
    assert!(approved["decided_by"]
        .as_str()
        .unwrap()
        .starts_with("program_manager#"));

    let db = app.database();
    let tier: String = db
        .query_row(
            "SELECT tier FROM memberships WHERE customer_id = 'V1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tier, "member");
    let notices: i64 = db
        .query_row("SELECT COUNT(*) FROM notice_outbox WHERE customer_id = 'V1' AND kind = 'onboarding.approved'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(notices, 1);
    let actions: Vec<String> = db
        .prepare(
            "SELECT action FROM audit_events WHERE entity_type = 'onboarding_case' ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        actions,
        [
            "onboarding.opened",
            "onboarding.reviewed",
            "onboarding.approved"
        ]
    );

    // A member is not onboarded again.
    let member = json(&post_check(
        &host,
        "chatbot",
        &json!({"customer_id": "V1"}),
        None,
    ));
    assert!(member.get("onboarding_case_id").is_none(), "{member}");
    problem(
        &call(
            &host,
            Some("customer_success"),
            "POST",
            &case_path(&case, "reject"),
            Some(&json!({"reason": "late"})),
        ),
        409,
        "invalid-transition",
    );
}

#[test]
fn rejection_needs_a_reason_and_overdue_cases_are_listed() {
    let (app, host) = boot();
    for id in ["R1", "R2"] {
        call(
            &host,
            Some("staff"),
            "PUT",
            &format!("/api/v1/customers/{id}"),
            Some(&customer(json!({"plan_type": "dedicated"}))),
        );
        post_check(&host, "webform", &json!({"customer_id": id}), None);
    }
    let cases = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/onboarding/cases?state=pending_review",
        None,
    ));
    let ids: Vec<serde_json::Value> = cases["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(ids.len(), 2);

    let p = problem(
        &call(
            &host,
            Some("program_manager"),
            "POST",
            &case_path(&ids[0], "reject"),
            Some(&json!({"reason": "  "})),
        ),
        400,
        "validation-error",
    );
    assert_eq!(p["errors"][0]["field"], "reason");
    let rejected = json(&call(
        &host,
        Some("program_manager"),
        "POST",
        &case_path(&ids[0], "reject"),
        Some(&json!({"reason": "duplicate account"})),
    ));
    assert_eq!(
        (rejected["state"].clone(), rejected["reason"].clone()),
        (json!("rejected"), json!("duplicate account"))
    );

    // Make the other case 25 hours old: it is overdue against the 24 h target.
    app.database()
        .execute(
            "UPDATE onboarding_cases SET opened_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-25 hours') WHERE id = ?",
            [ids[1].as_i64().unwrap()],
        )
        .unwrap();
    let overdue = json(&call(
        &host,
        Some("customer_success"),
        "GET",
        "/api/v1/onboarding/cases?overdue=true",
        None,
    ));
    let listed: Vec<serde_json::Value> = overdue["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].clone())
        .collect();
    assert_eq!(listed, vec![ids[1].clone()]);
    problem(
        &call(
            &host,
            Some("staff"),
            "GET",
            "/api/v1/onboarding/cases?state=done",
            None,
        ),
        400,
        "validation-error",
    );
    problem(
        &call(
            &host,
            Some("staff"),
            "GET",
            "/api/v1/onboarding/cases/999",
            None,
        ),
        404,
        "not-found",
    );
    problem(
        &call(
            &host,
            Some("staff"),
            "GET",
            "/api/v1/onboarding/cases/abc",
            None,
        ),
        400,
        "validation-error",
    );
}
