//! The eligibility slice: customers, decisions with reasons, rule edits.

use e2e::{boot, call, call_with, customer, fields, json, message, post_check, problem, App};
use serde_json::{json, Value};

fn check(host: &e2e::Host, body: Value) -> Value {
    let r = post_check(host, "chatbot", &body, None);
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)
}

fn put_customer(host: &e2e::Host, id: &str, facts: Value) -> e2e::Response {
    call(
        host,
        Some("staff"),
        "PUT",
        &format!("/api/v1/customers/{id}"),
        Some(&customer(facts)),
    )
}

#[test]
fn each_rule_decides_and_explains_itself() {
    let (_app, host) = boot();
    let cases = [
        (
            "DED",
            json!({"plan_type": "dedicated"}),
            Some("dedicated_or_corporate_plan"),
        ),
        (
            "COR",
            json!({"plan_type": "corporate"}),
            Some("dedicated_or_corporate_plan"),
        ),
        ("ISP", json!({"segment": "isp"}), Some("isp_customer")),
        (
            "BIG",
            json!({"monthly_plan_amount": {"amount": "500.01", "currency": "USD"}}),
            Some("monthly_plan_over_500"),
        ),
        (
            "EDGE",
            json!({"monthly_plan_amount": {"amount": "500.00", "currency": "USD"}}),
            None,
        ),
        (
            "NEG",
            json!({"special_negotiation": {"approved_by": "Gerente de Ventas", "approved_at": "2026-02-16T09:00:00Z", "note": "contrato marco"}}),
            Some("special_negotiation"),
        ),
        ("PLAIN", json!({}), None),
    ];
    for (id, facts, rule) in cases {
        assert_eq!(put_customer(&host, id, facts).status, 201);
        let d = check(&host, json!({"customer_id": id}));
        assert_eq!(d["vip"], rule.is_some(), "{id}: {d}");
        assert_eq!(d["customer_id"], id);
        assert_eq!(d["preview"], false);
        assert!(d["decision_id"].as_i64().unwrap() > 0);
        let matched: Vec<&str> = d["matched_rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(matched, rule.into_iter().collect::<Vec<_>>(), "{id}");
        assert_eq!(d["outcomes"].as_array().unwrap().len(), 4);
        assert!(d["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| !o["reason"].as_str().unwrap().is_empty()));
    }
    let edge = check(&host, json!({"customer_id": "EDGE"}));
    assert_eq!(edge["summary"], "Not VIP: none of the 4 rules matched");
    let amount = edge["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["rule"] == "monthly_plan_over_500")
        .unwrap();
    assert_eq!(
        amount["reason"],
        "monthly plan amount 500.00 USD is not greater than 500.00 USD"
    );
    let neg = check(&host, json!({"customer_id": "NEG"}));
    assert!(
        neg["summary"]
            .as_str()
            .unwrap()
            .starts_with("VIP: 1 of 4 rules matched"),
        "{neg}"
    );
}

#[test]
fn a_preview_by_facts_records_nothing_and_refuses_bad_facts() {
    let (app, host) = boot();
    let d = check(
        &host,
        json!({"facts": {"segment": "isp", "plan_type": "residential",
        "monthly_plan_amount": {"amount": "20.00", "currency": "USD"}}}),
    );
    assert_eq!(d["vip"], true);
    assert_eq!(d["preview"], true);
    assert!(d.get("decision_id").is_none());
    let n: i64 = app
        .database()
        .query_row("SELECT COUNT(*) FROM eligibility_decisions", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(n, 0);

    let r = post_check(
        &host,
        "webform",
        &json!({"facts": {
        "segment": "isp", "plan_type": "fiber_max", "monthly_plan_amount": {"amount": "20.00", "currency": "USD"}}}),
        None,
    );
    let p = problem(&r, 400, "validation-error");
    assert_eq!(fields(&p), ["facts.plan_type"]);
    assert!(message(&p).contains("dedicated, corporate, business, residential"));

    let r = post_check(
        &host,
        "webform",
        &json!({"facts": {
        "segment": "business", "plan_type": "business", "monthly_plan_amount": {"amount": "900.00", "currency": "EUR"}}}),
        None,
    );
    let p = problem(&r, 422, "currency-mismatch");
    assert_eq!(fields(&p), ["facts.monthly_plan_amount.currency"]);

    let r = post_check(&host, "webform", &json!({}), None);
    assert_eq!(fields(&problem(&r, 400, "validation-error")), ["body"]);
    // A web form must act for a member to name one; staff learn it does not exist.
    let r = post_check(&host, "webform", &json!({"customer_id": "ghost"}), None);
    problem(&r, 401, "member-token-required");
    let r = post_check(&host, "staff", &json!({"customer_id": "ghost"}), None);
    problem(&r, 404, "not-found");
}

#[test]
fn personal_data_is_only_for_roles_allowed_to_see_it() {
    let (_app, host) = boot();
    put_customer(&host, "P1", json!({}));
    let staff = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/customers/P1",
        None,
    ));
    assert_eq!(staff["contact"]["email"], "ana@example.test");
    assert_eq!(staff["legal_name"], "Cliente de Prueba S.A.");
    for role in ["webform", "chatbot"] {
        let r = call(&host, Some(role), "GET", "/api/v1/customers/P1", None);
        assert_eq!(r.status, 200);
        let v = json(&r);
        assert!(
            v.get("contact").is_none() && v.get("legal_name").is_none(),
            "{role}: {v}"
        );
        assert!(!r.body.contains("ana@example.test"));
        assert_eq!(v["facts"]["segment"], "consumer");
        assert!(
            v["facts"].get("special_negotiation").is_none(),
            "absent facts are omitted, not null: {v}"
        );
    }
}

#[test]
fn changes_are_versioned_and_audited_and_unchanged_puts_are_no_ops() {
    let (app, host) = boot();
    let r = call_with(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/customers/A1",
        Some(&customer(json!({}))),
        &[("x-change-reason", "alta inicial")],
    );
    assert_eq!(r.status, 201);
    assert_eq!(json(&r)["version"], 1);
    let r = put_customer(&host, "A1", json!({}));
    assert_eq!(
        (r.status, json(&r)["version"].clone()),
        (200, json!(1)),
        "identical PUT changes nothing"
    );
    let r = put_customer(&host, "A1", json!({"segment": "isp"}));
    assert_eq!((r.status, json(&r)["version"].clone()), (200, json!(2)));

    let db = app.database();
    let mut stmt = db
        .prepare("SELECT action, actor, reason, details FROM audit_events WHERE entity_type = 'customer' AND entity_id = 'A1' ORDER BY id")
        .unwrap();
    let events: Vec<(String, String, Option<String>, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].0, "customer.created");
    assert!(events[0].1.starts_with("staff#"));
    assert_eq!(events[0].2.as_deref(), Some("alta inicial"));
    assert_eq!(events[1].0, "customer.updated");
    assert!(
        events.iter().all(|e| !e.3.contains("ana@example.test")),
        "no personal data in audit details"
    );
    assert!(events[1].3.contains("\"previous_facts\""));
}

#[test]
fn rule_edits_take_effect_and_are_validated() {
    let (app, host) = boot();
    put_customer(
        &host,
        "R1",
        json!({"segment": "isp", "plan_type": "business"}),
    );
    assert_eq!(check(&host, json!({"customer_id": "R1"}))["vip"], true);

    let current = call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/program/eligibility-rules",
        None,
    );
    assert_eq!(current.header("etag"), Some("\"1\""));
    let program = json(&current);
    assert_eq!(program["version"], 1);
    assert_eq!(program["updated_by"], "system");

    // Everything must hold now: an ISP on a business plan no longer qualifies.
    let mut rules = program["rules"].clone();
    rules["combine"] = json!("all");
    rules["rules"] = json!([
        {"id": "isp", "description": "ISP", "when": {"kind": "field_equals", "field": "segment", "value": "isp"}},
        {"id": "over_1000", "description": "Over 1,000.00", "when": {"kind": "amount_greater_than",
            "field": "monthly_plan_amount", "amount": {"amount": "1000.00", "currency": "USD"}}}
    ]);
    let r = call_with(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/program/eligibility-rules",
        Some(&rules),
        &[("if-match", "\"1\"")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["version"], 2);
    let d = check(&host, json!({"customer_id": "R1"}));
    assert_eq!(d["vip"], false);
    assert_eq!(d["rules_version"], 2);
    assert!(
        d["summary"].as_str().unwrap().contains("Over 1,000.00"),
        "{d}"
    );

    // A stale If-Match is refused.
    let r = call_with(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/program/eligibility-rules",
        Some(&rules),
        &[("if-match", "\"1\"")],
    );
    problem(&r, 412, "version-mismatch");

    // Invalid rules: every problem named, nothing changed.
    let mut bad = rules.clone();
    bad["rules"][0]["when"]["value"] = json!("bank");
    bad["rules"][1]["id"] = json!("isp");
    let p = problem(
        &call(
            &host,
            Some("staff"),
            "PUT",
            "/api/v1/program/eligibility-rules",
            Some(&bad),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["rules[0].when.value", "rules[1].id"]);
    let mut bad = rules.clone();
    bad["rules"][0]["when"]["kind"] = json!("regex");
    problem(
        &call(
            &host,
            Some("staff"),
            "PUT",
            "/api/v1/program/eligibility-rules",
            Some(&bad),
        ),
        400,
        "validation-error",
    );

    // Dropping a plan type stored customers use is refused.
    let mut drop_business = rules.clone();
    drop_business["plan_types"] = json!(["dedicated", "corporate", "residential"]);
    let p = problem(
        &call(
            &host,
            Some("staff"),
            "PUT",
            "/api/v1/program/eligibility-rules",
            Some(&drop_business),
        ),
        409,
        "plan-type-in-use",
    );
    assert!(message(&p).contains("business"), "{p}");

    let version: i64 = app
        .database()
        .query_row(
            "SELECT version FROM program_settings WHERE name = 'eligibility'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(version, 2, "refused edits change nothing");
    let audited: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM audit_events WHERE entity_type = 'program_settings' AND entity_id = 'eligibility'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 2, "seeding and one edit");
}

#[test]
fn data_survives_a_host_restart() {
    let app = App::new();
    let host = app.start();
    put_customer(&host, "S1", json!({"plan_type": "corporate"}));
    let mut rules = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/program/eligibility-rules",
        None,
    ))["rules"]
        .clone();
    rules["rules"].as_array_mut().unwrap().truncate(1);
    assert_eq!(
        call(
            &host,
            Some("staff"),
            "PUT",
            "/api/v1/program/eligibility-rules",
            Some(&rules)
        )
        .status,
        200
    );
    assert_eq!(host.stop().code(), Some(0));

    let host = app.start();
    let c = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/customers/S1",
        None,
    ));
    assert_eq!(c["facts"]["plan_type"], "corporate");
    let program = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/program/eligibility-rules",
        None,
    ));
    assert_eq!(program["version"], 2);
    assert_eq!(program["rules"]["rules"].as_array().unwrap().len(), 1);
    assert_eq!(check(&host, json!({"customer_id": "S1"}))["vip"], true);
}
