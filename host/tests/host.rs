//! The host, tested as a process with its own small guests (`tests/guests`):
//! routing, Spin headers, key-value, SQLite, variables, permissions, outbound
//! HTTP, cron, traps, migrations, start-up errors and graceful shutdown;
//! the runtime config's Redis and libSQL stores.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use serde_json::Value;
use spin_local_harness::hrana::HranaServer;
use spin_local_harness::redis::Redis;
use spin_local_harness::{wasm, AppDir, Host};

const BIN: &str = env!("CARGO_BIN_EXE_spin-local");

/// A manifest whose `{probe}` and `{ticker}` stand for the test guests.
fn app(manifest: &str) -> AppDir {
    let text = manifest
        .replace("{probe}", &wasm("probe").to_string_lossy())
        .replace("{ticker}", &wasm("ticker").to_string_lossy());
    AppDir::new(
        BIN,
        &format!("spin_manifest_version = 2\n[application]\nname = \"test\"\n{text}"),
    )
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

const PROBE: &str = r#"
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{probe}"
key_value_stores = ["default"]
sqlite_databases = ["default"]
environment = { COMPONENT = "probe" }
"#;

fn up(app: &AppDir) -> Host {
    app.up(&[], &[]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn routing_table_follows_spin_rules_and_sets_spin_headers() {
    let mut manifest = probe_manifest(&[
        ("/...", "root"),
        ("/api/...", "api"),
        ("/api/v1/...", "v1"),
        ("/api/v1/health", "health"),
        ("/users/:id", "user"),
    ]);
    manifest.push_str("[[trigger.http]]\nroute = { private = true }\ncomponent = \"hidden\"\n[component.hidden]\nsource = \"{probe}\"\n");
    let app = app(&manifest);
    let host = up(&app);
    let component = |path: &str| component_at(&host, path);
    assert_eq!(component("/api/v1/health"), "health");
    assert_eq!(component("/api/v1/health/deeper"), "v1");
    assert_eq!(component("/api/v1"), "v1");
    assert_eq!(component("/api/v2/x"), "api");
    assert_eq!(component("/elsewhere"), "root");
    assert_eq!(component("/users/42"), "user");

    let r = host.request(
        "GET",
        "/api/v1/x/y?op=headers&q=1",
        &[
            ("spin-client-addr", "6.6.6.6:6"),
            ("spin-path-match-role", "admin"),
        ],
        b"",
    );
    let h = &json(&r.body)["headers"];
    assert_eq!(h["spin-matched-route"], "/api/v1/...");
    assert_eq!(h["spin-raw-component-route"], "/api/v1/...");
    assert_eq!(h["spin-component-route"], "/api/v1");
    assert_eq!(h["spin-path-info"], "/x/y");
    assert!(
        h.get("spin-path-match-role").is_none(),
        "client-sent spin-* headers must not survive: {h}"
    );
    assert_eq!(h["spin-base-path"], "/");
    assert!(h["spin-client-addr"]
        .as_str()
        .unwrap()
        .starts_with("127.0.0.1:"));
    assert!(h["spin-full-url"]
        .as_str()
        .unwrap()
        .ends_with("/api/v1/x/y?op=headers&q=1"));
    let h = &json(&host.get("/users/42").body)["headers"];
    assert_eq!(h["spin-path-match-id"], "42");
    assert_eq!(h["spin-path-info"], "");
}

/// Spin answers an unrouted path with 404, no body and no content type.
#[test]
fn unrouted_paths_are_an_empty_404() {
    let app = app("[[trigger.http]]\nroute = \"/only\"\ncomponent = \"p\"\n[component.p]\nsource = \"{probe}\"\n");
    let host = up(&app);
    assert_eq!(host.get("/only").status, 200);
    for path in ["/only/more", "/"] {
        let r = host.get(path);
        assert_eq!(
            (r.status, r.body.as_str(), r.header("content-type")),
            (404, "", None)
        );
    }
}

/// Spin closes the connection, unanswered, when a routed HTTP/1.1 request
/// has no `Host` header; an unrouted one still gets its 404.
#[test]
fn a_request_without_host_gets_no_answer() {
    let app = app(PROBE);
    let host = up(&app);
    let address = host.base.trim_start_matches("http://").to_string();
    let raw = |request: &str| {
        let mut s = std::net::TcpStream::connect(&address).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    };
    assert_eq!(
        raw("GET /?op=headers HTTP/1.1\r\nConnection: close\r\n\r\n"),
        ""
    );
    assert!(
        raw("GET /?op=headers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .starts_with("HTTP/1.1 200")
    );
    assert!(host
        .output_containing("no 'Host' header")
        .contains("no 'Host' header present in request"));
    assert_eq!(
        host.get("/?op=headers").status,
        200,
        "the host keeps serving"
    );
}

/// The manifest of one probe component per `(route, id)`, in that order;
/// each answers its id as `component`.
fn probe_manifest(routes: &[(&str, &str)]) -> String {
    let mut manifest = String::new();
    for (route, id) in routes {
        manifest.push_str(&format!(
            "[[trigger.http]]\nroute = \"{route}\"\ncomponent = \"{id}\"\n[component.{id}]\nsource = \"{{probe}}\"\nenvironment = {{ COMPONENT = \"{id}\" }}\n"
        ));
    }
    manifest
}

fn probe_routes(routes: &[(&str, &str)]) -> AppDir {
    app(&probe_manifest(routes))
}

/// The component a probe app routed `path` to.
fn component_at(host: &Host, path: &str) -> String {
    json(&host.get(path).body)["component"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Spin's header values for the routes it treats specially: `/`, a bare
/// wildcard, a trailing slash, no leading slash, and parameter names with `_`.
#[test]
fn spin_headers_for_unusual_routes() {
    let app = probe_routes(&[
        ("/", "root"),
        ("/foo/", "slash"),
        ("foo/bar", "relative"),
        ("/u/:user_id", "user"),
    ]);
    let host = up(&app);
    let headers = |path: &str| json(&host.get(path).body)["headers"].clone();
    let routes = |h: &Value| {
        (
            h["spin-matched-route"].as_str().unwrap().to_string(),
            h["spin-raw-component-route"].as_str().unwrap().to_string(),
            h["spin-component-route"].as_str().unwrap().to_string(),
        )
    };
    let triple = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(routes(&headers("/")), triple("", "/", "/"));
    assert_eq!(routes(&headers("/foo")), triple("/foo", "/foo/", "/foo/"));
    assert_eq!(
        routes(&headers("/foo/bar")),
        triple("/foo/bar", "foo/bar", "foo/bar")
    );
    assert_eq!(headers("/u/7")["spin-path-match-user-id"], "7");

    let wildcard = self::app(PROBE);
    let host = up(&wildcard);
    let h = json(&host.get("/").body)["headers"].clone();
    assert_eq!(routes(&h), triple("/...", "/...", ""));
    assert_eq!(h["spin-path-info"], "/");
}

/// The same route twice: Spin warns and the last declaration answers.
/// Routes that differ only in how they are written: the first answers, silently.
#[test]
fn duplicate_routes_resolve_as_in_spin() {
    let app = probe_routes(&[
        ("/same", "same_first"),
        ("/same", "same_last"),
        ("/a", "a_plain"),
        ("/a/", "a_slash"),
        ("/u/:id", "u_id"),
        ("/u/:name", "u_name"),
    ]);
    let host = up(&app);
    let component = |path: &str| component_at(&host, path);
    assert_eq!(component("/same"), "same_last");
    assert_eq!(component("/a"), "a_plain");
    assert_eq!(component("/a/"), "a_plain");
    assert_eq!(component("/u/7"), "u_id");
    let out = host.output();
    assert!(
        out.contains("The following component routes are duplicates and will never be used:")
            && out.contains("same_first: /same (duplicate of same_last)"),
        "{out}"
    );
    assert!(
        !out.contains("(duplicate of a_") && !out.contains("(duplicate of u_"),
        "{out}"
    );
}

/// Spin refuses to start on a parameter without a name.
#[test]
fn an_unnamed_route_parameter_stops_start_up() {
    let app = app("[[trigger.http]]\nroute = \"/a/:\"\ncomponent = \"p\"\n[component.p]\nsource = \"{probe}\"\n");
    let err = app.up(&[], &[]).err().expect("start-up must fail");
    assert!(
        err.contains("Error parsing route /a/: associated with component p: params must be named"),
        "{err}"
    );
}

#[test]
fn key_value_survives_a_restart_in_spins_file_format() {
    let app = app(PROBE);
    let host = up(&app);
    assert_eq!(host.post("/?op=kv-set&key=greeting", "hello").status, 200);
    assert_eq!(host.stop().code(), Some(0));

    let db = is_sqlite_file(&app.state_dir().join("sqlite_key_value.db"));
    assert!(db, "state must use Spin's file name");
    let host = up(&app);
    let r = host.get("/?op=kv-get&key=greeting");
    assert_eq!(json(&r.body), "hello");
    assert_eq!(
        json(&host.get("/?op=kv-keys").body),
        serde_json::json!(["greeting"])
    );
}

/// The file exists and starts with SQLite's header.
fn is_sqlite_file(path: &std::path::Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.starts_with(b"SQLite format 3\0"))
}

/// Queries, every value type, a guest-visible SQL error and a denied label,
/// on whatever database `host` gives the probe as `default`.
fn sql_operations_work(host: &Host) {
    for stmt in [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB)",
        "INSERT INTO t (name, score, data) VALUES ('a', 1.5, x'0102'), ('b', NULL, NULL)",
    ] {
        let r = host.post("/?op=sql", stmt);
        assert_eq!(r.status, 200, "{stmt}: {}", r.body);
    }
    let r = json(
        &host
            .post(
                "/?op=sql",
                "SELECT id, name, score, data FROM t ORDER BY id",
            )
            .body,
    );
    assert_eq!(
        r["columns"],
        serde_json::json!(["id", "name", "score", "data"])
    );
    assert_eq!(
        r["rows"],
        serde_json::json!([[1, "a", 1.5, [1, 2]], [2, "b", null, null]])
    );

    let bad = host.post("/?op=sql", "SELECT nope FROM t");
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("Io") && bad.body.contains("no such column"),
        "{}",
        bad.body
    );
    let denied = host.post("/?op=sql&db=other", "SELECT 1");
    assert_eq!(denied.status, 422);
    assert!(denied.body.contains("AccessDenied"), "{}", denied.body);
    // The host keeps serving after guest-visible errors.
    assert_eq!(host.post("/?op=sql", "SELECT COUNT(*) FROM t").status, 200);
}

#[test]
fn sqlite_queries_errors_and_permissions() {
    let app = app(PROBE);
    let host = up(&app);
    sql_operations_work(&host);

    // Several statements in one text: Spin runs the first and ignores the rest.
    let r = json(&host.post("/?op=sql", "SELECT 1; SELECT 2").body);
    assert_eq!(r["rows"], serde_json::json!([[1]]));
    let r = host.post(
        "/?op=sql",
        "INSERT INTO t (name) VALUES ('c'); INSERT INTO t (name) VALUES ('d')",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = json(
        &host
            .post("/?op=sql", "SELECT name FROM t WHERE id > 2 ORDER BY id")
            .body,
    );
    assert_eq!(r["rows"], serde_json::json!([["c"]]));
}

#[test]
fn unlisted_store_label_is_refused() {
    let app = app("[[trigger.http]]\nroute = \"/...\"\ncomponent = \"p\"\n[component.p]\nsource = \"{probe}\"\n");
    let host = up(&app);
    let r = host.get("/?op=kv-get&key=x");
    assert_eq!(r.status, 422);
    assert!(r.body.contains("AccessDenied"), "{}", r.body);
    let r = host.post("/?op=sql", "SELECT 1");
    assert!(r.body.contains("AccessDenied"), "{}", r.body);
}

#[test]
fn a_store_label_the_host_lacks_stops_start_up() {
    let app = app(&PROBE.replace(
        r#"key_value_stores = ["default"]"#,
        r#"key_value_stores = ["redis"]"#,
    ));
    let err = app.up(&[], &[]).err().expect("start-up must fail");
    assert!(
        err.contains("key_value_stores") && err.contains("redis"),
        "{err}"
    );
}

const VARIABLES: &str = r#"
[variables]
greeting = { default = "hello" }
token = { required = true, secret = true }
[[trigger.http]]
route = "/..."
component = "p"
[component.p]
source = "{probe}"
variables = { greeting = "{{ greeting }}", auth = "Bearer {{ token }}" }
"#;

#[test]
fn variables_defaults_environment_overrides_and_templates() {
    let app = app(VARIABLES);
    let host = app
        .up(&[], &[("SPIN_VARIABLE_TOKEN", "t0k")])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json(&host.get("/?op=var&name=greeting").body), "hello");
    assert_eq!(json(&host.get("/?op=var&name=auth").body), "Bearer t0k");
    // Spin's error texts (spinframework/spin factor-variables and
    // expressions): the component's own variables only, by component id.
    let undefined = host.get("/?op=var&name=token");
    assert_eq!(
        undefined.body, r#"Error::Undefined("no variable for \"p\".\"token\"")"#,
        "app variables are reachable only through component variables"
    );
    assert_eq!(
        host.get("/?op=var&name=Bad-Name").body,
        r#"Error::InvalidName("\"Bad-Name\": invalid character 'B'. Variable names may contain only lower-case letters, numbers, and underscores.")"#
    );
    assert_eq!(
        host.get("/?op=var&name=a__b").body,
        r#"Error::InvalidName("\"a__b\": must not contain multiple consecutive underscores")"#
    );
    drop(host);

    let host = app
        .up(
            &[],
            &[
                ("SPIN_VARIABLE_TOKEN", "x"),
                ("SPIN_VARIABLE_GREETING", "hola"),
            ],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json(&host.get("/?op=var&name=greeting").body), "hola");
    drop(host);

    let host = app
        .up(
            &["--variable", "greeting=salut", "--variable", "token=y"],
            &[("SPIN_VARIABLE_GREETING", "hola")],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json(&host.get("/?op=var&name=greeting").body), "salut");
}

#[test]
fn a_missing_required_variable_stops_start_up() {
    let app = app(VARIABLES);
    let err = app.up(&[], &[]).err().expect("start-up must fail");
    assert!(
        err.contains("token") && err.contains("SPIN_VARIABLE_TOKEN"),
        "{err}"
    );
    assert!(!err.contains("Serving"), "{err}");
}

/// A loopback HTTP server answering 200 to `count` requests.
fn loopback_server(count: usize) -> (String, std::thread::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handle = std::thread::spawn(move || {
        let mut served = 0;
        listener.set_nonblocking(false).unwrap();
        for stream in listener.incoming().take(count) {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            served += 1;
        }
        served
    });
    (addr, handle)
}

#[test]
fn outbound_http_only_to_allowed_hosts() {
    let (allowed_addr, server) = loopback_server(1);
    let (other_addr, _other) = loopback_server(1);
    let app = app(&format!(
        "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"p\"\n[component.p]\nsource = \"{{probe}}\"\n\
         allowed_outbound_hosts = [\"http://{allowed_addr}\"]\n"
    ));
    let host = up(&app);
    let ok = host.get(&format!(
        "/?op=fetch&url=http%3A%2F%2F{allowed_addr}%2Fhook"
    ));
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(json(&ok.body)["status"], 200);
    assert_eq!(server.join().unwrap(), 1);

    let denied = host.get(&format!("/?op=fetch&url=http%3A%2F%2F{other_addr}%2Fhook"));
    assert_eq!(denied.status, 422);
    assert!(denied.body.contains("HttpRequestDenied"), "{}", denied.body);
    let out = host.output_containing("denied: not in allowed_outbound_hosts");
    assert!(
        out.contains("denied: not in allowed_outbound_hosts"),
        "{out}"
    );
}

const CRON: &str = r#"
[variables]
fail = { default = "no" }
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{probe}"
sqlite_databases = ["default"]
key_value_stores = ["default"]
[[trigger.cron]]
component = "ticker"
cron_expression = "* * * * * *"
[component.ticker]
source = "{ticker}"
sqlite_databases = ["default"]
key_value_stores = ["default"]
variables = { fail = "{{ fail }}" }
"#;

#[test]
fn cron_command_fires_one_event_at_the_given_time() {
    let app = app(CRON);
    let out = app
        .command(&["cron", "ticker", "--at", "2030-01-01T00:00:00Z"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        log.contains("cron ticker timestamp=1893456000 status=ok"),
        "{log}"
    );

    let failed = app
        .command(&[
            "cron",
            "ticker",
            "--at",
            "2030-01-01T00:01:00Z",
            "--variable",
            "fail=yes",
        ])
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("asked to fail"));

    let bad_time = app
        .command(&["cron", "ticker", "--at", "yesterday"])
        .output()
        .unwrap();
    assert!(!bad_time.status.success());

    // The event's effects are visible to the HTTP component.
    let host = up(&app);
    let rows = json(&host.post("/?op=sql", "SELECT ts FROM ticks").body);
    assert_eq!(rows["rows"], serde_json::json!([[1893456000]]));
}

#[test]
fn cron_schedules_fire_while_up_runs() {
    let app = app(CRON);
    let host = up(&app);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = 0;
    while Instant::now() < deadline && seen < 2 {
        std::thread::sleep(Duration::from_millis(300));
        let r = host.post("/?op=sql", "SELECT COUNT(*) AS n FROM ticks");
        if r.status == 200 {
            seen = json(&r.body)["rows"][0][0].as_i64().unwrap_or(0);
        }
    }
    assert!(
        seen >= 2,
        "expected two cron events within 10 s, saw {seen}\n{}",
        host.output()
    );
    let out = host.output_containing("cron ticker timestamp=");
    assert!(out.contains("cron ticker timestamp="), "{out}");
}

#[test]
fn no_cron_serves_http_without_the_schedules() {
    let app = app(CRON);
    let host = app
        .up(&["--no-cron"], &[])
        .unwrap_or_else(|e| panic!("{e}"));
    std::thread::sleep(Duration::from_millis(2500));
    // The ticker (every second) creates its table on its first event: none ran.
    let r = host.post(
        "/?op=sql",
        "SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'ticks'",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r.body)["rows"][0][0], 0, "{}", host.output());
    assert!(host.output().contains("Cron schedules: off (--no-cron)"));
}

#[test]
fn a_trapping_guest_gets_500_and_the_host_keeps_serving() {
    let app = app(PROBE);
    let host = up(&app);
    for _ in 0..3 {
        let r = host.get("/?op=trap");
        // Spin's 500: no body, no content type.
        assert_eq!(
            (r.status, r.body.as_str(), r.header("content-type")),
            (500, "", None)
        );
        assert!(
            !r.body.contains("wasm"),
            "no internals in the response: {}",
            r.body
        );
        assert_eq!(host.get("/?op=headers").status, 200);
    }
    let out = host.output_containing("unreachable");
    assert!(
        out.contains("status=500") && out.contains("unreachable"),
        "{out}"
    );
}

#[test]
fn one_log_line_per_request_without_query_or_body() {
    let app = app(PROBE);
    let host = up(&app);
    host.post("/secret/path?op=kv-set&key=email", "someone@example.com");
    let out = host.output_containing(" http probe POST ");
    let lines: Vec<&str> = out.lines().filter(|l| l.contains(" http ")).collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].contains("http probe POST /secret/path route=/... status=200 us="),
        "{}",
        lines[0]
    );
    assert!(
        !out.contains("someone@example.com") && !out.contains("op=kv-set"),
        "{out}"
    );
}

