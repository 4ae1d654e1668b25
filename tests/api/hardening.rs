//! What adversarial testing found (issue 14), each pinned by a test: idle
//! clients cannot starve the instance pool, the host answers its own errors
//! as problem documents, one `Authorization` header, idempotency by JSON
//! meaning, bounded backdating and money, refused webhooks acknowledged.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use e2e::{
    boot, call, call_with, days_ago, invoice, json, key, problem, signed, store_customer, App,
    Host, PAYMENT_WEBHOOK_SECRET,
};
use serde_json::json;

fn connect(host: &Host) -> TcpStream {
    TcpStream::connect(host.base.trim_start_matches("http://")).expect("connect")
}

/// Headers that promise a body, and then no body.
fn stalled_upload(host: &Host) -> TcpStream {
    let mut s = connect(host);
    s.write_all(
        b"POST /api/v1/eligibility/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1\r\n\r\n",
    )
    .expect("send head");
    s
}

fn health_times(host: &Host, n: usize) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            let r = host.get("/api/v1/health");
            assert_eq!(r.status, 200, "{}", r.body);
            t.elapsed()
        })
        .collect();
    times.sort();
    times
}

#[test]
fn idle_uploads_never_hold_an_instance() {
    let (_app, host) = boot();
    let before = health_times(&host, 20);
    // More stalled uploads than the pool has instances (128).
    let idle: Vec<TcpStream> = (0..300).map(|_| stalled_upload(&host)).collect();
    std::thread::sleep(Duration::from_millis(300));
    let during = health_times(&host, 20);
    let p50 = |t: &[Duration]| t[t.len() / 2];
    eprintln!(
        "health p50 {:?} before, {:?} with {} idle uploads held (max {:?})",
        p50(&before),
        p50(&during),
        idle.len(),
        during.last().unwrap()
    );
    assert!(
        p50(&during) < Duration::from_millis(250),
        "health slowed to {:?} by idle clients",
        p50(&during)
    );
    drop(idle);
    // The abandoned uploads are the clients' doing: logged 499, never 500.
    let out = host.output_containing("status=499");
    assert!(out.contains("status=499"), "{out}");
    assert!(!out.contains("status=500"), "{out}");
}

#[test]
fn slow_bodies_time_out_and_host_errors_are_problems() {
    let app = App::new();
    let host = app.start_with(&["--body-timeout-secs", "1", "--max-request-bytes", "1000"]);
    let mut s = stalled_upload(&host);
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw);
    assert!(raw.starts_with("HTTP/1.1 408"), "{raw}");
    assert!(raw.contains("application/problem+json"), "{raw}");
    assert!(raw.contains("/problems/request-timeout"), "{raw}");
    assert!(host.output_containing("status=408").contains("status=408"));

    // The host's own answers are problem documents too.
    let r = host.get("/nowhere");
    assert_eq!(
        (r.status, r.header("content-type")),
        (404, Some("application/problem+json"))
    );
    assert_eq!(json(&r)["type"], "https://vip-ops.dev/problems/not-found");
    let r = host.request("POST", "/api/v1/eligibility/check", &[], &[b'x'; 1001]);
    problem(&r, 413, "payload-too-large");

    // A head larger than the limit is refused before anything runs.
    let big = "a".repeat(200 * 1024);
    let mut s = connect(&host);
    let _ = s.write_all(
        format!("GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\n\r\n").as_bytes(),
    );
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.starts_with("HTTP/1.1 431"), "{raw}");

    // HEAD is GET without the body.
    let r = host.request("HEAD", "/api/v1/health", &[], b"");
    assert_eq!((r.status, r.body.as_str()), (200, ""));
}

#[test]
fn the_log_names_no_ids() {
    let (_app, host) = boot();
    call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/customers/ana%40example.com",
        None,
    );
    let out = host.output_containing("/api/v1/customers/*");
    assert!(out.contains("GET /api/v1/customers/* "), "{out}");
    assert!(!out.contains("example.com"), "{out}");
}

