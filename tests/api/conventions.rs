//! Platform conventions every component shares: auth, problem+json, body
//! limits, idempotency, no 500 for client mistakes.

use e2e::{boot, call, customer, fields, json, key, message, post_check, problem};
use serde_json::json;

#[test]
fn a_missing_or_wrong_key_is_401_and_a_wrong_role_is_403() {
    let (_app, host) = boot();
    let body = customer(json!({}));
    let r = call(&host, None, "PUT", "/api/v1/customers/C1", Some(&body));
    let p = problem(&r, 401, "unauthorized");
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert!(p["instance"] == "/api/v1/customers/C1", "{p}");
    let r = host.request(
        "GET",
        "/api/v1/customers/C1",
        &[("authorization", "Bearer not-a-valid-key-at-all")],
        b"",
    );
    problem(&r, 401, "unauthorized");
    let r = host.request(
        "GET",
        "/api/v1/customers/C1",
        &[("authorization", key("staff"))],
        b"",
    );
    problem(&r, 401, "unauthorized");
    let r = call(
        &host,
        Some("webform"),
        "PUT",
        "/api/v1/customers/C1",
        Some(&body),
    );
    let p = problem(&r, 403, "forbidden");
    assert!(p["detail"].as_str().unwrap().contains("webform"), "{p}");
}

#[test]
fn bad_bodies_get_a_4xx_problem_naming_what_is_wrong() {
    let (_app, host) = boot();
    let staff = [("authorization", format!("Bearer {}", key("staff")))];
    let auth: Vec<(&str, &str)> = staff.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let put = |body: &[u8], content_type: &str| {
        let mut headers = auth.clone();
        headers.push(("content-type", content_type));
        host.request("PUT", "/api/v1/customers/C1", &headers, body)
    };
    problem(
        &put(b"{\"legal_name\": ", "application/json"),
        400,
        "malformed-json",
    );
    problem(&put(b"{}", "text/plain"), 415, "unsupported-media-type");
    let big = format!("{{\"legal_name\": \"{}\"}}", "x".repeat(70 * 1024));
    problem(
        &put(big.as_bytes(), "application/json"),
        413,
        "payload-too-large",
    );

    let mut c = customer(json!({}));
    c["facts"]["monthly_plan_amount"]["amount"] = json!(12.5);
    let p = problem(
        &put(c.to_string().as_bytes(), "application/json"),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["facts.monthly_plan_amount.amount"], "{p}");
    assert!(message(&p).contains("expected a string"), "{p}");

    let mut c = customer(json!({}));
    c["facts"]["monthly_plan_amount"]["amount"] = json!("12.5.0");
    let p = problem(
        &put(c.to_string().as_bytes(), "application/json"),
        400,
        "validation-error",
    );
    assert!(message(&p).contains("12.5.0"), "{p}");

    let c = customer(json!({"segment": "bank"}));
    let p = problem(
        &put(c.to_string().as_bytes(), "application/json"),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["facts.segment"], "{p}");

    let mut c = customer(json!({"plan_type": "gold_plated"}));
    c["legal_name"] = json!("");
    c["facts"]["monthly_plan_amount"]["amount"] = json!("-1.00");
    let p = problem(
        &put(c.to_string().as_bytes(), "application/json"),
        400,
        "validation-error",
    );
    assert_eq!(
        fields(&p),
        [
            "legal_name",
            "facts.plan_type",
            "facts.monthly_plan_amount.amount"
        ],
        "every field is reported: {p}"
    );

    let mut c = customer(json!({}));
    c["unexpected"] = json!(1);
    let p = problem(
        &put(c.to_string().as_bytes(), "application/json"),
        400,
        "validation-error",
    );
    assert!(message(&p).contains("unknown field `unexpected`"));

    let r = call(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/customers/bad%20id",
        Some(&customer(json!({}))),
    );
    assert_eq!(fields(&problem(&r, 400, "validation-error")), ["id"]);
    problem(
        &call(
            &host,
            Some("staff"),
            "GET",
            "/api/v1/customers/nobody",
            None,
        ),
        404,
        "not-found",
    );
    let r = call(&host, Some("staff"), "DELETE", "/api/v1/customers/C1", None);
    problem(&r, 405, "method-not-allowed");
    assert_eq!(r.header("allow"), Some("PUT, GET"));
}

#[test]
fn garbage_never_gets_a_500() {
    let (_app, host) = boot();
    let bodies: [&[u8]; 9] = [
        b"",
        b"null",
        b"[]",
        b"\"text\"",
        b"{\"customer_id\": 5}",
        b"{\"customer_id\": \"C1\", \"facts\": {}}",
        b"{\"facts\": {\"segment\": \"isp\"}}",
        b"\xff\xfe\x00",
        b"{\"facts\": {\"segment\": \"isp\", \"plan_type\": \"x\", \"monthly_plan_amount\": {\"amount\": \"99999999999999999999\", \"currency\": \"USD\"}}}",
    ];
    let auth = format!("Bearer {}", key("chatbot"));
    for body in bodies {
        let r = host.request(
            "POST",
            "/api/v1/eligibility/check",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body,
        );
        assert!(
            (400..500).contains(&r.status),
            "{:?} -> {} {}",
            String::from_utf8_lossy(body),
            r.status,
            r.body
        );
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
}

#[test]
fn an_idempotency_key_retry_returns_the_first_result() {
    let (_app, host) = boot();
    let put = call(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/customers/C9",
        Some(&customer(json!({"segment": "isp"}))),
    );
    assert_eq!(put.status, 201, "{}", put.body);
    let body = json!({"customer_id": "C9"});
    let first = post_check(&host, "webform", &body, Some("check-1"));
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(json(&first)["vip"].as_bool().unwrap());

    // The rules change: a new check would now say "not VIP"...
    let mut rules = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/program/eligibility-rules",
        None,
    ))["rules"]
        .clone();
    rules["rules"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["id"] != "isp_customer");
    let r = call(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/program/eligibility-rules",
        Some(&rules),
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // ...but the retry returns the first result, recorded once.
    let retry = post_check(&host, "webform", &body, Some("check-1"));
    assert_eq!(retry.status, 200);
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));

    let other = post_check(&host, "webform", &json!({"facts": {}}), Some("check-1"));
    problem(&other, 422, "idempotency-key-reused");

    // Keys are per caller: the chat bot's "check-1" is its own.
    let chatbot = post_check(&host, "chatbot", &body, Some("check-1"));
    assert!(!json(&chatbot)["vip"].as_bool().unwrap());

    let fresh = post_check(&host, "webform", &body, None);
    assert!(!json(&fresh)["vip"].as_bool().unwrap());
    assert_ne!(json(&fresh)["decision_id"], json(&first)["decision_id"]);

    // A failed request releases its key: the corrected retry runs.
    let missing = post_check(
        &host,
        "customer_success",
        &json!({"customer_id": "C10"}),
        Some("check-2"),
    );
    problem(&missing, 404, "not-found");
    call(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/customers/C10",
        Some(&customer(json!({}))),
    );
    let again = post_check(
        &host,
        "customer_success",
        &json!({"customer_id": "C10"}),
        Some("check-2"),
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.header("idempotent-replayed"), None);
}