#[test]
fn migrations_are_applied_once_on_up() {
    let app = app(PROBE);
    let dir = app.path().join("migrations");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("0001_items.sql"),
        "CREATE TABLE items (id INTEGER PRIMARY KEY);",
    )
    .unwrap();
    std::fs::write(
        dir.join("0002_seed.sql"),
        "INSERT INTO items (id) VALUES (7);",
    )
    .unwrap();
    let host = up(&app);
    let out = host.output_containing("applied migration 0001_items.sql");
    assert!(out.contains("applied migration 0001_items.sql"), "{out}");
    drop(host);
    let host = up(&app);
    assert!(!host.output().contains("applied migration"));
    let rows = json(&host.post("/?op=sql", "SELECT id FROM items").body);
    assert_eq!(
        rows["rows"],
        serde_json::json!([[7]]),
        "seed applied exactly once"
    );
}

#[test]
fn start_up_errors_are_clear_and_exit_non_zero() {
    let bad = AppDir::new(BIN, "spin_manifest_version = 2\n[application]\nname = \"x\"\n[component.a]\nsorce = \"a.wasm\"\n");
    let err = bad.up(&[], &[]).err().unwrap();
    assert!(
        err.contains("sorce") && err.contains("exited with exit status: 1"),
        "{err}"
    );

    let missing = AppDir::new(
        BIN,
        "spin_manifest_version = 2\n[application]\nname = \"x\"\n[[trigger.http]]\nroute = \"/\"\ncomponent = \"a\"\n[component.a]\nsource = \"nowhere.wasm\"\n",
    );
    let err = missing.up(&[], &[]).err().unwrap();
    assert!(
        err.contains("nowhere.wasm") && err.contains("component `a`"),
        "{err}"
    );

    let app = app(PROBE);
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().to_string();
    let out = app.command(&["up", "--listen", &port]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {port}")),
        "{stderr}"
    );
}

