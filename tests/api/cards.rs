//! Membership cards: issued on approval with a Luhn-valid region number,
//! verified online (by number or payload) and offline (Ed25519), blocked and
//! replaced when lost, refused when expired, and never two alike under
//! concurrent issuance.

use e2e::{become_member, boot, call, call_with, cards_of, fields, json, problem, App, Host};
use serde_json::{json, Value};
use vip_domain::card::{luhn_valid, verify_payload, CardNumber};

fn verify(host: &Host, body: &Value) -> e2e::Response {
    call(
        host,
        Some("partner:acme"),
        "POST",
        "/api/v1/cards/verify",
        Some(body),
    )
}

fn report_lost(host: &Host, number: &str, key: &str) -> e2e::Response {
    call_with(
        host,
        Some("customer_success"),
        "POST",
        &format!("/api/v1/cards/{number}/report-lost"),
        None,
        &[("idempotency-key", key)],
    )
}

#[test]
fn approval_issues_a_card_that_verifies_online_and_offline() {
    let (_app, host) = boot();
    become_member(&host, "C1");
    let cards = cards_of(&host, "C1");
    assert_eq!(cards.len(), 1, "{cards:?}");
    let card = &cards[0];
    let number = card["number"].as_str().unwrap();
    let first = CardNumber::issue("755", 1, 5).unwrap();
    assert_eq!(number, first.as_str());
    assert!(luhn_valid(number));
    assert_eq!(card["display"], first.display());
    assert_eq!(
        (card["tier"].as_str(), card["status"].as_str()),
        (Some("member"), Some("active"))
    );
    let issued = card["issued_at"].as_str().unwrap();
    let expires = card["expires_at"].as_str().unwrap();
    let year = |t: &str| t[..4].parse::<i32>().unwrap();
    assert_eq!(
        (year(expires) - year(issued), &expires[4..10]),
        (2, &issued[4..10]),
        "valid 24 months"
    );

    // Offline: the payload verifies with the published key alone; a forgery does not.
    let key = json(&host.get("/api/v1/cards/verification-key"));
    assert_eq!(key["algorithm"], "Ed25519");
    let public = key["public_key"].as_str().unwrap();
    let payload = card["verification_payload"].as_str().unwrap();
    let offline = verify_payload(public, payload).unwrap();
    assert_eq!(
        (offline.card_number.as_str(), offline.tier.as_str()),
        (number, "member")
    );
    let forged = payload.replace(".member.", ".diamond.");
    assert!(verify_payload(public, &forged).is_err());

    // Online, by number and by payload.
    for (body, by) in [
        (json!({"number": card["display"]}), "number"),
        (json!({"payload": payload}), "payload"),
    ] {
        let v = json(&verify(&host, &body));
        assert_eq!(
            (
                v["accepted"].as_bool(),
                v["checked_by"].as_str(),
                v["tier"].as_str()
            ),
            (Some(true), Some(by), Some("member")),
            "{v}"
        );
    }
    // Garbage is refused naming the field.
    let p = problem(
        &verify(&host, &json!({"payload": forged})),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["payload"]);
    let typo = format!(
        "{}{}",
        &number[..8],
        (number[8..].parse::<u8>().unwrap() + 1) % 10
    );
    for (body, field) in [
        (json!({"number": typo}), "number"),
        (json!({"number": "12ab"}), "number"),
        (json!({"payload": "VIP1.garbage"}), "payload"),
        (json!({}), "body"),
    ] {
        let p = problem(&verify(&host, &body), 400, "validation-error");
        assert_eq!(fields(&p), [field], "{body}");
    }
    let never_issued = CardNumber::issue("755", 999, 5).unwrap();
    problem(
        &verify(&host, &json!({"number": never_issued.as_str()})),
        404,
        "not-found",
    );

    let r = call(
        &host,
        Some("chatbot"),
        "GET",
        &format!("/api/v1/cards/{number}"),
        None,
    );
    assert_eq!(json(&r)["customer_id"], "C1", "{}", r.body);
    problem(
        &call(&host, Some("staff"), "GET", "/api/v1/cards/755002434", None),
        400,
        "validation-error",
    );

    // One card in use per member: a second issue is refused.
    let r = call(
        &host,
        Some("program_manager"),
        "POST",
        "/api/v1/cards",
        Some(&json!({"customer_id": "C1"})),
    );
    problem(&r, 409, "card-in-use");
    let r = call(
        &host,
        Some("staff"),
        "POST",
        "/api/v1/cards",
        Some(&json!({"customer_id": "NOBODY"})),
    );
    problem(&r, 404, "not-found");
}

