//! The shell code every component shares, so no component repeats another:
//! a router whose every route declares the roles it accepts, bearer-key
//! authentication, RFC 9457 problem responses, JSON bodies with limits and
//! field-named errors, SQL helpers and `Idempotency-Key` handling.
//!
//! Components stay thin: parse, authorise, call the domain, persist.
#![forbid(unsafe_code)]

pub mod api;
pub mod auth;
pub mod body;
pub mod cors;
pub mod cron;
pub mod db;
pub mod idempotency;
pub mod member;
pub mod outbound;
pub mod problem;
pub mod router;
pub mod settings;
pub mod webhooks;

pub use problem::Problem;
pub use router::{serve, Binding, Ctx};

use spin_sdk::http::Response;

/// A JSON response.
pub fn json<T: serde::Serialize>(status: u16, value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(body)
        .build()
}

/// The answer of a request whose `Idempotency-Key` already created what it
/// asks for (an earlier attempt crashed or failed after its effect): the
/// status that attempt would have answered, marked as a replay.
pub fn replayed<T: serde::Serialize>(status: u16, value: &T) -> Response {
    let mut response = json(status, value);
    response.set_header(idempotency::REPLAYED, "true");
    response
}

/// The wall clock, read once per request by the shell; the domain only ever
/// receives time as an argument.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
}
