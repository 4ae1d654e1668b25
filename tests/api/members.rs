//! Members: the tier ladder as programme data, purchases that upgrade at
//! once (and say why), "what keeps my tier", the review that downgrades only
//! after a full window under maintenance, each change audited and its card
//! re-issued.

use e2e::{
    become_member, boot, call, call_with, cards_of, days_ago, fields, json, message, problem, Host,
};
use serde_json::{json, Value};

fn purchase_body(id: &str, amount: &str, at: &str, special: bool) -> Value {
    json!({"purchase_id": id, "amount": {"amount": amount, "currency": "USD"}, "at": at, "special_price": special})
}

fn buy(host: &Host, member: &str, body: &Value) -> e2e::Response {
    call(
        host,
        Some("staff"),
        "POST",
        &format!("/api/v1/members/{member}/purchases"),
        Some(body),
    )
}

fn tier_of(host: &Host, member: &str) -> Value {
    json(&call(
        host,
        Some("chatbot"),
        "GET",
        &format!("/api/v1/members/{member}/tier"),
        None,
    ))
}

fn count(app: &e2e::App, sql: &str) -> i64 {
    app.database().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn purchases_upgrade_at_once_and_explain_why() {
    let (app, host) = boot();
    become_member(&host, "M1");
    let r = buy(
        &host,
        "M1",
        &purchase_body("R-1", "3000.00", &days_ago(10), false),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let p = json(&r);
    assert_eq!(p["tier_change"], Value::Null);
    assert_eq!(p["tier"]["tier"], "member");
    assert_eq!(p["tier"]["next"]["still_needed"]["amount"], "2000.00");

    // Special-price purchases do not qualify (004).
    let p = json(&buy(
        &host,
        "M1",
        &purchase_body("R-2", "4000.00", &days_ago(5), true),
    ));
    assert_eq!(
        (p["qualifies"].clone(), p["tier"]["tier"].clone()),
        (json!(false), json!("member"))
    );

    // One time for the purchase and its replay: two `days_ago` calls can straddle a second.
    let yesterday = days_ago(1);
    let r = buy(
        &host,
        "M1",
        &purchase_body("R-3", "2000.00", &yesterday, false),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let p = json(&r);
    let change = &p["tier_change"];
    assert_eq!(
        (change["from"].as_str(), change["to"].as_str()),
        (Some("member"), Some("silver")),
        "{p}"
    );
    assert_eq!(change["direction"], "upgrade");
    let reason = change["reason"].as_str().unwrap();
    assert!(
        reason.contains("5000.00 USD in the last 12 months"),
        "{reason}"
    );
    assert_eq!(p["tier"]["tier"], "silver");

    // The same purchase again: recorded once, upgraded once.
    let body = purchase_body("R-3", "2000.00", &yesterday, false);
    let again = buy(&host, "M1", &body);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(json(&again)["replayed"], true);
    assert_eq!(json(&again)["tier_change"]["to"], "silver");
    // A till that sends microseconds replays equal too.
    let precise = purchase_body("R-4", "1.00", "2026-01-02T03:04:05.123456Z", true);
    assert_eq!(buy(&host, "M1", &precise).status, 201);
    assert_eq!(buy(&host, "M1", &precise).status, 200);
    let other = purchase_body("R-3", "2500.00", &days_ago(1), false);
    problem(&buy(&host, "M1", &other), 422, "purchase-id-reused");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM purchases WHERE customer_id = 'M1'"
        ),
        4
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM tier_changes WHERE customer_id = 'M1'"
        ),
        1
    );

    // What keeps my tier: spend counted, what the next tier needs, the review date.
    let t = tier_of(&host, "M1");
    assert_eq!(t["tier"], "silver");
    assert_eq!(t["qualifying_spend"]["amount"], "5000.00");
    assert_eq!(t["next"]["tier"], "gold");
    assert_eq!(t["next"]["still_needed"]["amount"], "5000.00");
    assert!(
        t["basis"].as_str().unwrap().contains("rolling 12 months"),
        "{t}"
    );
    assert!(t["keep"].as_str().unwrap().starts_with("kept"), "{t}");
    assert_eq!(t["last_change"]["to"], "silver");
    assert_eq!(t["benefits"]["discount_percent"], 5);

    // Audited with its reason; the customer is notified; the card is re-issued with the new tier.
    let audit: String = app
        .database()
        .query_row(
            "SELECT reason FROM audit_events WHERE action = 'membership.upgrade' AND entity_id = 'M1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audit, reason);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM notice_outbox WHERE customer_id = 'M1' AND kind = 'membership.tier_changed'"),
        1
    );
    let cards = cards_of(&host, "M1");
    assert_eq!(cards.len(), 2, "{cards:?}");
    assert_eq!(
        (cards[0]["tier"].as_str(), cards[0]["status"].as_str()),
        (Some("silver"), Some("active"))
    );
    assert_eq!(
        (cards[1]["tier"].as_str(), cards[1]["status"].as_str()),
        (Some("member"), Some("replaced"))
    );
    assert_eq!(cards[0]["replaces"], cards[1]["number"]);
}

