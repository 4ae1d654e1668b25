//! Points and rewards end to end: purchases earn points at the tier's
//! multiplier, the catalogue, redemptions through automatic and manual
//! approval with their settlements, every refusal, staff adjustments, the
//! expiry run (HTTP and cron), and exactly-once under concurrency.

use chrono::{Datelike, Utc};
use e2e::{become_member, boot, call, call_with, days_ago, fields, json, problem, App, Host};
use serde_json::{json, Value};

fn buy(host: &Host, member: &str, id: &str, amount: &str, at: &str, special: bool) -> Value {
    let r = call(
        host,
        Some("staff"),
        "POST",
        &format!("/api/v1/members/{member}/purchases"),
        Some(
            &json!({"purchase_id": id, "amount": {"amount": amount, "currency": "USD"}, "at": at, "special_price": special}),
        ),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
    json(&r)
}

fn points(host: &Host, member: &str) -> Value {
    let r = call(
        host,
        Some("chatbot"),
        "GET",
        &format!("/api/v1/members/{member}/points"),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    json(&r)
}

fn add_reward(host: &Host, body: Value) -> i64 {
    let r = call(host, Some("staff"), "POST", "/api/v1/rewards", Some(&body));
    assert_eq!(r.status, 201, "{}", r.body);
    json(&r)["id"].as_i64().unwrap()
}

fn redeem(host: &Host, role: &str, member: &str, reward: i64, key: &str) -> e2e::Response {
    call_with(
        host,
        Some(role),
        "POST",
        "/api/v1/redemptions",
        Some(&json!({"customer_id": member, "reward_id": reward})),
        &[("idempotency-key", key)],
    )
}

fn decide(host: &Host, role: &str, id: i64, verb: &str, reason: Option<&str>) -> e2e::Response {
    let body = reason.map(|r| json!({ "reason": r }));
    call(
        host,
        Some(role),
        "POST",
        &format!("/api/v1/redemptions/{id}/{verb}"),
        body.as_ref(),
    )
}

/// A reward's units left and units held by open requests.
fn stock_of(host: &Host, reward: i64) -> (Option<i64>, Option<i64>) {
    let r = json(&call(
        host,
        Some("staff"),
        "GET",
        &format!("/api/v1/rewards/{reward}"),
        None,
    ));
    (
        r["stock"]["left"].as_i64(),
        r["stock"]["held_by_open_requests"].as_i64(),
    )
}

/// A problem's `detail`.
fn detail(p: &Value) -> &str {
    p["detail"].as_str().unwrap_or_default()
}

fn count(app: &App, sql: &str) -> i64 {
    app.database().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A member with `amount` USD of purchases two days ago: that many points (×1).
fn member_with_points(host: &Host, id: &str, amount: &str) {
    become_member(host, id);
    buy(host, id, &format!("{id}-seed"), amount, &days_ago(2), false);
}

#[test]
fn purchases_earn_points_at_the_tier_multiplier_redeemable_from_tomorrow() {
    let (_app, host) = boot();
    become_member(&host, "P1");
    let old = buy(&host, "P1", "R-1", "1234.56", &days_ago(3), false);
    assert_eq!(old["points"]["points"], 1234, "{old}");
    assert!(old["points"]["reason"].as_str().unwrap().contains("×1.00"));
    // Special-price purchases earn nothing, and say so.
    let special = buy(&host, "P1", "R-2", "800.00", &days_ago(1), true);
    assert_eq!(special["points"]["points"], 0);
    assert!(special["points"]["reason"]
        .as_str()
        .unwrap()
        .contains("special-price"));
    // The fast-track purchase earns at the tier held when it is recorded;
    // the next one earns at silver's ×1.25.
    let fast = buy(&host, "P1", "R-3", "5000.00", &days_ago(1), false);
    assert_eq!(fast["tier"]["tier"], "silver");
    assert_eq!(fast["points"]["points"], 5000);
    // Bought just now: held, not redeemable until tomorrow.
    let today = buy(
        &host,
        "P1",
        "R-4",
        "100.00",
        &Utc::now().to_rfc3339(),
        false,
    );
    assert_eq!(today["points"]["points"], 125);
    // A replay credits nothing twice.
    let again = buy(
        &host,
        "P1",
        "R-4",
        "100.00",
        today["at"].as_str().unwrap(),
        false,
    );
    assert_eq!(again["replayed"], true);
    let p = points(&host, "P1");
    assert_eq!(p["balance"], 1234 + 5000 + 125);
    assert_eq!(p["earned_today"], 125, "{p}");
    assert_eq!(
        p["redeemable"].as_i64().unwrap(),
        p["balance"].as_i64().unwrap() - p["earned_today"].as_i64().unwrap()
    );
    assert_eq!(p["expiring_soonest"]["points"], 1234);
    let entries = p["statement"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{p}");
    assert!(entries.iter().all(|e| e["kind"] == "earn"));
    // Paging: one line at a time, newest first.
    let first = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/members/P1/points?limit=1",
        None,
    ));
    let before = first["statement"]["next_before"].as_i64().unwrap();
    let next = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/members/P1/points?limit=1&before={before}"),
        None,
    ));
    assert!(next["statement"]["entries"][0]["id"].as_i64().unwrap() < before);
    problem(
        &call(
            &host,
            Some("staff"),
            "GET",
            "/api/v1/members/P1/points?limit=0",
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
            "/api/v1/members/NOPE/points",
            None,
        ),
        404,
        "not-found",
    );
}