#[test]
fn a_lost_card_is_blocked_at_once_and_replaced_with_a_new_number() {
    let (app, host) = boot();
    become_member(&host, "L1");
    let old = cards_of(&host, "L1")[0]["number"]
        .as_str()
        .unwrap()
        .to_string();
    let r = report_lost(&host, &old, "loss-1");
    assert_eq!(r.status, 201, "{}", r.body);
    let reply = json(&r);
    assert_eq!(reply["lost"]["status"], "lost");
    assert!(
        reply["lost"].get("verification_payload").is_none(),
        "a blocked card gets no payload"
    );
    let new = reply["replacement"]["number"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(new, CardNumber::issue("755", 2, 5).unwrap().as_str());
    assert_eq!(reply["replacement"]["replaces"], old.as_str());
    assert_eq!(reply["lost"]["replaced_by"], new.as_str());

    // A retry with the same key answers the same; a new report of a lost card is refused.
    let again = report_lost(&host, &old, "loss-1");
    assert_eq!(
        (again.status, again.header("idempotent-replayed")),
        (201, Some("true"))
    );
    assert_eq!(json(&again)["replacement"]["number"], new.as_str());
    let p = problem(
        &report_lost(&host, &old, "loss-2"),
        409,
        "invalid-card-transition",
    );
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("a lost card cannot be reported lost"),
        "{p}"
    );

    let v = json(&verify(&host, &json!({"number": old})));
    assert_eq!(
        (v["accepted"].as_bool(), v["status"].as_str()),
        (Some(false), Some("lost")),
        "{v}"
    );
    assert!(
        v["reason"].as_str().unwrap().contains("earns nothing"),
        "{v}"
    );
    assert_eq!(v["replaced_by"], new.as_str());
    assert_eq!(
        json(&verify(&host, &json!({"number": new})))["accepted"],
        true
    );

    let actions: Vec<String> = app
        .database()
        .prepare("SELECT action FROM audit_events WHERE entity_type = 'card' ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(actions, ["card.issued", "card.lost", "card.issued"]);
}

#[test]
fn an_expired_card_is_refused_and_a_new_one_is_issued_once_per_key() {
    let (app, host) = boot();
    become_member(&host, "E1");
    let old = cards_of(&host, "E1")[0]["number"]
        .as_str()
        .unwrap()
        .to_string();
    // Two years pass.
    app.database()
        .execute(
            "UPDATE cards SET expires_at = '2020-01-01T00:00:00.000Z' WHERE number = ?",
            [&old],
        )
        .unwrap();
    let v = json(&verify(&host, &json!({"number": old})));
    assert_eq!(
        (v["accepted"].as_bool(), v["status"].as_str()),
        (Some(false), Some("expired")),
        "{v}"
    );
    problem(
        &report_lost(&host, &old, "k"),
        409,
        "invalid-card-transition",
    );

    let issue = |key: &str, body: &Value| {
        call_with(
            &host,
            Some("staff"),
            "POST",
            "/api/v1/cards",
            Some(body),
            &[("idempotency-key", key)],
        )
    };
    let body = json!({"customer_id": "E1", "region": "821"});
    let first = issue("renew-E1", &body);
    assert_eq!(first.status, 201, "{}", first.body);
    let card = json(&first);
    assert_eq!(
        card["number"],
        CardNumber::issue("821", 1, 5).unwrap().as_str()
    );
    assert_eq!(card["replaces"], old.as_str());
    let retry = issue("renew-E1", &body);
    assert_eq!(
        (retry.status, retry.header("idempotent-replayed")),
        (201, Some("true"))
    );
    assert_eq!(json(&retry)["number"], card["number"]);
    let statuses: Vec<Value> = cards_of(&host, "E1")
        .iter()
        .map(|c| c["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("active"), json!("expired")]);

    let p = problem(
        &issue("bad-region", &json!({"customer_id": "E1", "region": "75"})),
        400,
        "validation-error",
    );
    assert_eq!(fields(&p), ["region"]);
}

#[test]
fn two_hundred_concurrent_issuances_in_one_region_get_two_hundred_consecutive_numbers() {
    let app = App::new();
    // Room for all 200 requests in flight at once.
    let host = app.start_with(&["--max-instances", "256"]);
    let ids: Vec<String> = (1..=200).map(|i| format!("P{i:03}")).collect();
    let cases: Vec<Value> = ids
        .iter()
        .map(|id| {
            call(
                &host,
                Some("staff"),
                "PUT",
                &format!("/api/v1/customers/{id}"),
                Some(&e2e::customer(json!({"segment": "isp"}))),
            );
            let d = json(&e2e::post_check(
                &host,
                "chatbot",
                &json!({"customer_id": id}),
                None,
            ));
            let case = d["onboarding_case_id"].clone();
            let r = call(
                &host,
                Some("customer_success"),
                "POST",
                &format!("/api/v1/onboarding/cases/{case}/review"),
                None,
            );
            assert_eq!(r.status, 200, "{}", r.body);
            case
        })
        .collect();
    let barrier = std::sync::Barrier::new(cases.len());
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|case| {
                let (host, barrier) = (&host, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    call(
                        host,
                        Some("program_manager"),
                        "POST",
                        &format!("/api/v1/onboarding/cases/{case}/approve"),
                        None,
                    )
                    .status
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let db = app.database();
    let mut rows: Vec<(String, i64)> = db
        .prepare("SELECT number, sequence FROM cards WHERE region = '755' ORDER BY sequence")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let sequences: Vec<i64> = rows.iter().map(|(_, s)| *s).collect();
    assert_eq!(sequences, (1..=200).collect::<Vec<i64>>());
    rows.dedup_by(|a, b| a.0 == b.0);
    assert_eq!(rows.len(), 200, "distinct numbers");
    assert!(rows.iter().all(|(n, _)| luhn_valid(n)));
    let holders: i64 = db
        .query_row("SELECT COUNT(DISTINCT customer_id) FROM cards", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(holders, 200);
}

#[test]
fn card_orders_left_pending_by_a_crash_are_fulfilled_by_the_catch_up_run() {
    let (app, host) = boot();
    become_member(&host, "K1");
    // As if the host died after the approval committed and before its card was issued.
    let db = app.database();
    db.execute_batch(
        "DELETE FROM cards WHERE customer_id = 'K1';
         UPDATE card_orders SET card_number = NULL, done_at = NULL WHERE customer_id = 'K1';",
    )
    .unwrap();
    assert!(cards_of(&host, "K1").is_empty());
    let run = json(&call(
        &host,
        Some("scheduler"),
        "POST",
        "/api/v1/cards/orders/run",
        None,
    ));
    assert_eq!(run["fulfilled"].as_array().unwrap().len(), 1, "{run}");
    assert_eq!(run["remaining"], false);
    let cards = cards_of(&host, "K1");
    assert_eq!(
        (cards.len(), cards[0]["status"].as_str()),
        (1, Some("active"))
    );
    let rerun = json(&call(
        &host,
        Some("staff"),
        "POST",
        "/api/v1/cards/orders/run",
        None,
    ));
    assert_eq!(rerun["fulfilled"], json!([]));
    assert_eq!(cards_of(&host, "K1").len(), 1);
}
