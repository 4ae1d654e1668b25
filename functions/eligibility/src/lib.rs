//! The `eligibility` component. For now it answers `GET /api/v1/health`,
//! proving the whole path: built to wasm, routed by `spin.toml`, and able to
//! reach its SQLite database.

use serde_json::json;
use spin_sdk::http::{IntoResponse, Method, Request, Response};
use spin_sdk::http_component;
use spin_sdk::sqlite::Connection;

#[http_component]
fn handle(req: Request) -> anyhow::Result<impl IntoResponse> {
    if *req.method() != Method::Get {
        return Ok(Response::builder()
            .status(405)
            .header("allow", "GET")
            .body("method not allowed")
            .build());
    }
    let database = match Connection::open_default().and_then(|c| c.execute("SELECT 1", &[])) {
        Ok(_) => "ok",
        Err(_) => "unavailable",
    };
    let status = if database == "ok" { 200 } else { 503 };
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(json!({ "status": if status == 200 { "ok" } else { "degraded" }, "database": database }).to_string())
        .build())
}
