//! The application end to end: the real `spin.toml`, the wasm components as
//! built by the bootstrap, served by the host over real HTTP.

use e2e::{boot, json};

#[test]
fn health_answers_through_the_whole_path() {
    let (_app, host) = boot(&[]);
    let r = host.get("/api/v1/health");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = json(&r);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");

    let r = host.post("/api/v1/health", "");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET"));
    assert_eq!(host.get("/api/v1/nothing-here").status, 404);
    assert_eq!(host.stop().code(), Some(0));
}
