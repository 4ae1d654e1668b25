//! What every end-to-end test shares: the repository's own `spin.toml` run by
//! the release host with a fresh state directory, test keys for every role,
//! and a small client.

use std::path::{Path, PathBuf};

use serde_json::Value;
pub use spin_local_harness::{AppDir, Host, Response};
use vip_domain::webhooks::Secret;

pub mod partner;

/// One key per role, as `SPIN_VARIABLE_API_KEYS` gives them to the app.
pub const ROLES: [(&str, &str); 7] = [
    ("webform", "test-key-webform-0001"),
    ("chatbot", "test-key-chatbot-0001"),
    ("staff", "test-key-staff-000001"),
    ("scheduler", "test-key-scheduler-01"),
    ("customer_success", "test-key-cs-000000001"),
    ("program_manager", "test-key-pm-000000001"),
    ("partner:acme", "test-key-partner-acme"),
];

pub fn key(role: &str) -> &'static str {
    ROLES
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, k)| *k)
        .unwrap_or_else(|| panic!("no test key for role {role}"))
}

pub fn api_keys() -> String {
    ROLES
        .iter()
        .map(|(r, k)| format!("{r}={k}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The Ed25519 seed the app signs card payloads with in tests.
pub const CARD_SIGNING_KEY: &str =
    "966c02a3f018ca7d34f99199fc0edcf3b655499c69a3a7bda014943da0faad76";

/// The payment processor's webhook secret in tests (Standard Webhooks).
pub const PAYMENT_WEBHOOK_SECRET: &str = "whsec_dGVzdC1wYXltZW50LXByb2Nlc3Nvci1rZXktMDAx";

/// What the provisioning system signs with, and what the app signs its orders with.
pub const PROVISIONING_WEBHOOK_SECRET: &str = "whsec_dGVzdC1wcm92aXNpb25pbmcta2V5LTAwMQ==";
/// What the app signs its notices with.
pub const NOTIFICATION_WEBHOOK_SECRET: &str = "whsec_dGVzdC1ub3RpZmljYXRpb24ta2V5LTAwMQ==";
/// What the provisioning and engineering partners sign their confirmations with.
pub const PARTNER_WEBHOOK_SECRET: &str = "whsec_dGVzdC1wYXJ0bmVyLWtleS0wMDE=";

/// The variables the app needs, as environment variables. Partner calls go
/// to `partners` (an origin, `http://127.0.0.1:<port>`).
pub fn variables(partners: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SPIN_VARIABLE_PROVISIONING_ORIGIN", partners.to_string()),
        ("SPIN_VARIABLE_NOTIFICATION_ORIGIN", partners.to_string()),
        (
            "SPIN_VARIABLE_PROVISIONING_WEBHOOK_SECRET",
            PROVISIONING_WEBHOOK_SECRET.to_string(),
        ),
        (
            "SPIN_VARIABLE_NOTIFICATION_WEBHOOK_SECRET",
            NOTIFICATION_WEBHOOK_SECRET.to_string(),
        ),
        (
            "SPIN_VARIABLE_PARTNER_WEBHOOK_SECRETS",
            PARTNER_WEBHOOK_SECRET.to_string(),
        ),
    ]
    .into_iter()
    .chain(secrets())
    .collect()
}

/// The secret variables the app needs, as environment variables.
pub fn secrets() -> Vec<(&'static str, String)> {
    vec![
        ("SPIN_VARIABLE_API_KEYS", api_keys()),
        (
            "SPIN_VARIABLE_CARD_SIGNING_KEY",
            CARD_SIGNING_KEY.to_string(),
        ),
        (
            "SPIN_VARIABLE_PAYMENT_WEBHOOK_SECRETS",
            PAYMENT_WEBHOOK_SECRET.to_string(),
        ),
    ]
}

pub fn manifest() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spin.toml")
}

/// Where partner calls go unless a test runs partners: nothing listens.
pub const NO_PARTNERS: &str = "http://127.0.0.1:9";

/// The application with its state directory; restartable.
pub struct App {
    pub dir: AppDir,
    env: Vec<(&'static str, String)>,
}

impl App {
    pub fn new() -> Self {
        App::with_partners(NO_PARTNERS)
    }

    /// The application calling its partners at `origin`.
    pub fn with_partners(origin: &str) -> Self {
        App {
            dir: AppDir::existing(spin_local_harness::default_binary(), &manifest()),
            env: variables(origin),
        }
    }

    /// The application with one more Spin variable (`SPIN_VARIABLE_<NAME>`).
    pub fn with_variable(mut self, name: &'static str, value: &str) -> Self {
        self.env.push((name, value.to_string()));
        self
    }

    pub fn start(&self) -> Host {
        self.start_with(&[])
    }

    /// Starts the host with extra `up` arguments, without its cron
    /// schedules: tests fire the cron components at chosen times
    /// (`fire_cron`), never at the wall clock's minute.
    pub fn start_with(&self, extra: &[&str]) -> Host {
        let env: Vec<(&str, &str)> = self.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let args: Vec<&str> = extra.iter().copied().chain(["--no-cron"]).collect();
        self.dir.up(&args, &env).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Fires cron component `component` once, as its scheduler would at `at`
    /// (RFC 3339), and checks it succeeded.
    pub fn fire_cron(&self, component: &str, at: &str) {
        let out = self
            .dir
            .command(&["cron", component, "--at", at])
            .envs(self.env.iter().cloned())
            .output()
            .expect("run spin-local cron");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The `default` SQLite database, for checks the API does not expose (audit events).
    pub fn database(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.dir.state_dir().join("sqlite_db.db"))
            .expect("open state database")
    }
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

/// Widens the programme's windows for tests that walk a fixed calendar
/// (October and November 2026): invoices up to 120 months back, retention
/// cases dated up to 3,660 days back. Without it those tests would start
/// failing as the real clock moves past the defaults (12 months, 30 days).
pub fn allow_history(host: &Host) {
    for (path, field, key, value) in [
        ("/api/v1/program/collections", "invoice_months", "back", 120),
        ("/api/v1/program/suspension", "backdating", "max_days", 3660),
    ] {
        let r = call(host, Some("staff"), "GET", path, None);
        let mut program = json(&r)["program"].clone();
        program[field][key] = serde_json::json!(value);
        let r = call(host, Some("staff"), "PUT", path, Some(&program));
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
}

/// Boots a fresh app.
pub fn boot() -> (App, Host) {
    let app = App::new();
    let host = app.start();
    (app, host)
}

/// A request as a role (`None`: no key at all). As `webform` or `chatbot`,
/// it carries a token of the member the request names (see [`acting_for`]),
/// unless the test sends its own `X-Member-Token`.
pub fn call(
    host: &Host,
    role: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Response {
    call_with(host, role, method, path, body, &[])
}

pub fn call_with(
    host: &Host,
    role: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&Value>,
    extra: &[(&str, &str)],
) -> Response {
    let auth = role.map(|r| format!("Bearer {}", key(r)));
    let mut headers: Vec<(&str, &str)> = Vec::new();
    if let Some(a) = &auth {
        headers.push(("authorization", a));
    }
    let has_token = extra
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("x-member-token"));
    let token = match role {
        Some("webform" | "chatbot") if !has_token => {
            acting_for(host, path, body).and_then(|c| member_token(host, &c))
        }
        _ => None,
    };
    if let Some(t) = &token {
        headers.push(("x-member-token", t));
    }
    let bytes = body.map(|b| b.to_string()).unwrap_or_default();
    if body.is_some() {
        headers.push(("content-type", "application/json"));
    }
    headers.extend_from_slice(extra);
    host.request(method, path, &headers, bytes.as_bytes())
}

/// The member a request names, as a web form or chat bot acting for them
/// would: the customer or member in the path, the owner of the card,
/// redemption, ticket or invoice in the path (asked as staff), or the
/// body's or query's `customer_id`.
fn acting_for(host: &Host, path: &str, body: Option<&Value>) -> Option<String> {
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    let segments: Vec<&str> = route.split('/').collect();
    let owned = |kind: &str, id: &str| {
        let r = call(
            host,
            Some("staff"),
            "GET",
            &format!("/api/v1/{kind}/{id}"),
            None,
        );
        json(&r)["customer_id"].as_str().map(str::to_string)
    };
    let named = match segments.as_slice() {
        ["", "api", "v1", "customers" | "members", id, ..] if *id != "tier-review" => {
            Some(id.to_string())
        }
        ["", "api", "v1", kind @ ("cards" | "redemptions" | "tickets" | "invoices" | "change-requests"
        | "trainings"), id, ..]
            if ![
                "verify",
                "verification-key",
                "orders",
                "queue",
                "sla-sweep",
                "issue",
            ]
            .contains(id) =>
        {
            owned(kind, id)
        }
        _ => None,
    };
    named
        .or_else(|| {
            body.and_then(|b| b["customer_id"].as_str())
                .map(str::to_string)
        })
        .or_else(|| {
            query
                .split('&')
                .find_map(|p| p.strip_prefix("customer_id="))
                .map(str::to_string)
        })
}

/// A member token for `customer` in this host, opened by staff on the
/// member's behalf (`POST /api/v1/customers/{id}/sessions`) and kept for
/// the host's life; `None` if there is no such customer.
pub fn member_token(host: &Host, customer: &str) -> Option<String> {
    /// (host address, host pid, customer) → token.
    type Tokens = Vec<((String, u32, String), String)>;
    static TOKENS: std::sync::Mutex<Tokens> = std::sync::Mutex::new(Vec::new());
    let key = (host.base.clone(), host.pid(), customer.to_string());
    let mut tokens = TOKENS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, token)) = tokens.iter().find(|(k, _)| *k == key) {
        return Some(token.clone());
    }
    let r = call(
        host,
        Some("staff"),
        "POST",
        &format!("/api/v1/customers/{customer}/sessions"),
        None,
    );
    let token = json(&r)["token"].as_str()?.to_string();
    tokens.push((key, token.clone()));
    Some(token)
}

/// `POST /api/v1/eligibility/check` as `role`, optionally with an `Idempotency-Key`.
pub fn post_check(
    host: &Host,
    role: &str,
    body: &Value,
    idempotency_key: Option<&str>,
) -> Response {
    let key: Vec<(&str, &str)> = idempotency_key
        .map(|k| ("idempotency-key", k))
        .into_iter()
        .collect();
    call_with(
        host,
        Some(role),
        "POST",
        "/api/v1/eligibility/check",
        Some(body),
        &key,
    )
}

/// Invoices `customer` for `month` (`YYYY-MM`) at `amount` USD, as staff; the invoice id.
pub fn invoice(host: &Host, customer: &str, month: &str, amount: &str) -> i64 {
    let r = call(
        host,
        Some("staff"),
        "POST",
        "/api/v1/invoices",
        Some(&serde_json::json!({"customer_id": customer, "month": month,
                     "amount": {"amount": amount, "currency": "USD"}})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    json(&r)["id"].as_i64().unwrap()
}

/// A webhook delivery to `path`, signed per Standard Webhooks with `secret`
/// as message `id` at `timestamp` (Unix seconds).
pub fn signed(
    host: &Host,
    path: &str,
    id: &str,
    timestamp: i64,
    body: &Value,
    secret: &str,
) -> Response {
    let text = body.to_string();
    let signature = Secret::parse(secret)
        .unwrap()
        .sign(id, timestamp, text.as_bytes());
    let ts = timestamp.to_string();
    host.request(
        "POST",
        path,
        &[
            ("content-type", "application/json"),
            ("webhook-id", id),
            ("webhook-timestamp", &ts),
            ("webhook-signature", &signature),
        ],
        text.as_bytes(),
    )
}

/// Parses a JSON body, failing the test with the body if it is not JSON.
pub fn json(r: &Response) -> Value {
    serde_json::from_str(&r.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", r.status, r.body))
}

/// Asserts an RFC 9457 problem with this status and type slug; returns it.
pub fn problem(r: &Response, status: u16, slug: &str) -> Value {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{}",
        r.body
    );
    let p = json(r);
    assert_eq!(
        p["type"],
        format!("{}{slug}", vip_kit::problem::TYPE_BASE),
        "{p}"
    );
    assert_eq!(p["status"], status);
    assert!(p["title"].is_string() && p["detail"].is_string(), "{p}");
    p
}

/// The fields a validation problem names.
pub fn fields(p: &Value) -> Vec<String> {
    p["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The message of a problem's first field error.
pub fn message(p: &Value) -> &str {
    p["errors"][0]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no field error in {p}"))
}

/// A valid stored customer, with overrides of its facts.
pub fn customer(facts: Value) -> Value {
    let mut base = serde_json::json!({
        "segment": "consumer",
        "plan_type": "residential",
        "monthly_plan_amount": {"amount": "50.00", "currency": "USD"},
        "service_delivery": "direct",
        "support_plan": "bronze"
    });
    if let (Some(b), Some(o)) = (base.as_object_mut(), facts.as_object()) {
        for (k, v) in o {
            b.insert(k.clone(), v.clone());
        }
    }
    serde_json::json!({
        "legal_name": "Cliente de Prueba S.A.",
        "facts": base,
        "contact": {"name": "Ana Pérez", "email": "ana@example.test", "phone": "+504 5555-0101"}
    })
}

/// Stores customer `id` on a support plan, as a key account or not.
pub fn store_customer(host: &Host, id: &str, plan: &str, key_account: bool) {
    let r = call(
        host,
        Some("staff"),
        "PUT",
        &format!("/api/v1/customers/{id}"),
        Some(&customer(
            serde_json::json!({"support_plan": plan, "key_account": key_account}),
        )),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
}

/// Makes `id` a member the way operators do: a stored ISP customer, a VIP
/// check by customer success (opens the onboarding case), review, approval.
/// Returns the case.
pub fn become_member(host: &Host, id: &str) -> Value {
    let put = call(
        host,
        Some("staff"),
        "PUT",
        &format!("/api/v1/customers/{id}"),
        Some(&customer(serde_json::json!({"segment": "isp"}))),
    );
    assert!(put.status == 201 || put.status == 200, "{}", put.body);
    let check = json(&post_check(
        host,
        "customer_success",
        &serde_json::json!({ "customer_id": id }),
        None,
    ));
    let case = &check["onboarding_case_id"];
    for (role, step) in [
        ("customer_success", "review"),
        ("program_manager", "approve"),
    ] {
        let r = call(
            host,
            Some(role),
            "POST",
            &format!("/api/v1/onboarding/cases/{case}/{step}"),
            None,
        );
        assert_eq!(r.status, 200, "{step} {id}: {}", r.body);
    }
    json(&call(
        host,
        Some("staff"),
        "GET",
        &format!("/api/v1/onboarding/cases/{case}"),
        None,
    ))
}

/// An RFC 3339 time `days` days before now (tests walk the calendar relative
/// to the day they run, since purchases may not lie in the future).
pub fn days_ago(days: i64) -> String {
    let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
    (now - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A member's cards, newest first.
pub fn cards_of(host: &Host, id: &str) -> Vec<Value> {
    let r = call(
        host,
        Some("staff"),
        "GET",
        &format!("/api/v1/cards?customer_id={id}"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)["cards"].as_array().cloned().unwrap_or_default()
}
