//! Suspension, reconnection and disconnection (docs/domain.md §6) against a real
//! loopback partner (`e2e::partner`) that records every call and fails when
//! told to: orders opened from service moves, signed provisioning calls
//! retried with backoff, engineering and provisioning confirmations as
//! signed webhooks (replays, bad signatures), notices delivered at least
//! once with their ids, reconnection after a payment, and the retention
//! windows of a disconnection request and of equipment powered off.

use chrono::Utc;
use e2e::partner::{Call, Partner};
use e2e::{
    call, json, problem, signed, App, Host, NOTIFICATION_WEBHOOK_SECRET, PARTNER_WEBHOOK_SECRET,
    PROVISIONING_WEBHOOK_SECRET,
};
use serde_json::{json, Value};
use vip_domain::webhooks::{verify, Headers, Secret};

const ORDERS: &str = "/service-orders";
const NOTICES: &str = "/notices";
const HOOK: &str = "/api/v1/webhooks/service-orders";

fn boot_with_partner() -> (Partner, App, Host) {
    let partner = Partner::start();
    let app = App::with_partners(&partner.origin);
    let host = app.start();
    e2e::allow_history(&host);
    (partner, app, host)
}

fn store(host: &Host, id: &str, delivery: &str) {
    let r = call(
        host,
        Some("staff"),
        "PUT",
        &format!("/api/v1/customers/{id}"),
        Some(&e2e::customer(json!({"service_delivery": delivery}))),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
}

fn invoice(host: &Host, customer: &str, month: &str) -> i64 {
    e2e::invoice(host, customer, month, "50.00")
}

/// A customer with October unpaid, suspended by the dunning run of 27 October.
fn suspended(host: &Host, id: &str, delivery: &str) -> i64 {
    store(host, id, delivery);
    let invoice = invoice(host, id, "2026-10");
    let r = call(
        host,
        Some("scheduler"),
        "POST",
        "/api/v1/dunning/runs?as_of=2026-10-27T12:00:00Z",
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(service(host, id)["status"], "suspended");
    invoice
}

fn service(host: &Host, id: &str) -> Value {
    let r = call(
        host,
        Some("staff"),
        "GET",
        &format!("/api/v1/customers/{id}/service"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)
}

/// What the scheduler does every minute: the suspension run, then the
/// `notices` run delivering what it (and every other feature) wrote; the
/// suspension run's answer with the notices tally as `notices`.
fn run(host: &Host, as_of: &str) -> Value {
    let mut answer = scheduled(host, "suspension", as_of);
    answer["notices"] = scheduled(host, "notices", as_of)["notices"].clone();
    answer
}

fn scheduled(host: &Host, run: &str, as_of: &str) -> Value {
    let r = call(
        host,
        Some("scheduler"),
        "POST",
        &format!("/api/v1/{run}/runs?as_of={as_of}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)
}

fn now() -> i64 {
    Utc::now().timestamp()
}

/// A partner's event, signed with the partners' secret.
fn event(host: &Host, id: &str, kind: &str, data: Value) -> e2e::Response {
    signed(
        host,
        HOOK,
        id,
        now(),
        &json!({"type": kind, "data": data}),
        PARTNER_WEBHOOK_SECRET,
    )
}

/// The call verifies against `secret`, as the partner would check it.
fn assert_signed(call: &Call, secret: &str) {
    let secrets = [Secret::parse(secret).unwrap()];
    let headers = Headers {
        id: Some(&call.id),
        timestamp: Some(&call.timestamp),
        signature: Some(&call.signature),
    };
    verify(&secrets, headers, call.body.as_bytes(), Utc::now(), 300)
        .unwrap_or_else(|e| panic!("call {} is not signed: {e}", call.id));
}

fn order_of(host: &Host, customer: &str) -> Value {
    service(host, customer)["orders"][0].clone()
}

#[test]
fn a_direct_suspension_is_called_through_with_retries_and_closes_on_confirmation() {
    let (partner, app, host) = boot_with_partner();
    suspended(&host, "S-DIRECT", "direct");
    partner.fail_next(ORDERS, 2);

    // The order opens and its first call fails; the retry waits a minute.
    let r = run(&host, "2026-10-27T12:05:00Z");
    assert_eq!(r["orders_opened"], 1, "{r}");
    assert_eq!(r["calls"]["failed"], 1, "{r}");
    let order = order_of(&host, "S-DIRECT");
    let id = order["id"].as_i64().unwrap();
    assert_eq!(order["ticket_type"], "vip_suspension");
    assert_eq!(order["action"], "suspend");
    assert_eq!(order["stage"], "provisioning");
    assert_eq!(order["provisioning_call"]["attempts"], 1);
    assert_eq!(
        order["provisioning_call"]["next_at"],
        "2026-10-27T12:06:00.000Z"
    );
    assert!(order["provisioning_call"]["last_error"]
        .as_str()
        .unwrap()
        .contains("503"));

    // Not due yet: nothing is called, nothing is opened twice.
    let r = run(&host, "2026-10-27T12:05:30Z");
    assert_eq!(
        (r["orders_opened"].as_i64(), r["calls"]["failed"].as_i64()),
        (Some(0), Some(0))
    );
    // The second failure doubles the wait (2 min); the third call is accepted.
    assert_eq!(run(&host, "2026-10-27T12:06:00Z")["calls"]["failed"], 1);
    assert_eq!(
        order_of(&host, "S-DIRECT")["provisioning_call"]["next_at"],
        "2026-10-27T12:08:00.000Z"
    );
    assert_eq!(run(&host, "2026-10-27T12:07:59Z")["calls"]["failed"], 0);
    // The cron component runs the same run.
    app.fire_cron("suspension", "2026-10-27T12:08:00Z");
    let calls = partner.calls(ORDERS);
    assert_eq!(
        calls.iter().map(|c| c.status).collect::<Vec<_>>(),
        [503, 503, 200]
    );
    for c in &calls {
        assert_eq!(c.id, format!("order-{id}"), "one message id for every try");
        assert_signed(c, PROVISIONING_WEBHOOK_SECRET);
        let body = c.json();
        assert_eq!(body["type"], "service_order.suspend");
        assert_eq!(body["data"]["order_id"], id);
        assert_eq!(body["data"]["customer_id"], "S-DIRECT");
    }
    let order = order_of(&host, "S-DIRECT");
    assert_eq!(order["provisioning_call"]["attempts"], 3);
    assert!(order["provisioning_call"]["accepted_at"].is_string());
    assert!(order["provisioning_call"]["next_at"].is_null());
    assert_eq!(run(&host, "2026-10-27T12:30:00Z")["calls"]["delivered"], 0);

    // Engineering has nothing to confirm on a direct order.
    let r = event(
        &host,
        "msg-eng-1",
        "engineering.confirmed",
        json!({"order_id": id}),
    );
    problem(&r, 409, "invalid-order-transition");

    // Unsigned, badly signed and stale confirmations change nothing.
    let body = json!({"type": "provisioning.confirmed", "data": {"order_id": id}});
    let unsigned = host.request(
        "POST",
        HOOK,
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    );
    problem(&unsigned, 401, "invalid-webhook-signature");
    let wrong = signed(
        &host,
        HOOK,
        "msg-prov-1",
        now(),
        &body,
        PROVISIONING_WEBHOOK_SECRET,
    );
    problem(&wrong, 401, "invalid-webhook-signature");
    let stale = signed(
        &host,
        HOOK,
        "msg-prov-1",
        now() - 301,
        &body,
        PARTNER_WEBHOOK_SECRET,
    );
    problem(&stale, 401, "invalid-webhook-signature");
    assert_eq!(order_of(&host, "S-DIRECT")["stage"], "provisioning");

    // Provisioning confirms: the order closes; the replay applies nothing.
    let r = event(
        &host,
        "msg-prov-1",
        "provisioning.confirmed",
        json!({"order_id": id}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["applied"], true);
    assert_eq!(json(&r)["order"]["stage"], "closed");
    let replay = event(
        &host,
        "msg-prov-1",
        "provisioning.confirmed",
        json!({"order_id": id}),
    );
    assert_eq!(replay.status, 200, "{}", replay.body);
    assert_eq!(json(&replay)["applied"], false);
    let again = event(
        &host,
        "msg-prov-2",
        "provisioning.confirmed",
        json!({"order_id": id}),
    );
    problem(&again, 409, "invalid-order-transition");
    let unknown = event(
        &host,
        "msg-prov-3",
        "provisioning.confirmed",
        json!({"order_id": 999}),
    );
    problem(&unknown, 404, "not-found");

    // The close tells the department list, through the notification webhook.
    partner.fail_next(NOTICES, 1);
    let r = run(&host, "2026-10-27T13:00:00Z");
    assert_eq!(r["notices"]["failed"], 1, "{r}");
    run(&host, "2026-10-27T13:01:00Z");
    let closed: Vec<Call> = partner
        .calls(NOTICES)
        .into_iter()
        .filter(|c| c.id == format!("order-{id}-closed"))
        .collect();
    assert!(!closed.is_empty(), "the close notice was delivered");
    for c in &closed {
        assert_signed(c, NOTIFICATION_WEBHOOK_SECRET);
        assert_eq!(c.json()["type"], "order.closed");
        assert_eq!(
            c.json()["data"]["notice"]["to"],
            json!([
                "sales_manager",
                "engineering",
                "customer_service_head",
                "recovery",
                "collections",
                "projects_director"
            ])
        );
    }
    // Every notice was accepted exactly once (a failed try is repeated with
    // the same id); nothing is left to deliver.
    let notices = partner.calls(NOTICES);
    let accepted: Vec<&str> = notices
        .iter()
        .filter(|c| c.status == 200)
        .map(|c| c.id.as_str())
        .collect();
    let mut unique = accepted.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), accepted.len(), "{accepted:?}");
    let failed = notices.iter().find(|c| c.status == 503).unwrap();
    assert!(accepted.contains(&failed.id.as_str()));
    let undelivered: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM notice_outbox WHERE delivered_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(undelivered, 0);
    assert!(accepted.iter().any(|i| i.starts_with("dunning-")));
    assert_eq!(
        run(&host, "2026-10-27T14:00:00Z")["notices"]["delivered"],
        0
    );
}

#[test]
fn a_third_party_order_waits_for_engineering_and_reconnection_needs_a_payment() {
    let (partner, _app, host) = boot_with_partner();
    let invoice = suspended(&host, "S-THIRD", "third_party");
    run(&host, "2026-10-27T12:05:00Z");
    let order = order_of(&host, "S-THIRD");
    let id = order["id"].as_i64().unwrap();
    assert_eq!(order["stage"], "engineering");
    assert!(
        partner.calls(ORDERS).is_empty(),
        "no call before engineering"
    );
    let assigned = partner
        .calls(NOTICES)
        .into_iter()
        .find(|c| c.id == format!("order-{id}-engineering"))
        .expect("engineering are told");
    assert_eq!(
        assigned.json()["data"]["notice"]["to"],
        json!(["engineering"])
    );

    problem(
        &event(
            &host,
            "m-1",
            "provisioning.confirmed",
            json!({"order_id": id}),
        ),
        409,
        "invalid-order-transition",
    );
    let r = event(
        &host,
        "m-2",
        "engineering.confirmed",
        json!({"order_id": id}),
    );
    assert_eq!(json(&r)["order"]["stage"], "provisioning");
    run(&host, "2026-10-27T12:10:00Z");
    let calls = partner.calls(ORDERS);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].json()["data"]["delivery"], "third_party");
    let r = event(
        &host,
        "m-3",
        "provisioning.confirmed",
        json!({"order_id": id}),
    );
    assert_eq!(json(&r)["order"]["stage"], "closed");

    // Reconnection: the basis must be shown.
    let path = "/api/v1/customers/S-THIRD/service/reconnection";
    let reconnect = |body: Value| call(&host, Some("staff"), "POST", path, Some(&body));
    let r = reconnect(json!({"basis": "payment"}));
    assert_eq!(
        problem(&r, 400, "validation-error")["errors"][0]["field"],
        "payment_id"
    );
    problem(
        &reconnect(json!({"basis": "payment", "payment_id": "PAY-NONE"})),
        422,
        "payment-unknown",
    );
    let r = reconnect(json!({"basis": "sometime"}));
    assert_eq!(
        problem(&r, 400, "validation-error")["errors"][0]["field"],
        "basis"
    );
    let paid = call(
        &host,
        Some("staff"),
        "POST",
        &format!("/api/v1/invoices/{invoice}/payments"),
        Some(&json!({"payment_id": "PAY-1", "amount": {"amount": "50.00", "currency": "USD"}})),
    );
    assert_eq!(paid.status, 201, "{}", paid.body);
    assert_eq!(service(&host, "S-THIRD")["status"], "suspended");
    let r = reconnect(json!({"basis": "payment", "payment_id": "PAY-1"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let view = json(&r);
    assert_eq!(view["status"], "active_temporary_payment");
    assert_eq!(view["reason"], "reconnected on payment PAY-1");
    let order = &view["orders"][0];
    assert_eq!(
        (order["action"].as_str(), order["stage"].as_str()),
        (Some("reconnect"), Some("engineering"))
    );
    let r = reconnect(json!({"basis": "payment", "payment_id": "PAY-1"}));
    assert!(problem(&r, 409, "invalid-service-transition")["detail"]
        .as_str()
        .unwrap()
        .contains("reconnected on that basis already"));
    // Reconnecting opened exactly one order; a run opens none.
    assert_eq!(run(&host, "2026-10-28T09:00:00Z")["orders_opened"], 0);
}

/// What staff record of a customer's formal request to disconnect (seed 001:
/// an email or a letter), added to `body`.
fn formal(mut body: Value) -> Value {
    body["via"] = json!("email");
    body["reference"] = json!("MAIL-2026-0001");
    body
}

fn retention(host: &Host, customer: &str, what: &str, body: Value) -> e2e::Response {
    call(
        host,
        Some("staff"),
        "POST",
        &format!("/api/v1/customers/{customer}/service/{what}"),
        Some(&body),
    )
}

/// Seed 001 asks for a formal request (email or letter): a request through
/// the web form waits, visible to staff, and the windows start only from
/// the formal request staff record.
#[test]
fn a_filed_request_waits_for_the_formal_request_before_any_window_runs() {
    let (_partner, _app, host) = boot_with_partner();
    store(&host, "S-ASK", "direct");
    let ask = |body: Value| {
        call(
            &host,
            Some("webform"),
            "POST",
            "/api/v1/customers/S-ASK/service/disconnection",
            Some(&body),
        )
    };
    let r = ask(json!({"note": "I am moving abroad"}));
    assert_eq!(r.status, 202, "{}", r.body);
    let view = json(&r);
    assert_eq!(view["status"], "active");
    assert_eq!(view["retention"], Value::Null);
    let pending = view["pending_disconnection_request"].clone();
    assert_eq!(pending["note"], "I am moving abroad");
    assert!(
        pending["filed_by"].as_str().unwrap().starts_with("webform"),
        "{pending}"
    );
    // Filing again answers the same request.
    let again = json(&ask(json!({})));
    assert_eq!(again["pending_disconnection_request"]["id"], pending["id"]);
    // A member channel cannot record the formal request.
    let p = problem(&ask(json!({"via": "email"})), 400, "validation-error");
    assert_eq!(e2e::fields(&p), vec!["via"]);
    // Staff see it waiting; nothing runs out meanwhile.
    let list = json(&call(
        &host,
        Some("customer_success"),
        "GET",
        "/api/v1/disconnection-requests",
        None,
    ));
    assert_eq!(list["requests"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["requests"][0]["customer_id"], "S-ASK");
    problem(
        &call(
            &host,
            Some("webform"),
            "GET",
            "/api/v1/disconnection-requests",
            None,
        ),
        403,
        "forbidden",
    );
    let now = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(run(&host, &now)["retention_moves"], 0);
    let view = service(&host, "S-ASK");
    assert_eq!(
        (view["status"].as_str(), &view["retention"]),
        (Some("active"), &Value::Null)
    );

    // Staff must say how the formal request came and its reference.
    let p = problem(
        &retention(
            &host,
            "S-ASK",
            "disconnection",
            json!({"note": "letter came"}),
        ),
        400,
        "validation-error",
    );
    assert_eq!(e2e::fields(&p), vec!["via", "reference"]);
    // The letter was registered yesterday: sales' days count from it.
    let received = (Utc::now() - chrono::Duration::days(1)).to_rfc3339();
    let r = retention(
        &host,
        "S-ASK",
        "disconnection",
        json!({"at": received, "via": "letter", "reference": "REG-114"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let view = json(&r);
    assert_eq!(view["status"], "retention_sales");
    assert_eq!(view["pending_disconnection_request"], Value::Null);
    let reason = view["retention"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("formal request by letter (reference REG-114)"),
        "{reason}"
    );
    let opened =
        chrono::DateTime::parse_from_rfc3339(view["retention"]["opened_at"].as_str().unwrap())
            .unwrap();
    let received = chrono::DateTime::parse_from_rfc3339(&received).unwrap();
    assert!(
        (opened - received).num_seconds().abs() < 1,
        "{opened} {received}"
    );
    let list = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/disconnection-requests",
        None,
    ));
    assert_eq!(list["requests"], json!([]));
}

#[test]
fn a_disconnection_request_runs_out_sales_then_recovery_on_business_days() {
    let (partner, app, host) = boot_with_partner();
    store(&host, "S-LEAVE", "direct");
    invoice(&host, "S-LEAVE", "2026-10");
    // Thursday 5 November 2026, 10:00 Madrid.
    let r = retention(
        &host,
        "S-LEAVE",
        "disconnection",
        formal(json!({"at": "2026-11-05T09:00:00Z", "note": "moving abroad"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let view = json(&r);
    assert_eq!(view["status"], "retention_sales");
    let case = &view["retention"];
    assert_eq!(case["cause"], "disconnection_request");
    assert_eq!(case["sales_due"], "2026-11-10T09:00:00.000Z");
    assert_eq!(case["recovery_due"], "2026-11-13T09:00:00.000Z");
    assert_eq!(
        case["balance"],
        json!([{"amount": "50.00", "currency": "USD"}])
    );
    problem(
        &retention(&host, "S-LEAVE", "disconnection", formal(json!({}))),
        409,
        "invalid-service-transition",
    );

    assert_eq!(run(&host, "2026-11-10T08:59:59Z")["retention_moves"], 0);
    assert_eq!(run(&host, "2026-11-10T09:00:00Z")["retention_moves"], 1);
    let view = service(&host, "S-LEAVE");
    assert_eq!(view["status"], "retention_recovery");
    assert!(view["reason"]
        .as_str()
        .unwrap()
        .starts_with("sales did not retain the customer within 3 business days"));
    assert_eq!(run(&host, "2026-11-13T08:59:59Z")["retention_moves"], 0);
    let r = run(&host, "2026-11-13T09:00:00Z");
    assert_eq!(
        (r["retention_moves"].as_i64(), r["orders_opened"].as_i64()),
        (Some(1), Some(1))
    );
    let view = service(&host, "S-LEAVE");
    assert_eq!(view["status"], "disconnected");
    assert_eq!(view["since"], "2026-11-13T09:00:00.000Z");
    assert_eq!(view["orders"][0]["action"], "uninstall");
    assert!(view["retention"]["closed_at"].is_string());
    let legal = partner
        .calls(NOTICES)
        .into_iter()
        .find(|c| c.json()["type"] == "retention.legal_handoff")
        .expect("the balance goes to legal");
    assert_eq!(legal.json()["data"]["notice"]["to"], json!(["legal"]));
    assert_eq!(
        legal.json()["data"]["notice"]["balance"],
        json!([{"amount": "50.00", "currency": "USD"}])
    );
    problem(
        &retention(&host, "S-LEAVE", "retained", json!({"note": "too late"})),
        409,
        "invalid-service-transition",
    );
    assert_eq!(run(&host, "2026-11-20T09:00:00Z")["retention_moves"], 0);
    let moves: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM audit_events WHERE entity_id = 'S-LEAVE' AND action LIKE 'service.%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(moves, 3, "sales, recovery, disconnected");

    // Kept by sales: the case closes and the service is active.
    store(&host, "S-STAY", "direct");
    let r = retention(
        &host,
        "S-STAY",
        "disconnection",
        formal(json!({"at": "2099-01-01T00:00:00Z"})),
    );
    assert_eq!(
        problem(&r, 400, "validation-error")["errors"][0]["field"],
        "at"
    );
    let r = retention(&host, "S-STAY", "disconnection", formal(json!({})));
    assert_eq!(r.status, 201, "{}", r.body);
    let r = retention(
        &host,
        "S-STAY",
        "retained",
        json!({"note": "discount agreed"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["status"], "active");
    assert_eq!(json(&r)["retention"]["reason"], "retained: discount agreed");
    problem(
        &retention(&host, "S-STAY", "retained", json!({"note": "again"})),
        409,
        "invalid-service-transition",
    );
    problem(
        &retention(&host, "S-STAY", "retained", json!({"note": " "})),
        400,
        "validation-error",
    );
    problem(
        &retention(&host, "S-NOBODY", "disconnection", formal(json!({}))),
        404,
        "not-found",
    );
    let r = call(
        &host,
        Some("webform"),
        "POST",
        "/api/v1/customers/S-STAY/service/powered-off",
        Some(&json!({})),
    );
    problem(&r, 403, "forbidden");

    // The windows' calendar is programme data: it must exist, and a calendar
    // the programme counts on is not deleted.
    let staff = |method: &str, path: &str, body: Option<&Value>| {
        call(&host, Some("staff"), method, path, body)
    };
    let mut program = json(&staff("GET", "/api/v1/program/suspension", None))["program"].clone();
    program["calendar"] = json!("ops");
    let r = staff("PUT", "/api/v1/program/suspension", Some(&program));
    assert_eq!(r.status, 200, "{}", r.body);
    store(&host, "S-CAL", "direct");
    let r = retention(&host, "S-CAL", "disconnection", formal(json!({})));
    problem(&r, 422, "calendar-missing");
    let default = json(&staff("GET", "/api/v1/calendars/default", None))["calendar"].clone();
    let r = staff("PUT", "/api/v1/calendars/ops", Some(&default));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        retention(&host, "S-CAL", "disconnection", formal(json!({}))).status,
        201
    );
    let p = problem(
        &staff("DELETE", "/api/v1/calendars/ops", None),
        409,
        "calendar-in-use",
    );
    assert!(p["detail"]
        .as_str()
        .unwrap()
        .contains("suspension programme"));
}

#[test]
fn equipment_powered_off_gives_sales_three_days_and_recovery_five() {
    let (_partner, _app, host) = boot_with_partner();
    suspended(&host, "S-OFF", "third_party");
    let r = event(
        &host,
        "off-1",
        "equipment.powered_off",
        json!({"customer_id": "S-OFF", "observed_at": "2026-11-05T09:00:00Z"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let view = &json(&r)["service"];
    assert_eq!(view["status"], "retention_sales");
    assert_eq!(view["retention"]["cause"], "powered_off");
    assert_eq!(view["retention"]["sales_due"], "2026-11-10T09:00:00.000Z");
    assert_eq!(
        view["retention"]["recovery_due"],
        "2026-11-17T09:00:00.000Z"
    );
    let replay = event(
        &host,
        "off-1",
        "equipment.powered_off",
        json!({"customer_id": "S-OFF", "observed_at": "2026-11-05T09:00:00Z"}),
    );
    assert_eq!(json(&replay)["applied"], false);
    // A run after both windows passed catches up in order, dated when each ended.
    let r = run(&host, "2026-11-20T09:00:00Z");
    assert_eq!(r["retention_moves"], 2, "{r}");
    let view = service(&host, "S-OFF");
    assert_eq!(view["status"], "disconnected");
    assert_eq!(view["since"], "2026-11-17T09:00:00.000Z");
    assert_eq!(view["orders"][0]["action"], "reassign_capacity");
    assert_eq!(view["orders"][0]["stage"], "engineering");
    // Only a suspended customer's equipment matters.
    store(&host, "S-ON", "direct");
    problem(
        &retention(&host, "S-ON", "powered-off", json!({})),
        409,
        "invalid-service-transition",
    );
}

#[test]
fn a_partner_that_does_not_answer_times_out_and_is_called_again() {
    let (partner, _app, host) = boot_with_partner();
    let mut program = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/program/suspension",
        None,
    ))["program"]
        .clone();
    assert_eq!(program["call_timeout_seconds"], 10);
    program["call_timeout_seconds"] = json!(1);
    let r = call(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/program/suspension",
        Some(&program),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    suspended(&host, "S-HANG", "direct");
    partner.hang_next(ORDERS, 1);
    let started = std::time::Instant::now();
    let r = run(&host, "2026-10-27T12:05:00Z");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "the run waited {:?} for a partner that hangs",
        started.elapsed()
    );
    assert_eq!(r["calls"]["failed"], 1, "{r}");
    let call = &order_of(&host, "S-HANG")["provisioning_call"];
    assert!(
        call["last_error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("timeout"),
        "{call}"
    );
    assert_eq!(call["next_at"], "2026-10-27T12:06:00.000Z");
    assert_eq!(run(&host, "2026-10-27T12:06:00Z")["calls"]["delivered"], 1);
    let statuses: Vec<u16> = partner.calls(ORDERS).iter().map(|c| c.status).collect();
    assert_eq!(statuses, [0, 200]);
}

/// Seed 001, day 6 of the next month: the unpaid suspended customer goes to
/// pickup, which orders the uninstall (direct service) and hands the
/// balance to legal, who are told; staff close the hand-off once.
#[test]
fn pickup_orders_the_uninstall_and_hands_the_balance_to_legal() {
    let (partner, _app, host) = boot_with_partner();
    suspended(&host, "S-PICK", "direct");
    run(&host, "2026-10-27T12:05:00Z");
    let r = call(
        &host,
        Some("scheduler"),
        "POST",
        "/api/v1/dunning/runs?as_of=2026-11-06T12:00:00Z",
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(service(&host, "S-PICK")["status"], "pickup");
    let r = run(&host, "2026-11-06T12:05:00Z");
    assert_eq!(
        (r["orders_opened"].as_i64(), r["legal_handoffs"].as_i64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let view = service(&host, "S-PICK");
    assert_eq!(view["orders"][0]["action"], "uninstall", "{view}");
    let list = json(&call(
        &host,
        Some("customer_success"),
        "GET",
        "/api/v1/legal-handoffs?customer_id=S-PICK",
        None,
    ));
    let handoff = list["handoffs"][0].clone();
    assert_eq!(handoff["cause"], "pickup");
    assert_eq!(
        handoff["balance"],
        json!([{"amount": "50.00", "currency": "USD"}])
    );
    let told = partner
        .calls(NOTICES)
        .into_iter()
        .find(|c| c.json()["type"] == "legal.handoff")
        .expect("legal are told");
    assert_eq!(told.json()["data"]["notice"]["to"], json!(["legal"]));
    // A rerun hands nothing more.
    assert_eq!(run(&host, "2026-11-06T12:06:00Z")["legal_handoffs"], 0);
    let id = handoff["id"].as_i64().unwrap();
    let close = |body: Value| {
        call(
            &host,
            Some("staff"),
            "POST",
            &format!("/api/v1/legal-handoffs/{id}/closure"),
            Some(&body),
        )
    };
    problem(
        &close(json!({"outcome": "lost", "note": "x"})),
        400,
        "validation-error",
    );
    let r = close(json!({"outcome": "settled", "note": "paid in two instalments"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["outcome"], "settled");
    problem(
        &close(json!({"outcome": "recovered", "note": "again"})),
        409,
        "handoff-closed",
    );
    let open = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/legal-handoffs",
        None,
    ));
    assert_eq!(open["handoffs"], json!([]));
}

/// Seed 001: a reconnected customer moves between temporary payment,
/// investigation and payment plan with the basis recorded; the service
/// stays connected, so no new order opens.
#[test]
fn a_reconnected_customer_changes_basis_without_a_new_order() {
    let (_partner, app, host) = boot_with_partner();
    let invoice = suspended(&host, "S-BASIS", "direct");
    let r = call(
        &host,
        Some("staff"),
        "POST",
        &format!("/api/v1/invoices/{invoice}/payments"),
        Some(&json!({"payment_id": "PAY-B1", "amount": {"amount": "10.00", "currency": "USD"}})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let reconnect = |body: Value| {
        call(
            &host,
            Some("staff"),
            "POST",
            "/api/v1/customers/S-BASIS/service/reconnection",
            Some(&body),
        )
    };
    let r = reconnect(json!({"basis": "payment", "payment_id": "PAY-B1"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let since = json(&r)["since"].clone();
    run(&host, "2026-10-27T12:05:00Z");
    let orders = service(&host, "S-BASIS")["orders"]
        .as_array()
        .unwrap()
        .len();
    let r = reconnect(json!({"basis": "payment_plan", "reference": "PLAN-7"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let view = json(&r);
    assert_eq!(view["status"], "payment_plan");
    assert_eq!(view["since"], since);
    assert_eq!(view["reason"], "reconnected on payment plan PLAN-7");
    problem(
        &reconnect(json!({"basis": "payment_plan", "reference": "PLAN-8"})),
        409,
        "invalid-service-transition",
    );
    assert_eq!(run(&host, "2026-10-27T12:06:00Z")["orders_opened"], 0);
    assert_eq!(
        service(&host, "S-BASIS")["orders"]
            .as_array()
            .unwrap()
            .len(),
        orders
    );
    let audited: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'service.basis_changed' AND entity_id = 'S-BASIS'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 1);
}
