use e2e::{boot, json};

#[test]
fn health_answers_through_the_whole_path() {
    let (_app, host) = boot();
    let r = host.get("/api/v1/health");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = json(&r);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    assert_eq!(host.get("/api/v1/nothing-here").status, 404);
    assert_eq!(host.stop().code(), Some(0));
}