#[test]
fn the_catalogue_is_staff_data_checked_field_by_field() {
    let (app, host) = boot();
    let id = add_reward(
        &host,
        json!({"name": "VIP mug", "kind": "physical", "cost": 300, "stock": 5, "windows": [{"from": "03-01", "to": "03-31"}]}),
    );
    let r = json(&call(
        &host,
        Some("webform"),
        "GET",
        &format!("/api/v1/rewards/{id}"),
        None,
    ));
    assert_eq!(r["reward"]["kind"], "physical");
    assert_eq!(r["stock"]["left"], 5);
    assert_eq!(r["version"], 1);
    // Every mistake is named.
    let bad = call(
        &host,
        Some("staff"),
        "POST",
        "/api/v1/rewards",
        Some(&json!({"name": "", "kind": "digital", "cost": 0, "allowed_tiers": ["platinum"]})),
    );
    let p = problem(&bad, 400, "validation-error");
    assert_eq!(fields(&p), vec!["name", "cost", "allowed_tiers[0]"]);
    let p = problem(
        &call(
            &host,
            Some("staff"),
            "POST",
            "/api/v1/rewards",
            Some(&json!({"name": "x", "kind": "vacation", "cost": 1})),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["kind"]);
    let p = problem(
        &call(
            &host,
            Some("staff"),
            "POST",
            "/api/v1/rewards",
            Some(
                &json!({"name": "x", "kind": "digital", "cost": 1, "windows": [{"from": "02-30", "to": "03-01"}]}),
            ),
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), vec!["windows[0].from"]);
    problem(
        &call(
            &host,
            Some("staff"),
            "POST",
            "/api/v1/rewards",
            Some(&json!({"name": "x", "kind": "digital", "cost": 1, "stock": -1})),
        ),
        400,
        "validation-error",
    );
    // Replace under If-Match; a stale version is a 412.
    let put = call_with(
        &host,
        Some("staff"),
        "PUT",
        &format!("/api/v1/rewards/{id}"),
        Some(&json!({"name": "VIP mug", "kind": "physical", "cost": 350, "high_value": true})),
        &[("if-match", "\"1\"")],
    );
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(json(&put)["version"], 2);
    let stale = call_with(
        &host,
        Some("staff"),
        "PUT",
        &format!("/api/v1/rewards/{id}"),
        Some(&json!({"name": "VIP mug", "kind": "physical", "cost": 1})),
        &[("if-match", "\"1\"")],
    );
    problem(&stale, 412, "version-mismatch");
    // Stock moves by audited changes, never below zero.
    let restock = call(
        &host,
        Some("staff"),
        "POST",
        &format!("/api/v1/rewards/{id}/stock"),
        Some(&json!({"change": 3, "reason": "delivery"})),
    );
    assert_eq!(json(&restock)["stock"]["left"], 8);
    let over = call(
        &host,
        Some("staff"),
        "POST",
        &format!("/api/v1/rewards/{id}/stock"),
        Some(&json!({"change": -9, "reason": "breakage"})),
    );
    assert!(detail(&problem(&over, 409, "out-of-stock")).contains("8 units"));
    let unlimited = add_reward(
        &host,
        json!({"name": "Badge", "kind": "digital", "cost": 10}),
    );
    problem(
        &call(
            &host,
            Some("staff"),
            "POST",
            &format!("/api/v1/rewards/{unlimited}/stock"),
            Some(&json!({"change": 1, "reason": "x"})),
        ),
        409,
        "unlimited-stock",
    );
    problem(
        &call(&host, Some("staff"), "GET", "/api/v1/rewards/999", None),
        404,
        "not-found",
    );
    let listed = json(&call(
        &host,
        Some("chatbot"),
        "GET",
        "/api/v1/rewards?active=true",
        None,
    ));
    assert_eq!(listed["rewards"].as_array().unwrap().len(), 2);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE entity_type = 'reward'"
        ),
        4,
        "created ×2, updated, restocked"
    );
}

