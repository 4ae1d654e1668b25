//! The application on a shared SQL database, as a multi-replica deployment
//! runs it (deploy/README.md): `sqlite_database.default` on a libSQL server
//! (the Hrana 3 stand-in of `spin_local_harness::hrana`, since no `sqld` can
//! be installed here), two replicas on it.

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