#[test]
fn one_authorization_header_with_any_case_of_scheme() {
    let (_app, host) = boot();
    let webform = format!("Bearer {}", key("webform"));
    let staff = format!("Bearer {}", key("staff"));
    let r = host.request(
        "GET",
        "/api/v1/program/collections",
        &[("authorization", &webform), ("authorization", &staff)],
        b"",
    );
    problem(&r, 400, "ambiguous-authorization");
    let lower = format!("bearer {}", key("staff"));
    let r = host.request(
        "GET",
        "/api/v1/program/collections",
        &[("authorization", &lower)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn idempotency_counts_json_meaning_and_a_takeover_answers_as_the_first() {
    let (app, host) = boot();
    store_customer(&host, "H1", "gold", false);
    let body = r#"{"customer_id":"H1","kind":"question","channel":"email","subject":"Router"}"#;
    let reordered = r#"{ "subject": "Router", "channel": "email",
                         "kind": "question", "customer_id": "H1" }"#;
    let auth = format!("Bearer {}", key("webform"));
    let token = e2e::member_token(&host, "H1").unwrap();
    let send = |body: &str| {
        host.request(
            "POST",
            "/api/v1/tickets",
            &[
                ("authorization", &auth),
                ("x-member-token", &token),
                ("content-type", "application/json"),
                ("idempotency-key", "open-1"),
            ],
            body.as_bytes(),
        )
    };
    let first = send(body);
    assert_eq!(first.status, 201, "{}", first.body);
    let again = send(reordered);
    assert_eq!(
        (again.status, again.header("idempotent-replayed")),
        (201, Some("true")),
        "{}",
        again.body
    );
    assert_eq!(again.body, first.body);

    // The first attempt "crashed" after its effect, before its answer was
    // recorded: its claim is pending since `claimed_at` (SQL).
    let crashed = |claimed_at: &str| {
        app.database()
            .execute(
                &format!(
                    "UPDATE idempotency_keys SET state = 'pending', status = NULL, body = NULL,
                     claimed_at = {claimed_at} WHERE key = 'open-1'"
                ),
                [],
            )
            .unwrap();
    };
    // While the lease runs, a retry is told the first is still in progress...
    crashed("strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");
    problem(&send(body), 409, "idempotency-request-in-progress");
    // ...and once it has run out, the retry takes the key over.
    crashed("'2000-01-01T00:00:00Z'");
    let taken_over = send(body);
    assert_eq!(
        (taken_over.status, taken_over.header("idempotent-replayed")),
        (201, Some("true")),
        "{}",
        taken_over.body
    );
    assert_eq!(json(&taken_over)["id"], json(&first)["id"]);
}

#[test]
fn backdating_is_bounded() {
    let (_app, host) = boot();
    store_customer(&host, "B1", "bronze", false);
    let disconnect = |role: &str, at: &str| {
        call(
            &host,
            Some(role),
            "POST",
            "/api/v1/customers/B1/service/disconnection",
            Some(&if role == "staff" {
                json!({"at": at, "via": "email", "reference": "MAIL-1"})
            } else {
                json!({"at": at})
            }),
        )
    };
    let p = problem(
        &disconnect("webform", "2000-01-01T00:00:00Z"),
        400,
        "validation-error",
    );
    assert_eq!(e2e::fields(&p), vec!["at"]);
    problem(
        &disconnect("chatbot", &days_ago(1)),
        400,
        "validation-error",
    );
    let p = problem(&disconnect("staff", &days_ago(31)), 400, "validation-error");
    assert!(e2e::message(&p).contains("30 days"), "{p}");
    let r = disconnect("staff", &days_ago(2));
    assert_eq!(r.status, 201, "{}", r.body);
}

#[test]
fn money_stays_within_sane_bounds() {
    let (_app, host) = boot();
    store_customer(&host, "M1", "bronze", false);
    for month in ["0000-01", "9999-12", "1999-12"] {
        let r = call(
            &host,
            Some("staff"),
            "POST",
            "/api/v1/invoices",
            Some(&json!({"customer_id": "M1", "month": month,
                         "amount": {"amount": "100.00", "currency": "USD"}})),
        );
        assert_eq!(
            e2e::fields(&problem(&r, 400, "validation-error")),
            vec!["month"]
        );
    }
    let r = call(
        &host,
        Some("staff"),
        "POST",
        "/api/v1/invoices/issue?month=0000-01",
        None,
    );
    problem(&r, 400, "validation-error");

    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let id = invoice(&host, "M1", &month, "100.00");
    let pay = |payment: &str, amount: &str, credit: bool| {
        let mut body =
            json!({"payment_id": payment, "amount": {"amount": amount, "currency": "USD"}});
        if credit {
            body["credit"] = json!(true);
        }
        call(
            &host,
            Some("staff"),
            "POST",
            &format!("/api/v1/invoices/{id}/payments"),
            Some(&body),
        )
    };
    // Refused with the outstanding amount named.
    let refused = |payment: &str, amount: &str, outstanding: &str| {
        let p = problem(
            &pay(payment, amount, false),
            409,
            "payment-exceeds-outstanding",
        );
        let detail = p["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("{outstanding} USD outstanding")),
            "{p}"
        );
    };
    refused("PAY-BIG", "5000.00", "100.00");
    assert_eq!(pay("PAY-1", "60.00", false).status, 201);
    refused("PAY-2", "50.00", "40.00");
    let r = pay("PAY-3", "50.00", true);
    assert_eq!(r.status, 201, "{}", r.body);
    problem(&pay("PAY-4", "1.00", false), 409, "invoice-paid");
    // The replay of a recorded payment is still a replay.
    assert_eq!(pay("PAY-1", "60.00", false).status, 200);

    // The processor's webhook: refused, acknowledged, recorded, not applied.
    let other = invoice(&host, "M1", &days_month_before(&month), "320.00");
    let event = json!({"type": "payment.received", "data": {"invoice_id": other,
        "payment_id": "PAY-HUGE", "amount": {"amount": "99999999.00", "currency": "USD"}}});
    let now = chrono::Utc::now().timestamp();
    let r = signed(
        &host,
        "/api/v1/webhooks/payments",
        "msg-huge",
        now,
        &event,
        PAYMENT_WEBHOOK_SECRET,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let ack = json(&r);
    assert_eq!(ack["applied"], false);
    assert_eq!(
        ack["refused"]["type"],
        "https://vip-ops.dev/problems/payment-exceeds-outstanding"
    );
    let replay = signed(
        &host,
        "/api/v1/webhooks/payments",
        "msg-huge",
        now,
        &event,
        PAYMENT_WEBHOOK_SECRET,
    );
    assert_eq!(json(&replay)["refused"], ack["refused"]);
    let r = call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/invoices/{other}"),
        None,
    );
    assert_eq!(json(&r)["paid"]["amount"], "0.00", "{}", r.body);
}

#[test]
fn concurrent_payments_never_exceed_the_outstanding() {
    let (app, host) = boot();
    store_customer(&host, "M2", "bronze", false);
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let id = invoice(&host, "M2", &month, "100.00");
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let host = &host;
        let payers: Vec<_> = (0..16)
            .map(|i| {
                s.spawn(move || {
                    call(
                        host,
                        Some("staff"),
                        "POST",
                        &format!("/api/v1/invoices/{id}/payments"),
                        Some(&json!({"payment_id": format!("RACE-{i}"),
                                     "amount": {"amount": "10.00", "currency": "USD"}})),
                    )
                    .status
                })
            })
            .collect();
        payers.into_iter().map(|p| p.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        6,
        "{statuses:?}"
    );
    let paid: i64 = app
        .database()
        .query_row("SELECT paid_minor FROM invoices WHERE id = ?", [id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(paid, 10000);
}

#[test]
fn times_stay_within_four_digit_years() {
    let (_app, host) = boot();
    for start in ["9999-12-31T00:00:00Z", "0001-01-01T00:00:00Z"] {
        let r = call(
            &host,
            Some("staff"),
            "GET",
            &format!("/api/v1/calendars/default/deadline?start={start}&duration=5d"),
            None,
        );
        let p = problem(&r, 400, "validation-error");
        assert_eq!(e2e::fields(&p), vec!["start"], "{start}");
    }
    // Path ids are percent-decoded: the card number as a client encodes it.
    let r = call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/cards/755%2000243%203",
        None,
    );
    problem(&r, 404, "not-found");
}

/// The month before `YYYY-MM`.
fn days_month_before(month: &str) -> String {
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap();
    (first - chrono::Duration::days(1))
        .format("%Y-%m")
        .to_string()
}

#[test]
fn literal_paths_answer_405_and_errors_name_no_rust_types() {
    let (_app, host) = boot();
    for path in ["/api/v1/invoices/issue", "/api/v1/tickets/sla-sweep"] {
        let r = call(&host, Some("staff"), "GET", path, None);
        problem(&r, 405, "method-not-allowed");
        assert_eq!(r.header("allow"), Some("POST"), "{path}");
    }
    let r = call_with(
        &host,
        Some("webform"),
        "POST",
        "/api/v1/eligibility/check",
        Some(&json!(null)),
        &[],
    );
    let p = problem(&r, 400, "validation-error");
    assert!(!e2e::message(&p).contains("struct"), "{p}");
}