#[test]
fn automatic_and_manual_redemptions_reserve_commit_and_release() {
    let (app, host) = boot();
    member_with_points(&host, "R1", "2000.00");
    let badge = add_reward(
        &host,
        json!({"name": "Course discount", "kind": "digital", "cost": 300}),
    );
    let tablet = add_reward(
        &host,
        json!({"name": "Tablet", "kind": "physical", "cost": 1000, "stock": 2}),
    );

    // Digital: approved at once, points spent, nothing left reserved.
    let r = redeem(&host, "webform", "R1", badge, "k-1");
    assert_eq!(r.status, 201, "{}", r.body);
    let digital = json(&r);
    assert_eq!(digital["state"], "approved");
    assert_eq!(digital["approval"], "automatic");
    assert_eq!(
        digital["approval_reason"],
        "digital rewards are approved automatically"
    );
    assert_eq!(digital["fulfilment"]["target"], "immediate");
    let p = points(&host, "R1");
    assert_eq!(
        (p["balance"].as_i64(), p["reserved"].as_i64()),
        (Some(1700), Some(0))
    );
    // A retry returns the first result; the same key for something else is a 422.
    let again = redeem(&host, "webform", "R1", badge, "k-1");
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(json(&again)["id"], digital["id"]);
    problem(
        &redeem(&host, "webform", "R1", tablet, "k-1"),
        422,
        "idempotency-key-reused",
    );
    // Without a key nothing is redeemed.
    let no_key = call(
        &host,
        Some("webform"),
        "POST",
        "/api/v1/redemptions",
        Some(&json!({"customer_id": "R1", "reward_id": badge})),
    );
    assert_eq!(
        fields(&problem(&no_key, 400, "validation-error")),
        vec!["Idempotency-Key"]
    );

    // Physical: waits for review, points and a unit held.
    let manual = json(&redeem(&host, "chatbot", "R1", tablet, "k-2"));
    assert_eq!(manual["state"], "requested");
    assert_eq!(manual["approval"], "manual");
    let id = manual["id"].as_i64().unwrap();
    let p = points(&host, "R1");
    assert_eq!(
        (p["balance"].as_i64(), p["reserved"].as_i64()),
        (Some(700), Some(1000))
    );
    assert_eq!(stock_of(&host, tablet), (Some(1), Some(1)));
    // Approve: committed, with a fulfilment date 7 business days out.
    let approved = json(&decide(&host, "program_manager", id, "approve", None));
    assert_eq!(approved["state"], "approved");
    assert!(approved["fulfilment"]["fulfil_by"].is_string());
    assert_eq!(points(&host, "R1")["reserved"], 0);
    problem(
        &decide(&host, "staff", id, "reject", Some("too late")),
        409,
        "invalid-redemption-transition",
    );
    // Cancel before delivery: the points and the unit come back.
    let cancelled = json(&decide(
        &host,
        "webform",
        id,
        "cancel",
        Some("changed my mind"),
    ));
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(points(&host, "R1")["balance"], 1700);
    assert_eq!(stock_of(&host, tablet), (Some(2), Some(0)));

    // Reject needs a reason and releases the hold.
    let second = json(&redeem(&host, "staff", "R1", tablet, "k-3"))["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        fields(&problem(
            &decide(&host, "staff", second, "reject", None),
            400,
            "validation-error"
        )),
        vec!["reason"]
    );
    let rejected = json(&decide(
        &host,
        "staff",
        second,
        "reject",
        Some("address unverified"),
    ));
    assert_eq!(
        (rejected["state"].as_str(), rejected["reason"].as_str()),
        (Some("rejected"), Some("address unverified"))
    );
    assert_eq!(points(&host, "R1")["balance"], 1700);
    // Fulfil an approved one; fulfilled is final.
    let third = json(&redeem(&host, "staff", "R1", tablet, "k-4"))["id"]
        .as_i64()
        .unwrap();
    decide(&host, "staff", third, "approve", None);
    let done = json(&decide(&host, "staff", third, "fulfil", None));
    assert_eq!(done["state"], "fulfilled");
    let p = problem(
        &decide(&host, "webform", third, "cancel", None),
        409,
        "invalid-redemption-transition",
    );
    assert_eq!(
        detail(&p),
        "a redemption that is fulfilled cannot be cancelled"
    );
    assert_eq!(points(&host, "R1")["balance"], 700);
    problem(
        &decide(&host, "staff", 9999, "approve", None),
        404,
        "not-found",
    );

    // Every move is audited with its reason; the ledger tells the whole story.
    let moves = count(
        &app,
        "SELECT COUNT(*) FROM audit_events WHERE entity_type = 'redemption'",
    );
    assert_eq!(moves, 2 + 3 + 2 + 3, "requested+approved, requested+approved+cancelled, requested+rejected, requested+approved+fulfilled");
    let kinds: Vec<String> = {
        let db = app.database();
        let mut q = db
            .prepare("SELECT kind FROM points_ledger WHERE customer_id = 'R1' ORDER BY id")
            .unwrap();
        q.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        kinds,
        [
            "earn", "reserve", "commit", "reserve", "commit", "release", "reserve", "release",
            "reserve", "commit"
        ]
    );
    // The ledger is append-only.
    assert!(app
        .database()
        .execute("UPDATE points_ledger SET points = 0", [])
        .is_err());
    assert!(app
        .database()
        .execute("DELETE FROM points_ledger", [])
        .is_err());
}

