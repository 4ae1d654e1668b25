//! A benchmark guest: `GET /deadlines?n=N` runs the deadline workload of
//! `scripts/bench.sh sla` (`shared/examples/sla_bench/workload.rs`, the same
//! source) inside this wasm component and answers the time it took, measured
//! inside the guest. Served by `bench/deadlines.toml`; asserts nothing.

#[path = "../../../../shared/examples/sla_bench/workload.rs"]
mod workload;

use spin_sdk::http::{IntoResponse, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(req: Request) -> impl IntoResponse {
    let n = req
        .query()
        .split('&')
        .find_map(|kv| kv.strip_prefix("n="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000_usize);
    let (secs, checksum) = workload::run(n);
    let body = serde_json::json!({
        "computations": n,
        "seconds": secs,
        "per_second": n as f64 / secs,
        "checksum": checksum,
    });
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(body.to_string())
        .build()
}
