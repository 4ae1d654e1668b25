//! The month-end VIP list: who became and who stopped being VIP at each close,
//! idempotent per month, in order, paged.

use e2e::{boot, call, customer, json, problem};
use serde_json::{json, Value};

fn close(host: &e2e::Host, role: &str, month: &str) -> e2e::Response {
    call(
        host,
        Some(role),
        "POST",
        &format!("/api/v1/eligibility/month-end?month={month}"),
        None,
    )
}

#[test]
fn month_end_lists_changes_once_per_month_in_order() {
    let (app, host) = boot();
    for (id, facts) in [
        ("A", json!({"segment": "isp"})),
        ("B", json!({})),
        ("C", json!({"plan_type": "corporate"})),
        ("D", json!({})),
    ] {
        let r = call(
            &host,
            Some("staff"),
            "PUT",
            &format!("/api/v1/customers/{id}"),
            Some(&customer(facts)),
        );
        assert_eq!(r.status, 201);
    }
    let first = close(&host, "scheduler", "2026-01");
    assert_eq!(first.status, 201, "{}", first.body);
    let run = json(&first);
    assert_eq!(
        (run["evaluated"].clone(), run["vip"].clone()),
        (json!(4), json!(2))
    );
    assert_eq!(
        (run["became_vip"].clone(), run["stopped_being_vip"].clone()),
        (json!(2), json!(0))
    );

    // Closing the same month again changes nothing and answers with the recorded run.
    let again = close(&host, "staff", "2026-01");
    assert_eq!(again.status, 200);
    assert_eq!(json(&again), run);

    // A is no longer an ISP, B now has a dedicated plan.
    call(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/customers/A",
        Some(&customer(json!({}))),
    );
    call(
        &host,
        Some("staff"),
        "PUT",
        "/api/v1/customers/B",
        Some(&customer(json!({"plan_type": "dedicated"}))),
    );
    let feb = json(&close(&host, "scheduler", "2026-02"));
    assert_eq!(
        (
            feb["became_vip"].clone(),
            feb["stopped_being_vip"].clone(),
            feb["vip"].clone()
        ),
        (json!(1), json!(1), json!(2))
    );

    let list = json(&call(
        &host,
        Some("customer_success"),
        "GET",
        "/api/v1/eligibility/month-end?month=2026-02",
        None,
    ));
    assert_eq!(list["total"], 2);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items[0]["customer_id"], "A");
    assert_eq!(items[0]["change"], "stopped_being_vip");
    assert_eq!(items[1]["customer_id"], "B");
    assert_eq!(items[1]["change"], "became_vip");
    assert_eq!(
        items[1]["matched_rules"],
        json!(["dedicated_or_corporate_plan"])
    );
    let paged = json(&call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/eligibility/month-end?month=2026-01&per_page=1&page=2",
        None,
    ));
    assert_eq!(paged["items"].as_array().unwrap().len(), 1);
    assert_eq!(paged["items"][0]["customer_id"], "C");

    problem(
        &close(&host, "scheduler", "2025-12"),
        409,
        "month-end-out-of-order",
    );
    problem(
        &close(&host, "scheduler", "2999-01"),
        409,
        "month-not-closed",
    );
    let p = problem(
        &close(&host, "scheduler", "2026-13"),
        400,
        "validation-error",
    );
    assert_eq!(p["errors"][0]["field"], "month");
    problem(
        &call(
            &host,
            Some("staff"),
            "POST",
            "/api/v1/eligibility/month-end",
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
            "/api/v1/eligibility/month-end?month=2026-03",
            None,
        ),
        404,
        "not-found",
    );
    let bad_page = call(
        &host,
        Some("staff"),
        "GET",
        "/api/v1/eligibility/month-end?month=2026-01&per_page=5000",
        None,
    );
    problem(&bad_page, 400, "validation-error");

    let changes: i64 = app
        .database()
        .query_row("SELECT COUNT(*) FROM month_end_changes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        changes, 4,
        "two changes in January, two in February, none twice"
    );
    let audited: i64 = app
        .database()
        .query_row(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'month_end.completed'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(audited, 2);
}