#[test]
fn refusals_say_why_and_change_nothing() {
    let (app, host) = boot();
    member_with_points(&host, "F1", "500.00");
    let month = Utc::now().month();
    let later = (month + 1) % 12 + 1; // two months ahead: never this month
    let window = format!("{later:02}-01");
    let closed = add_reward(
        &host,
        json!({"name": "Summer box", "kind": "digital", "cost": 10, "windows": [{"from": window, "to": format!("{later:02}-28")}]}),
    );
    let p = problem(
        &redeem(&host, "webform", "F1", closed, "w"),
        409,
        "redemption-window-closed",
    );
    assert!(detail(&p).contains(&format!("-{later:02}-01")), "{p}");
    let gold = add_reward(
        &host,
        json!({"name": "Lounge", "kind": "experience", "cost": 10, "allowed_tiers": ["gold", "diamond"]}),
    );
    let p = problem(
        &redeem(&host, "webform", "F1", gold, "t"),
        409,
        "tier-not-allowed",
    );
    assert!(detail(&p).contains("this member is member"), "{p}");
    let dear = add_reward(
        &host,
        json!({"name": "Credit", "kind": "financial", "cost": 800}),
    );
    let p = problem(
        &redeem(&host, "webform", "F1", dear, "i"),
        409,
        "insufficient-points",
    );
    assert!(detail(&p).contains("300 missing"), "{p}");
    let none = add_reward(
        &host,
        json!({"name": "Book", "kind": "physical", "cost": 10, "stock": 0}),
    );
    problem(
        &redeem(&host, "webform", "F1", none, "s"),
        409,
        "out-of-stock",
    );
    problem(&redeem(&host, "webform", "F1", 4242, "u"), 404, "not-found");
    problem(
        &redeem(&host, "staff", "NOBODY", dear, "n"),
        404,
        "not-found",
    );
    let retired = add_reward(
        &host,
        json!({"name": "Old", "kind": "digital", "cost": 10, "active": false}),
    );
    problem(
        &redeem(&host, "webform", "F1", retired, "r"),
        409,
        "reward-retired",
    );
    // Points earned today wait for tomorrow, and the refusal says so.
    buy(
        &host,
        "F1",
        "today",
        "900.00",
        &Utc::now().to_rfc3339(),
        false,
    );
    let p = problem(
        &redeem(&host, "webform", "F1", dear, "i2"),
        409,
        "insufficient-points",
    );
    assert!(
        detail(&p).contains("900 earned today become redeemable tomorrow"),
        "{p}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM redemptions"), 0);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM points_ledger WHERE kind <> 'earn'"
        ),
        0
    );
}