/// A till that was offline reports a purchase dated before one already on
/// record: the tier is what the recorded purchases give now, held from the
/// moment they first reached the threshold; later purchases earn at the new
/// multiplier.
#[test]
fn a_purchase_recorded_late_upgrades_the_member_from_when_the_spend_crossed() {
    let (app, host) = boot();
    become_member(&host, "ML");
    let crossing = days_ago(2);
    assert_eq!(
        buy(
            &host,
            "ML",
            &purchase_body("T-2", "3000.00", &crossing, false)
        )
        .status,
        201
    );
    assert_eq!(tier_of(&host, "ML")["tier"], "member");
    let late = json(&buy(
        &host,
        "ML",
        &purchase_body("T-1", "2500.00", &days_ago(30), false),
    ));
    // Dated before the membership began: counted, and said so.
    assert_eq!(late["before_membership"], true, "{late}");
    assert_eq!(late["tier_change"]["to"], "silver", "{late}");
    let reason = late["tier_change"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("recorded late") && reason.contains("5500.00 USD"),
        "{reason}"
    );
    let t = tier_of(&host, "ML");
    assert_eq!(t["tier"], "silver");
    assert_eq!(t["next"]["tier"], "gold");
    let since: String = app
        .database()
        .query_row(
            "SELECT tier_since FROM memberships WHERE customer_id = 'ML'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&since).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&crossing).unwrap()
    );
    // The next purchase earns at silver's ×1.25.
    let next = json(&buy(
        &host,
        "ML",
        &purchase_body("T-3", "100.00", &days_ago(0), false),
    ));
    assert_eq!(next["points"]["points"], 125, "{next}");
}

