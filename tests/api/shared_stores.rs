//! The application on shared stores, as a multi-replica deployment runs it
//! (deploy/README.md): `sqlite_database.default` on a libSQL server (the
//! Hrana 3 stand-in of `spin_local_harness::hrana`, since no `sqld` can be
//! installed here), `key_value_store.default` on Debian's `redis-server`,
//! two replicas on them.

use e2e::{become_member, call, json, App};
use spin_local_harness::hrana::HranaServer;

#[test]
fn two_replicas_share_one_libsql_database() {
    let data = tempfile::tempdir().unwrap();
    let remote = data.path().join("remote.db");
    let server = HranaServer::start(&remote, "token");
    let config = data.path().join("runtime-config.toml");
    std::fs::write(
        &config,
        format!(
            "[sqlite_database.default]\ntype = \"libsql\"\nurl = \"{}\"\ntoken = \"token\"\n",
            server.url()
        ),
    )
    .unwrap();
    let config = config.to_string_lossy();
    let (one, two) = (App::new(), App::new());
    let first = one.start_with(&["--runtime-config-file", &config]);
    let health = json(&first.get("/api/v1/health"));
    assert_eq!(health["database"], "ok", "{health}");

    // Every migration ran on the server, through the Hrana client.
    let case = become_member(&first, "c-shared");
    assert_eq!(case["state"], "approved", "{case}");
    let second = two.start_with(&["--runtime-config-file", &config]);
    let tier = call(
        &second,
        Some("staff"),
        "GET",
        "/api/v1/members/c-shared/tier",
        None,
    );
    assert_eq!(
        tier.status, 200,
        "the other replica sees the member: {}",
        tier.body
    );

    let stored: i64 = rusqlite::Connection::open(&remote)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM customers WHERE id = 'c-shared'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stored, 1, "the customer lives in the libSQL database");
    for app in [&one, &two] {
        assert!(!app.dir.state_dir().join("sqlite_db.db").exists());
    }
    assert_eq!(server.open_streams(), 0, "no stream is left open");
}

/// Member sessions on shared stores: codes, wrong-code counts and tokens in
/// one Redis, the data in one libSQL database, two replicas. A code asked
/// on one replica works on the other, and guesses spread over both count
/// together.
#[test]
fn member_sessions_and_their_limits_are_shared_by_replicas() {
    let data = tempfile::tempdir().unwrap();
    let remote = data.path().join("remote.db");
    let server = HranaServer::start(&remote, "token");
    let redis = spin_local_harness::redis::Redis::start();
    let config = data.path().join("runtime-config.toml");
    std::fs::write(
        &config,
        format!(
            "[sqlite_database.default]\ntype = \"libsql\"\nurl = \"{}\"\ntoken = \"token\"\n\
             [key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
            server.url(),
            redis.url()
        ),
    )
    .unwrap();
    let config = config.to_string_lossy();
    let (one, two) = (App::new(), App::new());
    let first = one.start_with(&["--runtime-config-file", &config]);
    let second = two.start_with(&["--runtime-config-file", &config]);
    for id in ["c-kim", "c-lee"] {
        become_member(&first, id);
        let mut body = e2e::customer(serde_json::json!({"segment": "isp"}));
        body["contact"] = serde_json::json!({"email": format!("{id}@shared.test")});
        let r = call(
            &first,
            Some("staff"),
            "PUT",
            &format!("/api/v1/customers/{id}"),
            Some(&body),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let post = |host: &spin_local_harness::Host, path: &str, body: serde_json::Value| {
        call(host, None, "POST", path, Some(&body))
    };
    let code_of = |customer: &str| -> String {
        let payload: String = rusqlite::Connection::open(&remote)
            .unwrap()
            .query_row(
                "SELECT payload FROM notice_outbox WHERE kind = 'member.login_code' AND customer_id = ?
                 ORDER BY created_at DESC LIMIT 1",
                [customer],
                |r| r.get(0),
            )
            .unwrap();
        serde_json::from_str::<serde_json::Value>(&payload).unwrap()["code"]
            .as_str()
            .unwrap()
            .to_string()
    };

    // Asked on one replica, used on the other; the token works on both.
    let r = post(
        &first,
        "/api/v1/sessions/codes",
        serde_json::json!({"email": "c-kim@shared.test"}),
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let r = post(
        &second,
        "/api/v1/sessions",
        serde_json::json!({"email": "c-kim@shared.test", "code": code_of("c-kim")}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let token = json(&r)["token"].as_str().unwrap().to_string();
    for host in [&first, &second] {
        let me = host.request(
            "GET",
            "/api/v1/me",
            &[("authorization", &format!("Bearer {token}"))],
            b"",
        );
        assert_eq!(json(&me)["customer_id"], "c-kim", "{}", me.body);
    }

    // Wrong codes spread over both replicas count together.
    post(
        &first,
        "/api/v1/sessions/codes",
        serde_json::json!({"email": "c-lee@shared.test"}),
    );
    let right = code_of("c-lee");
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for (i, left) in (0..5).rev().enumerate() {
        let host = if i % 2 == 0 { &first } else { &second };
        let r = post(
            host,
            "/api/v1/sessions",
            serde_json::json!({"email": "c-lee@shared.test", "code": wrong}),
        );
        assert_eq!(
            (r.status, json(&r)["attempts_left"].as_u64()),
            (401, Some(left)),
            "{}",
            r.body
        );
    }
    for host in [&first, &second] {
        let r = post(
            host,
            "/api/v1/sessions",
            serde_json::json!({"email": "c-lee@shared.test", "code": right}),
        );
        assert_eq!(r.status, 429, "{}", r.body);
    }
}