#[test]
fn staff_adjust_with_a_reason_and_never_below_zero() {
    let (app, host) = boot();
    member_with_points(&host, "A1", "100.00");
    let adjust = |points: i64, reason: &str, key: &str| {
        call_with(
            &host,
            Some("staff"),
            "POST",
            "/api/v1/members/A1/points/adjustments",
            Some(&json!({"points": points, "reason": reason})),
            &[("idempotency-key", key)],
        )
    };
    let r = adjust(50, "goodwill for outage", "a1");
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(json(&r)["balance"], 150);
    assert_eq!(
        adjust(50, "goodwill for outage", "a1").status,
        201,
        "a retry is the first result"
    );
    assert_eq!(
        json(&adjust(-120, "duplicate purchase reversed", "a2"))["balance"],
        30
    );
    let p = problem(&adjust(-31, "too much", "a3"), 409, "insufficient-points");
    assert!(detail(&p).contains("30 points are available"));
    assert_eq!(
        fields(&problem(&adjust(5, " ", "a4"), 400, "validation-error")),
        vec!["reason"]
    );
    assert_eq!(
        fields(&problem(&adjust(0, "zero", "a5"), 400, "validation-error")),
        vec!["points"]
    );
    assert_eq!(points(&host, "A1")["balance"], 30);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'points.adjusted'"
        ),
        2
    );
}

#[test]
fn expiry_takes_the_oldest_unspent_points_once_per_day() {
    let (app, host) = boot();
    become_member(&host, "E1");
    // 300 points from 25 months ago (due), 200 from last month.
    buy(&host, "E1", "old", "300.00", &days_ago(25 * 31), false);
    buy(&host, "E1", "new", "200.00", &days_ago(30), false);
    // 100 spent since: they came out of the oldest lot.
    let badge = add_reward(
        &host,
        json!({"name": "Badge", "kind": "digital", "cost": 100}),
    );
    assert_eq!(redeem(&host, "webform", "E1", badge, "b").status, 201);
    let before = points(&host, "E1");
    assert_eq!(before["expiring_soonest"]["points"], 200, "{before}");
    let run = call(
        &host,
        Some("scheduler"),
        "POST",
        "/api/v1/points/expiry",
        None,
    );
    assert_eq!(run.status, 200, "{}", run.body);
    let run = json(&run);
    assert_eq!(
        (
            run["members_expired"].as_i64(),
            run["points_expired"].as_i64()
        ),
        (Some(1), Some(200))
    );
    let after = points(&host, "E1");
    assert_eq!(after["balance"], 200);
    assert_eq!(after["expiring_soonest"]["points"], 200);
    // Again the same day: nothing.
    let rerun = json(&call(
        &host,
        Some("scheduler"),
        "POST",
        "/api/v1/points/expiry",
        None,
    ));
    assert_eq!(rerun["members_expired"], 0);
    // The cron component runs the same rule; a catch-up `as_of` in the past expires nothing new.
    app.fire_cron("rewards", &Utc::now().to_rfc3339());
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM points_ledger WHERE kind = 'expire'"
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'points.expired'"
        ),
        1
    );
    let future = call(
        &host,
        Some("scheduler"),
        "POST",
        "/api/v1/points/expiry?as_of=2999-01-01T00:00:00Z",
        None,
    );
    problem(&future, 422, "as-of-in-future");
    problem(
        &call(
            &host,
            Some("scheduler"),
            "POST",
            "/api/v1/points/expiry?as_of=yesterday",
            None,
        ),
        400,
        "validation-error",
    );
}

#[test]
fn the_points_programme_is_configuration() {
    let (_app, host) = boot();
    let r = call(
        &host,
        Some("program_manager"),
        "GET",
        "/api/v1/program/points",
        None,
    );
    assert_eq!(r.status, 200);
    let mut program = json(&r)["program"].clone();
    assert_eq!(program["expiry_months"], 24);
    assert_eq!(program["zone"], "Europe/Madrid");
    program["points_per_unit"] = json!(2);
    program["zone"] = json!("Mars/Olympus");
    let bad = call(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/program/points",
        Some(&program),
    );
    assert_eq!(
        fields(&problem(&bad, 400, "validation-error")),
        vec!["zone"]
    );
    program["zone"] = json!("Asia/Shanghai");
    let put = call(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/program/points",
        Some(&program),
    );
    assert_eq!(put.status, 200, "{}", put.body);
    become_member(&host, "G1");
    let earned = buy(&host, "G1", "x", "10.00", &days_ago(1), false);
    assert_eq!(earned["points"]["points"], 20, "two points per 1.00 now");
    assert_eq!(points(&host, "G1")["rules"]["zone"], "Asia/Shanghai");
}