#[test]
fn a_single_large_purchase_is_a_fast_track_and_bad_purchases_are_refused() {
    let (app, host) = boot();
    become_member(&host, "M2");
    let p = json(&buy(
        &host,
        "M2",
        &purchase_body("BIG", "10000.00", &days_ago(2), false),
    ));
    assert_eq!(p["tier_change"]["to"], "gold", "{p}");
    assert!(
        p["tier_change"]["reason"]
            .as_str()
            .unwrap()
            .contains("fast track"),
        "{p}"
    );

    let bad = [
        (
            purchase_body("N1", "-5.00", &days_ago(1), false),
            "amount.amount",
        ),
        (
            purchase_body("N2", "0", &days_ago(1), false),
            "amount.amount",
        ),
        (purchase_body("N3", "12,50", &days_ago(1), false), "amount"),
        (purchase_body("N4", "1.005", &days_ago(1), false), "amount"),
        (purchase_body("N5", "5.00", &days_ago(-2), false), "at"),
        (
            purchase_body("", "5.00", &days_ago(1), false),
            "purchase_id",
        ),
        (
            json!({"purchase_id": "N6", "amount": {"amount": 5, "currency": "USD"}, "at": days_ago(1)}),
            "amount.amount",
        ),
        (
            json!({"purchase_id": "N7", "amount": {"amount": "5.00", "currency": "USD"}, "at": "yesterday"}),
            "at",
        ),
    ];
    for (body, field) in bad {
        let p = problem(&buy(&host, "M2", &body), 400, "validation-error");
        assert_eq!(fields(&p), [field], "{body}: {p}");
    }
    let eur = json!({"purchase_id": "N8", "amount": {"amount": "5.00", "currency": "EUR"}, "at": days_ago(1)});
    let p = problem(&buy(&host, "M2", &eur), 422, "currency-mismatch");
    assert_eq!(fields(&p), ["amount.currency"]);
    assert!(message(&p).contains("USD"), "{p}");

    let body = purchase_body("X", "5.00", &days_ago(1), false);
    let p = problem(&buy(&host, "NOBODY", &body), 404, "not-found");
    assert!(p["detail"].as_str().unwrap().contains("no customer"), "{p}");
    call(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/customers/PLAIN",
        Some(&e2e::customer(json!({}))),
    );
    let p = problem(&buy(&host, "PLAIN", &body), 404, "not-found");
    assert!(
        p["detail"].as_str().unwrap().contains("not a member"),
        "{p}"
    );
    problem(
        &call(
            &host,
            Some("chatbot"),
            "GET",
            "/api/v1/members/PLAIN/tier",
            None,
        ),
        404,
        "not-found",
    );

    // Nothing half-written.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM purchases"), 1);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM tier_changes"), 1);

    // A partner's point of sale records spend too, with an Idempotency-Key retry.
    let body = purchase_body("POS-1", "10.00", &days_ago(0), false);
    let first = call_with(
        &host,
        Some("partner:acme"),
        "POST",
        "/api/v1/members/M2/purchases",
        Some(&body),
        &[("idempotency-key", "pos-1")],
    );
    assert_eq!(first.status, 201, "{}", first.body);
    let retry = call_with(
        &host,
        Some("partner:acme"),
        "POST",
        "/api/v1/members/M2/purchases",
        Some(&body),
        &[("idempotency-key", "pos-1")],
    );
    assert_eq!(
        (retry.status, retry.header("idempotent-replayed")),
        (201, Some("true"))
    );
}