#[test]
fn shutdown_finishes_in_flight_requests() {
    let app = app(PROBE);
    let host = up(&app);
    let base = host.base.clone();
    let slow = std::thread::spawn(move || {
        spin_local_harness::request(&base, "GET", "/?op=busy&ms=1500", &[], b"")
    });
    std::thread::sleep(Duration::from_millis(400));
    let started = Instant::now();
    let status = host.stop();
    let r = slow.join().unwrap();
    assert_eq!(r.status, 200, "the in-flight request completes: {}", r.body);
    assert_eq!(status.code(), Some(0));
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "stop waited for the request"
    );
}

#[test]
fn build_runs_each_components_commands_in_its_workdir() {
    let app = app(
        "[component.a]\nsource = \"a.wasm\"\n[component.a.build]\ncommand = [\"echo one > out.txt\", \"echo two >> out.txt\"]\nworkdir = \"sub\"\n\
         [component.b]\nsource = \"b.wasm\"\n[component.b.build]\ncommand = \"exit 3\"\n",
    );
    std::fs::create_dir(app.path().join("sub")).unwrap();
    let manifest = app.path().join("spin.toml");
    let run = |extra: &[&str]| {
        std::process::Command::new(BIN)
            .args(["build", "--from"])
            .arg(&manifest)
            .args(extra)
            .output()
            .unwrap()
    };
    let only_a = run(&["-c", "a"]);
    assert!(
        only_a.status.success(),
        "{}",
        String::from_utf8_lossy(&only_a.stderr)
    );
    let written = std::fs::read_to_string(app.path().join("sub/out.txt")).unwrap();
    assert_eq!(written, "one\ntwo\n");
    let all = run(&[]);
    assert_eq!(all.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&all.stderr).contains("build of component `b` failed"));
}