/// Seeds `n` members with `points` each (earned two days ago) straight into
/// the database: the fixture for the concurrency tests.
fn seed_members(app: &App, prefix: &str, n: usize, points: i64) -> Vec<String> {
    let db = app.database();
    let at = days_ago(2);
    let ids: Vec<String> = (0..n).map(|i| format!("{prefix}{i:04}")).collect();
    for id in &ids {
        db.execute(
            "INSERT INTO memberships (customer_id, tier, tier_since, joined_at, case_id) VALUES (?1, 'member', ?2, ?2, 0)",
            rusqlite::params![id, at],
        )
        .unwrap();
        db.execute(
            "INSERT INTO points_ledger (customer_id, kind, points, at, expires_at, source, actor, recorded_at)
             VALUES (?1, 'earn', ?2, ?3, '2099-01-01T00:00:00.000Z', 'seed', 'test', ?3)",
            rusqlite::params![id, points, at],
        )
        .unwrap();
    }
    ids
}

#[test]
fn a_thousand_concurrent_redemptions_of_the_last_unit_approve_exactly_one() {
    let app = App::new();
    let host = app.start_with(&["--max-instances", "1100"]);
    become_member(&host, "warmup");
    let ids = seed_members(&app, "S", 1000, 500);
    let reward = add_reward(
        &host,
        json!({"name": "Signed guitar", "kind": "financial", "cost": 100, "stock": 1}),
    );
    let barrier = std::sync::Barrier::new(ids.len());
    let results: Vec<(u16, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = ids
            .iter()
            .map(|id| {
                let (host, barrier) = (&host, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let r = redeem(host, "webform", id, reward, &format!("guitar-{id}"));
                    (r.status, r.body.clone())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let won: Vec<_> = results.iter().filter(|(s, _)| *s == 201).collect();
    assert_eq!(won.len(), 1, "exactly one wins");
    for (status, body) in results.iter().filter(|(s, _)| *s != 201) {
        assert_eq!(*status, 409, "{body}");
        let p: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            p["type"], "https://vip-ops.dev/problems/out-of-stock",
            "{body}"
        );
    }
    assert_eq!(stock_of(&host, reward), (Some(0), Some(0)));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM redemptions"), 1);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM points_ledger WHERE kind = 'reserve'"
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT SUM(points) FROM points_ledger WHERE customer_id LIKE 'S%'"
        ),
        1000 * 500 - 100
    );
}

#[test]
fn fifty_concurrent_redemptions_by_one_member_never_overdraw() {
    let app = App::new();
    let host = app.start_with(&["--max-instances", "1100"]);
    become_member(&host, "warmup");
    // Twenty members at once, each firing 50 redemptions of 300 points
    // (15,000) against 1,000: at most 3 fit, and all 50 read the full balance
    // at nearly the same moment, so only the guarded INSERT keeps the 4th out.
    // Half are approved at once, half wait for review.
    let members = seed_members(&app, "ONE", 20, 1000);
    let auto = add_reward(
        &host,
        json!({"name": "Credit", "kind": "financial", "cost": 300}),
    );
    let manual = add_reward(
        &host,
        json!({"name": "Box", "kind": "physical", "cost": 300}),
    );
    let barrier = std::sync::Barrier::new(members.len() * 50);
    let results: Vec<(String, u16)> = std::thread::scope(|s| {
        let handles: Vec<_> = members
            .iter()
            .flat_map(|m| (0..50).map(move |i| (m, i)))
            .map(|(member, i)| {
                let (host, barrier) = (&host, &barrier);
                s.spawn(move || {
                    let reward = if i % 2 == 0 { auto } else { manual };
                    barrier.wait();
                    let key = format!("burst-{member}-{i}");
                    (
                        member.clone(),
                        redeem(host, "chatbot", member, reward, &key).status,
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        results.iter().all(|(_, s)| *s == 201 || *s == 409),
        "{results:?}"
    );
    for member in &members {
        let accepted = results
            .iter()
            .filter(|(m, s)| m == member && *s == 201)
            .count() as i64;
        assert_eq!(accepted, 3, "{member}: as many as the balance allows");
        let p = points(&host, member);
        assert_eq!(p["balance"], 1000 - 3 * 300, "{member}: never below zero");
        let committed = count(
            &app,
            &format!("SELECT -COALESCE(SUM(held), 0) FROM points_ledger WHERE kind = 'commit' AND customer_id = '{member}'"),
        );
        let reserved = p["reserved"].as_i64().unwrap();
        assert_eq!(
            committed + reserved,
            accepted * 300,
            "{member}: committed + reserved = what was accepted"
        );
    }
    assert_eq!(count(&app, "SELECT COUNT(*) FROM redemptions"), 20 * 3);
}

/// The race that matters is at the boundary: two requests reading the same
/// last points. 500 members with points for exactly one redemption each fire
/// two at the same moment: exactly one of each pair may win.
#[test]
fn two_requests_racing_for_the_last_points_never_both_win() {
    let app = App::new();
    let host = app.start_with(&["--max-instances", "1100"]);
    become_member(&host, "warmup");
    let members = seed_members(&app, "PAIR", 500, 300);
    let reward = add_reward(
        &host,
        json!({"name": "Credit", "kind": "financial", "cost": 300}),
    );
    let barrier = std::sync::Barrier::new(members.len() * 2);
    let won: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = members
            .iter()
            .flat_map(|m| [(m, "a"), (m, "b")])
            .map(|(member, side)| {
                let (host, barrier) = (&host, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let r = redeem(host, "webform", member, reward, &format!("{member}-{side}"));
                    assert!(r.status == 201 || r.status == 409, "{}", r.body);
                    (r.status == 201).then(|| member.clone())
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(won.len(), members.len(), "one win per member");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM (SELECT customer_id FROM points_ledger WHERE customer_id LIKE 'PAIR%' GROUP BY customer_id HAVING SUM(points) <> 0)"),
        0,
        "every balance is exactly zero"
    );
}

#[test]
fn the_review_queue_lists_what_is_overdue_oldest_first() {
    let (app, host) = boot();
    member_with_points(&host, "Q1", "3000.00");
    let tablet = add_reward(
        &host,
        json!({"name": "Tablet", "kind": "physical", "cost": 100}),
    );
    let vip = add_reward(
        &host,
        json!({"name": "Gala", "kind": "digital", "cost": 100, "high_value": true}),
    );
    let a = json(&redeem(&host, "webform", "Q1", tablet, "q-a"));
    let b = json(&redeem(&host, "webform", "Q1", vip, "q-b"));
    assert_eq!(
        b["approval"], "manual",
        "high value is reviewed by hand: {b}"
    );
    assert_eq!(
        b["approval_reason"],
        "high-value rewards are reviewed by hand"
    );
    let c = json(&redeem(&host, "webform", "Q1", tablet, "q-c"));
    let queue = |host: &Host| {
        json(&call(
            host,
            Some("program_manager"),
            "GET",
            "/api/v1/redemptions?overdue=true",
            None,
        ))["redemptions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_i64().unwrap(),
                    r["overdue"].as_str().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert!(queue(&host).is_empty(), "nothing is due yet (72 h target)");
    // Three days later (the clock moved for two of them):
    app.database()
        .execute(
            "UPDATE redemptions SET review_due_at = CASE id WHEN ?1 THEN '2026-01-02T00:00:00.000Z' ELSE '2026-01-01T00:00:00.000Z' END WHERE id IN (?1, ?2)",
            rusqlite::params![a["id"].as_i64(), b["id"].as_i64()],
        )
        .unwrap();
    let ids = |v: &Value| v["id"].as_i64().unwrap();
    assert_eq!(
        queue(&host),
        vec![
            (ids(&b), "review".to_string()),
            (ids(&a), "review".to_string())
        ]
    );
    let one = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/redemptions/{}", ids(&c)),
        None,
    ));
    assert_eq!(one["overdue"], Value::Null);
    let mine = json(&call(
        &host,
        Some("chatbot"),
        "GET",
        "/api/v1/redemptions?customer_id=Q1&state=requested",
        None,
    ));
    assert_eq!(mine["redemptions"].as_array().unwrap().len(), 3);
    problem(
        &call(
            &host,
            Some("staff"),
            "GET",
            "/api/v1/redemptions?state=lost",
            None,
        ),
        400,
        "validation-error",
    );
}