#[test]
fn the_review_downgrades_only_after_a_full_window_under_maintenance() {
    let (app, host) = boot();
    for id in ["LAPSED", "KEPT", "RECENT"] {
        become_member(&host, id);
    }
    // LAPSED: gold 30 months ago, nothing since (the review window passed under maintenance).
    // KEPT: gold 30 months ago, and 10,000 more within the last 24 months.
    // RECENT: gold last month (the review date is two years away).
    for (member, purchase, days) in [
        ("LAPSED", "G", 900),
        ("KEPT", "G", 900),
        ("KEPT", "K", 100),
        ("RECENT", "G", 30),
    ] {
        let r = buy(
            &host,
            member,
            &purchase_body(purchase, "10000.00", &days_ago(days), false),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    for id in ["LAPSED", "KEPT", "RECENT"] {
        assert_eq!(tier_of(&host, id)["tier"], "gold", "{id}");
    }
    let t = tier_of(&host, "RECENT");
    assert!(t["keep"].as_str().unwrap().starts_with("kept"), "{t}");

    let r = call(
        &host,
        Some("scheduler"),
        "POST",
        "/api/v1/members/tier-review",
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let review = json(&r);
    assert_eq!(review["members_above_lowest_tier"], 3);
    let downgraded = review["downgraded"].as_array().unwrap();
    assert_eq!(downgraded.len(), 1, "{review}");
    assert_eq!(
        (
            downgraded[0]["customer_id"].as_str(),
            downgraded[0]["to"].as_str()
        ),
        (Some("LAPSED"), Some("member"))
    );
    assert!(
        downgraded[0]["reason"]
            .as_str()
            .unwrap()
            .contains("maintenance threshold of 10000.00 USD"),
        "{review}"
    );
    let t = tier_of(&host, "LAPSED");
    assert_eq!(
        (t["tier"].as_str(), t["last_change"]["direction"].as_str()),
        (Some("member"), Some("downgrade"))
    );
    assert_eq!(cards_of(&host, "LAPSED")[0]["tier"], "member");

    // The same day again changes nothing.
    let again = json(&call(
        &host,
        Some("staff"),
        "POST",
        "/api/v1/members/tier-review",
        None,
    ));
    assert_eq!(again["downgraded"], json!([]));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM tier_changes WHERE direction = 'downgrade'"
        ),
        1
    );

    let future = format!("/api/v1/members/tier-review?as_of={}", days_ago(-3));
    problem(
        &call(&host, Some("scheduler"), "POST", &future, None),
        422,
        "as-of-in-future",
    );
    let p = problem(
        &call(
            &host,
            Some("scheduler"),
            "POST",
            "/api/v1/members/tier-review?as_of=soon",
            None,
        ),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["as_of"]);
}

#[test]
fn the_tier_ladder_is_programme_data() {
    let (_app, host) = boot();
    let r = call(
        &host,
        Some("program_manager"),
        "GET",
        "/api/v1/program/tiers",
        None,
    );
    assert_eq!(
        (r.status, r.header("etag")),
        (200, Some("\"1\"")),
        "{}",
        r.body
    );
    let mut ladder = json(&r)["ladder"].clone();
    let ids: Vec<&str> = ladder["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["member", "silver", "gold", "diamond"]);

    // Lower silver to 2,000: the next purchase uses it, no rebuild.
    ladder["tiers"][1]["threshold"]["amount"] = json!("2000.00");
    ladder["tiers"][1]["single_purchase"]["amount"] = json!("2000.00");
    let put = |body: &Value, version: &str| {
        call_with(
            &host,
            Some("staff"),
            "PUT",
            "/api/v1/program/tiers",
            Some(body),
            &[("if-match", version)],
        )
    };
    let r = put(&ladder, "\"1\"");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["version"], 2);
    become_member(&host, "M6");
    let p = json(&buy(
        &host,
        "M6",
        &purchase_body("R", "2500.00", &days_ago(1), false),
    ));
    assert_eq!(p["tier_change"]["to"], "silver", "{p}");

    problem(&put(&ladder, "\"1\""), 412, "version-mismatch");
    let mut descending = ladder.clone();
    descending["tiers"][2]["threshold"]["amount"] = json!("1000.00");
    let p = problem(&put(&descending, "\"2\""), 400, "validation-error");
    assert_eq!(fields(&p), ["tiers[2].threshold"]);
    let mut without_silver = ladder.clone();
    without_silver["tiers"].as_array_mut().unwrap().remove(1);
    let p = problem(&put(&without_silver, "\"2\""), 409, "tier-in-use");
    assert!(message(&p).contains("silver"), "{p}");
}

#[test]
fn approval_starts_the_membership_at_the_ladders_lowest_tier() {
    let (_app, host) = boot();
    let r = call(
        &host,
        Some("program_manager"),
        "GET",
        "/api/v1/program/tiers",
        None,
    );
    let mut ladder = json(&r)["ladder"].clone();
    ladder["tiers"][0]["id"] = json!("club");
    ladder["tiers"][0]["name"] = json!("Club");
    let r = call_with(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/program/tiers",
        Some(&ladder),
        &[("if-match", "\"1\"")],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    become_member(&host, "M-CLUB");
    assert_eq!(tier_of(&host, "M-CLUB")["tier"], "club");
}