#[test]
fn oversized_bodies_are_refused_before_any_guest_runs() {
    let app = app(PROBE);
    let host = app
        .up(&["--max-request-bytes", "1024"], &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let big = vec![b'x'; 2048];
    let r = host.request("POST", "/?op=kv-set&key=k", &[], &big);
    assert_eq!(r.status, 413);
    let ok = host.request("POST", "/?op=kv-set&key=k", &[], &big[..1000]);
    assert_eq!(ok.status, 200);
    let out = host.output_containing("status=200");
    let refused = out.lines().find(|l| l.contains("status=413")).unwrap();
    assert!(
        !refused.contains("inst_us="),
        "no instance for a refused body: {refused}"
    );
}

#[test]
fn compiled_components_are_cached_and_a_corrupt_entry_is_recompiled() {
    let probe = app(PROBE);
    let cache = probe.path().join("compile-cache");
    let cache_arg = cache.to_string_lossy().to_string();
    let start = |expect: &str| {
        let host = probe
            .up(&["--cache-dir", &cache_arg], &[])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(host.get("/").status, 200);
        let log = host.output_containing("loaded component `probe`");
        assert!(log.contains(expect), "expected `{expect}` in:\n{log}");
        host.stop();
        log
    };
    let entries = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&cache)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default()
    };

    start("compiled");
    let stored = entries();
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(
        stored[0].extension().is_some_and(|e| e == "cwasm"),
        "{stored:?}"
    );
    start("from the compilation cache");

    // A flipped byte in the middle of the entry: refused, recompiled, rewritten.
    let mut bytes = std::fs::read(&stored[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&stored[0], &bytes).unwrap();
    let log = start("compiled");
    assert!(log.contains("checksum does not match"), "{log}");
    start("from the compilation cache");

    // A truncated entry, likewise.
    std::fs::write(&stored[0], &bytes[..10]).unwrap();
    let log = start("compiled");
    assert!(log.contains("truncated"), "{log}");

    // `spin-local cron` uses the same cache.
    let cron = app(CRON);
    let run = || {
        let out = cron
            .command(&[
                "cron",
                "ticker",
                "--at",
                "2030-01-01T00:00:00Z",
                "--cache-dir",
                &cache_arg,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    assert!(run().contains("compiled"));
    assert!(run().contains("from the compilation cache"));

    // `--no-cache` neither reads nor writes it.
    std::fs::remove_dir_all(&cache).unwrap();
    let host = probe
        .up(&["--no-cache"], &[])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(host
        .output_containing("loaded component `probe`")
        .contains("compiled"));
    host.stop();
    assert!(entries().is_empty());
}

/// One raw `POST` that reports only whether it was answered 200: a killed
/// host's refused or cut requests are simply not acknowledged.
fn acknowledged_post(address: &str, path: &str, body: &str) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(address) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut answer = String::new();
    s.write_all(request.as_bytes()).is_ok()
        && s.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.1 200")
}

/// Group commit answers a write only once its batch is durable: kill the
/// host (SIGKILL) in the middle of concurrent writes, many times, and every
/// acknowledged row is there after restart.
#[test]
fn a_killed_host_loses_no_acknowledged_write() {
    let app = app(PROBE);
    let host = up(&app);
    assert_eq!(
        host.post("/?op=sql", "CREATE TABLE acked (v TEXT PRIMARY KEY)")
            .status,
        200
    );
    host.stop();
    let mut total = 0;
    for run in 0..6 {
        let host = up(&app);
        let address = host.base.trim_start_matches("http://").to_string();
        let stop = std::sync::atomic::AtomicBool::new(false);
        let acknowledged: Vec<String> = std::thread::scope(|scope| {
            let writers: Vec<_> = (0..8)
                .map(|thread| {
                    let (address, stop) = (&address, &stop);
                    scope.spawn(move || {
                        let mut acked = Vec::new();
                        for i in 0.. {
                            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                                break;
                            }
                            let v = format!("{run}-{thread}-{i}");
                            let sql = format!("INSERT INTO acked (v) VALUES ('{v}')");
                            if acknowledged_post(address, "/?op=sql", &sql) {
                                acked.push(v);
                            }
                        }
                        acked
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_millis(300 + 100 * run));
            let killed = std::process::Command::new("kill")
                .args(["-KILL", &host.pid().to_string()])
                .status()
                .unwrap();
            assert!(killed.success());
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            writers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        drop(host);
        assert!(
            !acknowledged.is_empty(),
            "run {run}: no write was acknowledged"
        );
        let db = rusqlite::Connection::open(app.state_dir().join("sqlite_db.db")).unwrap();
        let mut present = db.prepare("SELECT 1 FROM acked WHERE v = ?").unwrap();
        for v in &acknowledged {
            assert!(
                present.exists([v]).unwrap(),
                "run {run}: acknowledged {v} is gone"
            );
        }
        total += acknowledged.len();
    }
    assert!(total > 100, "only {total} writes acknowledged in all runs");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A runtime config file in `app`'s directory; its path, for `--runtime-config-file`.
fn runtime_config(app: &AppDir, text: &str) -> String {
    let path = app.path().join("runtime-config.toml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().to_string()
}

/// Every key-value operation a guest has, on whatever store `host` gives it.
fn key_value_operations_work(host: &Host) {
    assert_eq!(json(&host.get("/?op=kv-get&key=a").body), Value::Null);
    assert_eq!(json(&host.get("/?op=kv-exists&key=a").body), false);
    assert_eq!(host.post("/?op=kv-set&key=a", "1").status, 200);
    assert_eq!(host.post("/?op=kv-set&key=b", "2").status, 200);
    assert_eq!(host.post("/?op=kv-set&key=a", "one").status, 200);
    assert_eq!(json(&host.get("/?op=kv-get&key=a").body), "one");
    assert_eq!(json(&host.get("/?op=kv-exists&key=a").body), true);
    let mut keys: Vec<String> =
        serde_json::from_value(json(&host.get("/?op=kv-keys").body)).unwrap();
    keys.sort();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(host.post("/?op=kv-delete&key=a", "").status, 200);
    assert_eq!(
        host.post("/?op=kv-delete&key=a", "").status,
        200,
        "deleting a missing key is fine"
    );
    assert_eq!(json(&host.get("/?op=kv-exists&key=a").body), false);
    assert_eq!(
        json(&host.get("/?op=kv-keys").body),
        serde_json::json!(["b"])
    );
}

#[test]
fn key_value_operations_on_sqlite() {
    key_value_operations_work(&up(&app(PROBE)));
}

#[test]
fn key_value_operations_on_redis() {
    let redis = Redis::start();
    let app = app(PROBE);
    let config = runtime_config(
        &app,
        &format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
            redis.url()
        ),
    );
    key_value_operations_work(
        &app.up(&["--runtime-config-file", &config], &[])
            .unwrap_or_else(|e| panic!("{e}")),
    );
}

/// Two replicas (separate state directories) on one Redis see one store.
#[test]
fn key_value_on_redis_is_shared_by_replicas() {
    let redis = Redis::start();
    let config = format!(
        "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
        redis.url()
    );
    let (first, second) = (app(PROBE), app(PROBE));
    let a = first
        .up(
            &["--runtime-config-file", &runtime_config(&first, &config)],
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let b = second
        .up(
            &["--runtime-config-file", &runtime_config(&second, &config)],
            &[],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a.post("/?op=kv-set&key=greeting", "hello").status, 200);
    assert_eq!(json(&b.get("/?op=kv-get&key=greeting").body), "hello");
    assert_eq!(b.post("/?op=kv-set&key=greeting", "hola").status, 200);
    assert_eq!(json(&a.get("/?op=kv-get&key=greeting").body), "hola");
    assert_eq!(
        json(&a.get("/?op=kv-keys").body),
        serde_json::json!(["greeting"])
    );
    assert_eq!(json(&a.get("/?op=kv-get&key=nothing").body), Value::Null);
    assert!(
        !second.state_dir().join("sqlite_key_value.db").exists(),
        "the store is Redis, not the state directory"
    );
}

/// Redis unreachable at start stops start-up; lost while serving fails
/// that call with a log line; back again, service resumes.
#[test]
fn redis_failures_are_clear() {
    let port = free_port();
    let app = app(PROBE);
    let config = runtime_config(
        &app,
        &format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://127.0.0.1:{port}\"\n"
        ),
    );
    let err = app
        .up(&["--runtime-config-file", &config], &[])
        .err()
        .expect("start-up must fail");
    assert!(
        err.contains(&format!(
            "key-value store `default`: cannot use Redis at redis://127.0.0.1:{port}"
        )),
        "{err}"
    );

    let redis = Redis::start_on(port);
    let host = app
        .up(&["--runtime-config-file", &config], &[])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(host.post("/?op=kv-set&key=k", "v").status, 200);
    drop(redis);
    let lost = host.get("/?op=kv-get&key=k");
    assert!(
        lost.status == 422 && lost.body.contains("redis"),
        "{} {}",
        lost.status,
        lost.body
    );
    assert!(host
        .output_containing("Redis error")
        .contains("key-value store `default`: Redis error"));
    let _redis = Redis::start_on(port);
    assert_eq!(host.post("/?op=kv-set&key=k", "again").status, 200);
    assert_eq!(json(&host.get("/?op=kv-get&key=k").body), "again");
}

/// A runtime config mistake stops start-up naming the key.
#[test]
fn a_bad_runtime_config_stops_start_up() {
    let app = app(PROBE);
    let config = runtime_config(&app, "[key_value_store.default]\ntype = \"memcached\"\n");
    let err = app
        .up(&["--runtime-config-file", &config], &[])
        .err()
        .expect("start-up must fail");
    assert!(
        err.contains("`key_value_store.default.type`: unknown type `memcached`"),
        "{err}"
    );
}

/// A libSQL `default` database (the test stand-in of Hrana 3 over HTTP,
/// `spin_local_harness::hrana`): guests' queries, the wire format of an
/// autocommit statement, and migrations applied once, atomically, over it.
#[test]
fn libsql_database_from_the_runtime_config() {
    let data = tempfile::tempdir().unwrap();
    let server = HranaServer::start(&data.path().join("remote.db"), "secret");
    let app = app(PROBE);
    let migrations = app.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    std::fs::write(
        migrations.join("0001_items.sql"),
        "CREATE TABLE items (id INTEGER PRIMARY KEY);\nINSERT INTO items VALUES (7);",
    )
    .unwrap();
    let config = runtime_config(
        &app,
        &format!(
            "[sqlite_database.default]\ntype = \"libsql\"\nurl = \"{}\"\ntoken = \"secret\"\n",
            server.url()
        ),
    );
    let up_remote = || app.up(&["--runtime-config-file", &config], &[]);
    let host = up_remote().unwrap();
    assert!(host
        .output_containing("applied migration 0001_items.sql")
        .contains("applied migration 0001_items.sql"));
    sql_operations_work(&host);
    assert!(
        !app.state_dir().join("sqlite_db.db").exists(),
        "nothing is written to a local file"
    );
    // One round trip per autocommit statement: a new stream, closed at once.
    let last = server.received().pop().unwrap();
    assert_eq!(
        last,
        serde_json::json!({"baton": null, "requests": [
            {"type": "execute", "stmt": {"sql": "SELECT COUNT(*) FROM t", "args": []}},
            {"type": "close"}]})
    );
    assert_eq!(server.open_streams(), 0, "no stream is left open");
    drop(host);

    // Restarted: applied migrations are not applied again.
    let host = up_remote().unwrap();
    assert!(!host.output().contains("applied migration"));
    let rows = json(&host.post("/?op=sql", "SELECT id FROM items").body);
    assert_eq!(rows["rows"], serde_json::json!([[7]]));
    drop(host);

    // A failing migration stops start-up, and nothing of it is applied.
    std::fs::write(
        migrations.join("0002_bad.sql"),
        "CREATE TABLE u (x);\nINSERT INTO nope VALUES (1);",
    )
    .unwrap();
    let err = up_remote().err().expect("start-up must fail");
    assert!(err.contains("migration 0002_bad.sql failed"), "{err}");
    let remote = rusqlite::Connection::open(data.path().join("remote.db")).unwrap();
    let tables: i64 = remote
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'u'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "the failed migration's table was rolled back");
    assert_eq!(
        server.open_streams(),
        0,
        "the migration's stream was closed"
    );
}

/// A libSQL server that refuses the token, or is not there, stops start-up
/// with the database's label and the reason.
#[test]
fn libsql_failures_are_clear() {
    let data = tempfile::tempdir().unwrap();
    let server = HranaServer::start(&data.path().join("remote.db"), "secret");
    let app = app(PROBE);
    for (url, token, expected) in [
        (server.url(), "wrong", "HTTP 401"),
        (
            format!("http://127.0.0.1:{}", free_port()),
            "secret",
            "cannot reach libSQL",
        ),
    ] {
        let config = runtime_config(
            &app,
            &format!("[sqlite_database.default]\ntype = \"libsql\"\nurl = \"{url}\"\ntoken = \"{token}\"\n"),
        );
        let err = app
            .up(&["--runtime-config-file", &config], &[])
            .err()
            .expect("start-up must fail");
        assert!(
            err.contains("sqlite database `default`") && err.contains(expected),
            "{err}"
        );
    }
}
