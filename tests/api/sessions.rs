//! Member sessions (issue 17): a one-time code to the contact on file, a
//! member token for it, and web forms and chat bots kept to that member.

use e2e::{become_member, call, call_with, customer, json, problem, App};
use serde_json::{json, Value};
use spin_local_harness::{Host, Response};

/// `id` as a member whose contact on file is `email` (and no shared phone).
fn member_with_email(host: &Host, id: &str, email: &str) {
    become_member(host, id);
    let mut body = customer(json!({"segment": "isp"}));
    body["contact"] = json!({"name": "Member", "email": email});
    let r = call(
        host,
        Some("staff"),
        "PUT",
        &format!("/api/v1/customers/{id}"),
        Some(&body),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

fn post(host: &Host, path: &str, body: &Value) -> Response {
    call(host, None, "POST", path, Some(body))
}

/// The one number `sql` (a `SELECT COUNT(*) …`) answers on the app's database.
fn count(app: &App, sql: &str) -> i64 {
    app.database().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Asks for a one-time code for `email`.
fn ask_code(host: &Host, email: &str) -> Response {
    post(host, "/api/v1/sessions/codes", &json!({ "email": email }))
}

/// Tries `code` for `email`.
fn try_code(host: &Host, email: &str, code: &str) -> Response {
    post(
        host,
        "/api/v1/sessions",
        &json!({ "email": email, "code": code }),
    )
}

/// The code the notice outbox holds for `customer` (what the delivery partner sends).
fn code_sent_to(app: &App, customer: &str) -> String {
    let payload: String = app
        .database()
        .query_row(
            "SELECT payload FROM notice_outbox WHERE kind = 'member.login_code' AND customer_id = ?
             ORDER BY created_at DESC, rowid DESC LIMIT 1",
            [customer],
            |r| r.get(0),
        )
        .expect("a login code notice");
    serde_json::from_str::<Value>(&payload).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string()
}

fn sign_in(app: &App, host: &Host, customer: &str, email: &str) -> String {
    let r = post(host, "/api/v1/sessions/codes", &json!({"email": email}));
    assert_eq!(r.status, 202, "{}", r.body);
    let code = code_sent_to(app, customer);
    let r = post(
        host,
        "/api/v1/sessions",
        &json!({"email": email, "code": code}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let session = json(&r);
    assert_eq!(session["customer_id"], customer);
    session["token"].as_str().unwrap().to_string()
}

fn as_member(host: &Host, token: &str, method: &str, path: &str) -> Response {
    let auth = format!("Bearer {token}");
    host.request(method, path, &[("authorization", &auth)], b"")
}

#[test]
fn a_code_gives_a_token_that_acts_only_for_its_member() {
    let app = App::new();
    let host = app.start();
    member_with_email(&host, "c-ana", "ana.session@example.test");
    member_with_email(&host, "c-bob", "bob.session@example.test");

    // Known and unknown details get the same answer; only the known one is sent a code.
    let known = ask_code(&host, "ANA.session@example.test");
    let unknown = ask_code(&host, "nobody@example.test");
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    let outbox: i64 = count(
        &app,
        "SELECT COUNT(*) FROM notice_outbox WHERE kind = 'member.login_code'",
    );
    assert_eq!(outbox, 1);

    let token = sign_in(&app, &host, "c-ana", "ana.session@example.test");
    let me = as_member(&host, &token, "GET", "/api/v1/me");
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(json(&me)["customer_id"], "c-ana");
    assert_eq!(json(&me)["contact"]["email"], "ana.session@example.test");
    // The member's own data, with the token alone.
    for path in [
        "/api/v1/me/tier",
        "/api/v1/me/points",
        "/api/v1/me/cards",
        "/api/v1/me/redemptions",
        "/api/v1/me/service",
    ] {
        let r = as_member(&host, &token, "GET", path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        let shown = serde_json::to_string(&json(&r)).unwrap();
        assert!(!shown.contains("c-bob"), "{path}: {shown}");
    }
    assert_eq!(
        json(&as_member(&host, &token, "GET", "/api/v1/me/points"))["customer_id"],
        "c-ana"
    );
    assert_eq!(
        as_member(&host, &token, "GET", "/api/v1/me/rewards").status,
        200
    );

    // The member keeps their contact details up to date; the change is audited with them as actor.
    let auth = format!("Bearer {token}");
    let put = |body: &Value| {
        host.request(
            "PUT",
            "/api/v1/me/contact",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body.to_string().as_bytes(),
        )
    };
    let r = put(
        &json!({"name": "Ana P.", "email": "ana.new@example.test", "phone": "+34 600 000 001"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["contact"]["email"], "ana.new@example.test");
    let actor: String = app
        .database()
        .query_row(
            "SELECT actor FROM audit_events WHERE entity_id = 'c-ana' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(actor, "member:c-ana");
    problem(
        &put(&json!({"email": "bob.session@example.test"})),
        409,
        "contact-in-use",
    );
    let p = problem(&put(&json!({"email": "nope"})), 400, "validation-error");
    assert_eq!(e2e::fields(&p), ["email"]);
    problem(
        &put(&json!({"name": "No way to sign in"})),
        400,
        "validation-error",
    );
    let r = put(&json!({"name": "Ana", "email": "ana.session@example.test"}));
    assert_eq!(r.status, 200, "{}", r.body);

    // The member downloads everything held about them; the export is audited.
    let export = as_member(&host, &token, "GET", "/api/v1/me/export");
    assert_eq!(export.status, 200, "{}", export.body);
    assert!(export
        .header("content-disposition")
        .unwrap()
        .contains("attachment"));
    let sections = &json(&export)["sections"];
    assert_eq!(sections["customer"][0]["id"], "c-ana");
    assert_eq!(sections["membership"][0]["customer_id"], "c-ana");
    assert!(sections["eligibility_decisions"]
        .as_array()
        .is_some_and(|d| !d.is_empty()));
    assert!(
        !export.body.contains("c-bob"),
        "another member's data in the export"
    );
    assert!(
        !export.body.contains("member.login_code"),
        "login codes are secrets, not data"
    );
    let staff_export = call(
        &host,
        Some("customer_success"),
        "GET",
        "/api/v1/customers/c-ana/export",
        None,
    );
    assert_eq!(staff_export.status, 200);
    let audited: i64 = count(&app, "SELECT COUNT(*) FROM audit_events WHERE action = 'customer.exported' AND entity_id = 'c-ana'");
    assert_eq!(audited, 2);
    problem(
        &call(
            &host,
            Some("staff"),
            "GET",
            "/api/v1/customers/c-nobody/export",
            None,
        ),
        404,
        "not-found",
    );

    // A web form acts for the member its X-Member-Token names, and no other.
    let with_token = [("x-member-token", token.as_str())];
    let own = call_with(
        &host,
        Some("webform"),
        "GET",
        "/api/v1/members/c-ana/points",
        None,
        &with_token,
    );
    assert_eq!(own.status, 200, "{}", own.body);
    for path in [
        "/api/v1/members/c-bob/points",
        "/api/v1/members/c-nobody/points",
        "/api/v1/customers/c-bob",
    ] {
        let r = call_with(&host, Some("webform"), "GET", path, None, &with_token);
        problem(&r, 404, "not-found");
    }
    // The same 404 text for another member's and for nothing at all.
    let other = call_with(
        &host,
        Some("chatbot"),
        "GET",
        "/api/v1/members/c-bob/tier",
        None,
        &with_token,
    );
    let none = call_with(
        &host,
        Some("chatbot"),
        "GET",
        "/api/v1/members/c-nobody/tier",
        None,
        &with_token,
    );
    assert_eq!(json(&other)["detail"], json(&none)["detail"]);
    let webform_key = format!("Bearer {}", e2e::key("webform"));
    let bare = host.request(
        "GET",
        "/api/v1/members/c-ana/points",
        &[("authorization", &webform_key)],
        b"",
    );
    problem(&bare, 401, "member-token-required");
    // Staff roles are not scoped.
    assert_eq!(
        call(
            &host,
            Some("staff"),
            "GET",
            "/api/v1/members/c-bob/points",
            None
        )
        .status,
        200
    );

    // A redemption for another member is refused; lists hold only the member's.
    let foreign = call_with(
        &host,
        Some("webform"),
        "POST",
        "/api/v1/redemptions",
        Some(&json!({"customer_id": "c-bob", "reward_id": 1})),
        &with_token,
    );
    problem(&foreign, 404, "not-found");
    let listed = call_with(
        &host,
        Some("webform"),
        "GET",
        "/api/v1/redemptions",
        None,
        &with_token,
    );
    assert_eq!(listed.status, 200, "{}", listed.body);
    let asked = call_with(
        &host,
        Some("webform"),
        "GET",
        "/api/v1/redemptions?customer_id=c-bob",
        None,
        &with_token,
    );
    problem(&asked, 404, "not-found");

    // Renewed, then signed out: the token stops working at once.
    let renewed = as_member(&host, &token, "POST", "/api/v1/sessions/current/renew");
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    assert_eq!(
        as_member(&host, &token, "DELETE", "/api/v1/sessions/current").status,
        204
    );
    problem(
        &as_member(&host, &token, "GET", "/api/v1/me"),
        401,
        "member-token-invalid",
    );
    let r = call_with(
        &host,
        Some("webform"),
        "GET",
        "/api/v1/members/c-ana/points",
        None,
        &with_token,
    );
    problem(&r, 401, "member-token-invalid");
    // A code works once.
    let code = code_sent_to(&app, "c-ana");
    let again = try_code(&host, "ana.session@example.test", &code);
    problem(&again, 401, "code-not-accepted");
}

#[test]
fn wrong_codes_count_down_then_pause() {
    let app = App::new();
    let host = app.start();
    member_with_email(&host, "c-eve", "eve.session@example.test");
    let r = ask_code(&host, "eve.session@example.test");
    assert_eq!(r.status, 202);
    let code = code_sent_to(&app, "c-eve");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        let r = try_code(&host, "eve.session@example.test", wrong);
        let p = problem(&r, 401, "code-not-accepted");
        assert_eq!(p["attempts_left"], left, "{p}");
    }
    // Paused, even with the right code, and told for how long.
    let r = try_code(&host, "eve.session@example.test", &code);
    problem(&r, 429, "too-many-attempts");
    let wait: i64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    // Unknown details pause the same way: nothing tells them apart.
    let r = try_code(&host, "nobody@example.test", wrong);
    problem(&r, 429, "too-many-attempts");
}

#[test]
fn bad_session_requests_name_the_field() {
    let (_app, host) = e2e::boot();
    for body in [json!({}), json!({"email": "a@b.test", "phone": "+1"})] {
        let r = post(&host, "/api/v1/sessions/codes", &body);
        problem(&r, 400, "validation-error");
    }
    let r = post(
        &host,
        "/api/v1/sessions/codes",
        &json!({"email": "a@b.test", "extra": 1}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    problem(
        &as_member(&host, "vipm_nope", "GET", "/api/v1/me"),
        401,
        "member-token-invalid",
    );
}

const PORTAL: &str = "https://portal.example.test";

/// A preflight or request from a page on `origin`.
fn from_page(
    host: &Host,
    method: &str,
    path: &str,
    origin: &str,
    extra: &[(&str, &str)],
) -> Response {
    let mut headers = vec![("origin", origin)];
    headers.extend_from_slice(extra);
    host.request(method, path, &headers, b"")
}

#[test]
fn a_listed_origin_may_use_the_public_and_member_operations_from_a_browser() {
    let app = App::new().with_variable("SPIN_VARIABLE_CORS_ORIGINS", PORTAL);
    let host = app.start();
    let asks = [("access-control-request-method", "POST")];
    let pre = from_page(&host, "OPTIONS", "/api/v1/sessions", PORTAL, &asks);
    assert_eq!(pre.status, 204, "{}", pre.body);
    assert_eq!(pre.header("access-control-allow-origin"), Some(PORTAL));
    assert_eq!(pre.header("access-control-allow-methods"), Some("POST"));
    assert!(pre
        .header("access-control-allow-headers")
        .unwrap()
        .contains("x-member-token"));
    let me = from_page(
        &host,
        "OPTIONS",
        "/api/v1/me",
        PORTAL,
        &[("access-control-request-method", "GET")],
    );
    assert_eq!(me.header("access-control-allow-origin"), Some(PORTAL));

    // Another origin, or an operation that needs an API key: no grant.
    let evil = from_page(
        &host,
        "OPTIONS",
        "/api/v1/sessions",
        "https://evil.example.test",
        &asks,
    );
    assert_eq!(
        (evil.status, evil.header("access-control-allow-origin")),
        (204, None)
    );
    let staff_only = from_page(&host, "OPTIONS", "/api/v1/program/tiers", PORTAL, &asks);
    assert_eq!(staff_only.status, 204);
    assert_eq!(staff_only.header("access-control-allow-origin"), None);
    assert_eq!(staff_only.header("allow"), Some("GET, PUT"));
    problem(
        &from_page(&host, "OPTIONS", "/api/v1/nothing", PORTAL, &asks),
        404,
        "not-found",
    );

    // The answers themselves carry the grant, errors included, so the page can read them.
    let r = host.request(
        "POST",
        "/api/v1/sessions/codes",
        &[("origin", PORTAL), ("content-type", "application/json")],
        br#"{"email":"someone@example.test"}"#,
    );
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some(PORTAL));
    assert_eq!(r.header("vary"), Some("Origin"));
    let denied = from_page(&host, "GET", "/api/v1/me", PORTAL, &[]);
    assert_eq!(
        (denied.status, denied.header("access-control-allow-origin")),
        (401, Some(PORTAL))
    );
    let keyed = from_page(&host, "GET", "/api/v1/program/tiers", PORTAL, &[]);
    assert_eq!(keyed.header("access-control-allow-origin"), None);
}

#[test]
fn without_listed_origins_no_page_is_granted() {
    let (_app, host) = e2e::boot();
    let pre = from_page(
        &host,
        "OPTIONS",
        "/api/v1/sessions",
        PORTAL,
        &[("access-control-request-method", "POST")],
    );
    assert_eq!(
        (pre.status, pre.header("access-control-allow-origin")),
        (204, None)
    );
    let r = from_page(&host, "GET", "/api/v1/health", PORTAL, &[]);
    assert_eq!(
        (r.status, r.header("access-control-allow-origin")),
        (200, None)
    );
}

fn application(email: &str, plan: &str, amount: &str) -> Value {
    json!({
        "legal_name": "Nueva Empresa S.A.",
        "contact": {"name": "Luisa", "email": email},
        "facts": {"segment": "isp", "plan_type": plan, "monthly_plan_amount": {"amount": amount, "currency": "USD"},
                  "service_delivery": "direct", "support_plan": "gold"},
        "consents": {"programme": true, "marketing": false}
    })
}

#[test]
fn an_application_is_evaluated_and_a_vip_one_opens_onboarding() {
    let app = App::new();
    let host = app.start();
    let r = post(
        &host,
        "/api/v1/applications",
        &application("luisa@nueva.test", "dedicated", "900.00"),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let body = json(&r);
    assert_eq!(body["status"], "received");
    assert_eq!(body["vip"], true, "{body}");
    assert!(
        body["decision"]["reasons"].is_array() || body["decision"].is_object(),
        "{body}"
    );
    // Stored as a customer with the consents given, and an onboarding case is open.
    let db = app.database();
    let (customer, consents): (String, String) = db
        .query_row("SELECT customer_id, consents FROM applications", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&consents).unwrap()["programme"],
        true
    );
    let cases: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM onboarding_cases WHERE customer_id = ?",
            [&customer],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(cases, 1);
    // The applicant can sign in with the email they gave.
    let token = sign_in(&app, &host, &customer, "luisa@nueva.test");
    assert_eq!(
        json(&as_member(&host, &token, "GET", "/api/v1/me"))["legal_name"],
        "Nueva Empresa S.A."
    );

    // The consents given with the application, then changed: only changes are recorded.
    let consents = json(&as_member(&host, &token, "GET", "/api/v1/me/consents"));
    assert_eq!(
        consents["current"],
        json!({"programme": true, "marketing": false, "third_parties": false})
    );
    let auth = format!("Bearer {token}");
    let put = |body: &str| {
        host.request(
            "PUT",
            "/api/v1/me/consents",
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body.as_bytes(),
        )
    };
    let changed = json(&put(r#"{"marketing": true}"#));
    assert_eq!(changed["current"]["marketing"], true);
    let history = changed["history"].as_array().unwrap().len();
    let same = json(&put(r#"{"marketing": true, "programme": true}"#));
    assert_eq!(
        same["history"].as_array().unwrap().len(),
        history,
        "nothing changed, nothing recorded"
    );
    assert_eq!(
        same["history"][history - 1]["recorded_by"],
        format!("member:{customer}")
    );
    let p = problem(&put(r#"{"bogus": true}"#), 400, "validation-error");
    assert_eq!(e2e::fields(&p), ["bogus"]);

    // The same email again creates nothing, and the answer looks the same.
    let again = post(
        &host,
        "/api/v1/applications",
        &application("LUISA@nueva.test", "dedicated", "900.00"),
    );
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(json(&again)["status"], "received");
    let count: i64 = db
        .query_row("SELECT COUNT(*) FROM applications", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 1);
    // Past 3 applications from one address in 15 minutes: a pause.
    post(
        &host,
        "/api/v1/applications",
        &application("x@nueva.test", "residential", "20.00"),
    );
    let r = post(
        &host,
        "/api/v1/applications",
        &application("y@nueva.test", "residential", "20.00"),
    );
    problem(&r, 429, "too-many-attempts");
    assert!(r.header("retry-after").is_some());
}

#[test]
fn an_application_with_bad_fields_names_each() {
    let (_app, host) = e2e::boot();
    let mut bad = application("not-an-email", "dedicated", "900.00");
    bad["consents"]["programme"] = json!(false);
    let p = problem(
        &post(&host, "/api/v1/applications", &bad),
        400,
        "validation-error",
    );
    let fields: Vec<String> = e2e::fields(&p);
    assert!(fields.contains(&"contact.email".to_string()), "{p}");
    assert!(fields.contains(&"consents.programme".to_string()), "{p}");
    let mut no_contact = application("a@b.test", "dedicated", "900.00");
    no_contact["contact"] = json!({"name": "Nobody"});
    let p = problem(
        &post(&host, "/api/v1/applications", &no_contact),
        400,
        "validation-error",
    );
    assert!(
        e2e::fields(&p).contains(&"contact.email".to_string()),
        "{p}"
    );
}

#[test]
fn an_erased_member_cannot_sign_in_and_their_numbers_still_add_up() {
    let app = App::new();
    let host = app.start();
    member_with_email(&host, "c-zoe", "zoe.session@example.test");
    let r = call(
        &host,
        Some("staff"),
        "POST",
        "/api/v1/members/c-zoe/points/adjustments",
        Some(&json!({"points": 250, "reason": "welcome"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let token = sign_in(&app, &host, "c-zoe", "zoe.session@example.test");
    let other = sign_in(&app, &host, "c-zoe", "zoe.session@example.test");
    let before: i64 = app
        .database()
        .query_row(
            "SELECT COALESCE(SUM(points), 0) FROM points_ledger",
            [],
            |r| r.get(0),
        )
        .unwrap();

    let erased = as_member(&host, &token, "POST", "/api/v1/me/erasure");
    assert_eq!(erased.status, 200, "{}", erased.body);
    let erased_at = json(&erased)["erased_at"].clone();
    // Every session ended, the other device's too.
    for t in [&token, &other] {
        problem(
            &as_member(&host, t, "GET", "/api/v1/me"),
            401,
            "member-token-invalid",
        );
    }
    // No name, no contact; the ledger and the totals are as they were.
    let staff = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/customers/c-zoe",
        None,
    ));
    assert_eq!(staff["legal_name"], "erased");
    assert_eq!(staff["contact"], json!({}));
    let after: i64 = app
        .database()
        .query_row(
            "SELECT COALESCE(SUM(points), 0) FROM points_ledger",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(after, before);
    assert_eq!(
        json(&call(
            &host,
            Some("staff"),
            "GET",
            "/api/v1/members/c-zoe/points",
            None
        ))["balance"],
        250
    );
    // The audit says who erased whom, and nothing personal.
    let details: String = app
        .database()
        .query_row(
            "SELECT actor || ' ' || details FROM audit_events WHERE action = 'customer.erased' AND entity_id = 'c-zoe'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!details.contains("zoe.session"), "{details}");
    // The email names no one now: a code request sends nothing.
    let sent_before: i64 = count(
        &app,
        "SELECT COUNT(*) FROM notice_outbox WHERE kind = 'member.login_code'",
    );
    assert_eq!(ask_code(&host, "zoe.session@example.test").status, 202);
    let sent_after: i64 = count(
        &app,
        "SELECT COUNT(*) FROM notice_outbox WHERE kind = 'member.login_code'",
    );
    assert_eq!(sent_after, sent_before);
    problem(
        &call(
            &host,
            Some("staff"),
            "POST",
            "/api/v1/customers/c-zoe/sessions",
            None,
        ),
        404,
        "not-found",
    );

    // Erasing again: the same answer, nothing else changes.
    let audit_rows = |app: &App| -> i64 { count(app, "SELECT COUNT(*) FROM audit_events") };
    let rows = audit_rows(&app);
    let again = call(
        &host,
        Some("customer_success"),
        "POST",
        "/api/v1/customers/c-zoe/erasure",
        None,
    );
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(json(&again)["erased_at"], erased_at);
    assert_eq!(audit_rows(&app), rows);
}

#[test]
fn a_member_acts_on_their_own_tickets_redemptions_and_invoices_only() {
    let app = App::new();
    let host = app.start();
    member_with_email(&host, "c-ana", "ana.acts@example.test");
    member_with_email(&host, "c-bob", "bob.acts@example.test");
    let token = sign_in(&app, &host, "c-ana", "ana.acts@example.test");
    let auth = format!("Bearer {token}");
    let send = |method: &str, path: &str, body: &Value, key: Option<&str>| {
        let mut headers = vec![
            ("authorization", auth.as_str()),
            ("content-type", "application/json"),
        ];
        if let Some(k) = key {
            headers.push(("idempotency-key", k));
        }
        host.request(method, path, &headers, body.to_string().as_bytes())
    };

    // A ticket opened by the member is theirs without naming them.
    let opened = send(
        "POST",
        "/api/v1/me/tickets",
        &json!({"kind": "question", "channel": "web_form", "subject": "Router"}),
        None,
    );
    assert_eq!(opened.status, 201, "{}", opened.body);
    let ticket = json(&opened)["id"].as_i64().unwrap();
    assert_eq!(json(&opened)["customer_id"], "c-ana");
    let shown = as_member(
        &host,
        &token,
        "GET",
        &format!("/api/v1/me/tickets/{ticket}"),
    );
    assert_eq!(shown.status, 200, "{}", shown.body);
    // The customer's side replies and reopens; the team's events are not theirs.
    let team = send(
        "POST",
        &format!("/api/v1/me/tickets/{ticket}/events"),
        &json!({"event": "resolve"}),
        None,
    );
    problem(&team, 403, "forbidden");
    let bob_ticket = call(
        &host,
        Some("webform"),
        "POST",
        "/api/v1/tickets",
        Some(
            &json!({"customer_id": "c-bob", "kind": "question", "channel": "email", "subject": "Bill"}),
        ),
    );
    let bob_ticket = json(&bob_ticket)["id"].as_i64().unwrap();
    problem(
        &as_member(
            &host,
            &token,
            "GET",
            &format!("/api/v1/me/tickets/{bob_ticket}"),
        ),
        404,
        "not-found",
    );
    problem(
        &send(
            "POST",
            "/api/v1/me/tickets",
            &json!({"customer_id": "c-bob", "kind": "question", "channel": "web_form", "subject": "X"}),
            None,
        ),
        404,
        "not-found",
    );

    // Redemptions: named for the member by the router; another member's is a 404.
    let r = send(
        "POST",
        "/api/v1/me/redemptions",
        &json!({"reward_id": 424242}),
        Some("r-1"),
    );
    let p = problem(&r, 404, "not-found");
    assert!(p["detail"].as_str().unwrap().contains("reward"), "{p}");
    problem(
        &send(
            "POST",
            "/api/v1/me/redemptions",
            &json!({"customer_id": "c-bob", "reward_id": 1}),
            Some("r-2"),
        ),
        404,
        "not-found",
    );

    // Lists hold only the member's.
    let mine = json(&as_member(&host, &token, "GET", "/api/v1/me/tickets"));
    let ids: Vec<i64> = mine["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [ticket]);

    // Invoices: the member's own, and a promise to pay it; not another's.
    let own = e2e::invoice(&host, "c-ana", "2026-11", "40.00");
    let theirs = e2e::invoice(&host, "c-bob", "2026-11", "40.00");
    assert_eq!(
        as_member(&host, &token, "GET", &format!("/api/v1/me/invoices/{own}")).status,
        200
    );
    let listed = json(&as_member(&host, &token, "GET", "/api/v1/me/invoices"));
    let ids: Vec<i64> = listed["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [own]);
    problem(
        &as_member(
            &host,
            &token,
            "GET",
            &format!("/api/v1/me/invoices/{theirs}"),
        ),
        404,
        "not-found",
    );
    problem(
        &send(
            "POST",
            &format!("/api/v1/me/invoices/{theirs}/commitments"),
            &json!({"pay_by": "2026-11-20"}),
            None,
        ),
        404,
        "not-found",
    );
}

#[test]
fn the_session_policy_is_programme_data() {
    let app = App::new();
    let host = app.start();
    let r = call(
        &host,
        Some("program_manager"),
        "GET",
        "/api/v1/program/sessions",
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let mut policy = json(&r)["policy"].clone();
    assert_eq!(policy["max_wrong_codes"], 5);
    policy["max_wrong_codes"] = json!(2);
    let r = call(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/program/sessions",
        Some(&policy),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Two wrong codes now pause.
    member_with_email(&host, "c-ivy", "ivy.session@example.test");
    assert_eq!(ask_code(&host, "ivy.session@example.test").status, 202);
    let code = code_sent_to(&app, "c-ivy");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let p = problem(
        &try_code(&host, "ivy.session@example.test", wrong),
        401,
        "code-not-accepted",
    );
    assert_eq!(p["attempts_left"], 1);
    problem(
        &try_code(&host, "ivy.session@example.test", wrong),
        401,
        "code-not-accepted",
    );
    problem(
        &try_code(&host, "ivy.session@example.test", &code),
        429,
        "too-many-attempts",
    );
    // Weak settings are refused, each field named.
    policy["code_digits"] = json!(4);
    policy["window_minutes"] = json!(0);
    let p = problem(
        &call(
            &host,
            Some("staff"),
            "PUT",
            "/api/v1/program/sessions",
            Some(&policy),
        ),
        400,
        "validation-error",
    );
    assert_eq!(e2e::fields(&p), ["code_digits", "window_minutes"]);
}

/// SOP-001 asks the date of birth (optional) and the form sets the
/// language the member's notices are written in.
#[test]
fn an_application_may_give_a_birth_date_and_the_notice_language() {
    let app = App::new();
    let host = app.start();
    let mut body = application("ada@nueva.test", "dedicated", "900.00");
    body["birth_date"] = json!("2999-01-01");
    let p = problem(
        &post(&host, "/api/v1/applications", &body),
        400,
        "validation-error",
    );
    assert_eq!(e2e::fields(&p), ["birth_date"]);
    body["birth_date"] = json!("1985-06-01");
    body["language"] = json!("en");
    let r = post(&host, "/api/v1/applications", &body);
    assert_eq!(r.status, 201, "{}", r.body);
    let db = app.database();
    let (customer, born): (String, String) = db
        .query_row(
            "SELECT customer_id, birth_date FROM member_birthdays",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(born, "1985-06-01");
    let token = sign_in(&app, &host, &customer, "ada@nueva.test");
    let prefs = json(&as_member(
        &host,
        &token,
        "GET",
        "/api/v1/me/notice-preferences",
    ));
    assert_eq!(prefs["language"], "en", "{prefs}");
    assert_eq!(prefs["channels"], json!(["email", "sms"]));
}