#[test]
fn an_interrupted_run_reruns_to_the_same_list() {
    let (app, host) = boot();
    for id in ["X", "Y"] {
        call(
            &host,
            Some("staff"),
            "PUT",
            &format!("/api/v1/customers/{id}"),
            Some(&customer(json!({"segment": "isp"}))),
        );
    }
    // Simulate a crash after the first change row was written, before the run row.
    app.database()
        .execute(
            "INSERT INTO month_end_changes (month, customer_id, vip, matched_rules, summary)
             VALUES ('2026-01', 'X', 1, '[\"isp_customer\"]', 'partial')",
            [],
        )
        .unwrap();
    let run = json(&close(&host, "scheduler", "2026-01"));
    assert_eq!(run["became_vip"], 2);
    let n: i64 = app
        .database()
        .query_row("SELECT COUNT(*) FROM month_end_changes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 2, "no duplicate change rows");
}

/// Seed 001: collections mark each new VIP "CLIENTE VIP" with a note, shown
/// on the invoices; the VIP portfolio is assigned to collectors, who list
/// their customers; a reassignment is audited.
#[test]
fn collections_mark_the_new_vips_and_collectors_hold_their_portfolio() {
    let (app, host) = boot();
    for (id, facts) in [
        ("K-VIP", json!({"plan_type": "corporate"})),
        ("K-NOT", json!({})),
    ] {
        let r = call(
            &host,
            Some("staff"),
            "PUT",
            &format!("/api/v1/customers/{id}"),
            Some(&customer(facts)),
        );
        assert_eq!(r.status, 201);
    }
    assert_eq!(close(&host, "scheduler", "2026-01").status, 201);
    let invoice = e2e::invoice(&host, "K-VIP", "2026-02", "900.00");
    let view = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/invoices/{invoice}"),
        None,
    ));
    let mark = &view["collections_status"];
    assert_eq!(mark["label"], "CLIENTE VIP", "{view}");
    assert!(
        mark["note"]
            .as_str()
            .unwrap()
            .starts_with("CLIENTE VIP desde el cierre de 2026-01: "),
        "{mark}"
    );
    let other = e2e::invoice(&host, "K-NOT", "2026-02", "50.00");
    let view = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/invoices/{other}"),
        None,
    ));
    assert_eq!(view["collections_status"], Value::Null);

    let assign = |id: &str, collector: &str| {
        call(
            &host,
            Some("staff"),
            "PUT",
            &format!("/api/v1/customers/{id}/collector"),
            Some(&json!({ "collector": collector })),
        )
    };
    assert_eq!(assign("K-VIP", "gestor.ana").status, 200);
    assert_eq!(assign("K-NOT", "gestor.ana").status, 200);
    assert_eq!(
        e2e::fields(&problem(
            &assign("K-VIP", "bad name"),
            400,
            "validation-error"
        )),
        vec!["collector"]
    );
    problem(&assign("NOBODY", "gestor.ana"), 404, "not-found");
    let mine = json(&call(
        &host,
        Some("customer_success"),
        "GET",
        "/api/v1/collectors/gestor.ana/customers",
        None,
    ));
    let customers = mine["customers"].as_array().unwrap();
    assert_eq!(customers.len(), 2, "{mine}");
    assert_eq!(customers[0]["unpaid_invoices"], 1);
    assert_eq!(customers.iter().filter(|c| c["vip"] == true).count(), 1);
    assert_eq!(assign("K-VIP", "gestor.luis").status, 200);
    let moved: String = app
        .database()
        .query_row(
            "SELECT details FROM audit_events WHERE action = 'collections.reassigned' AND entity_id = 'K-VIP'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let moved: Value = serde_json::from_str(&moved).unwrap();
    assert_eq!(moved, json!({"from": "gestor.ana", "to": "gestor.luis"}));
    let view = json(&call(
        &host,
        Some("staff"),
        "GET",
        &format!("/api/v1/invoices/{invoice}"),
        None,
    ));
    assert_eq!(view["collector"], "gestor.luis");
}
