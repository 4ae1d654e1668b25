//! The `members` component: customers, the programme's eligibility rules,
//! "is this customer VIP, and why?", onboarding, the tier ladder, members
//! and their purchases, and the month-end VIP list. A thin shell: it parses, authorises
//! (through the route table), calls `vip_domain`, and persists.
//! (No `forbid(unsafe_code)` here: spin-sdk's export macro emits the
//! component's `unsafe` ABI glue; this crate's own code has none.)

mod check;
mod customers;
mod members;
mod month_end;
mod onboarding;
mod program;

use spin_sdk::http::{IncomingRequest, IntoResponse, Response};
use spin_sdk::http_component;
use vip_domain::month_end::Month;
use vip_kit::{Binding, Ctx, Problem};

/// This component's handlers for its operations in `vip_kit::api::OPERATIONS`.
const HANDLERS: &[Binding] = &[
    ("GET /api/v1/health", health),
    ("GET /api/v1/openapi.json", openapi),
    ("PUT /api/v1/customers/{id}", customers::put),
    ("GET /api/v1/customers/{id}", customers::get),
    ("POST /api/v1/eligibility/check", check::post),
    ("GET /api/v1/program/eligibility-rules", program::get),
    ("PUT /api/v1/program/eligibility-rules", program::put),
    ("GET /api/v1/program/tiers", program::get_tiers),
    ("PUT /api/v1/program/tiers", program::put_tiers),
    (
        "POST /api/v1/members/{id}/purchases",
        members::record_purchase,
    ),
    ("GET /api/v1/members/{id}/tier", members::tier),
    ("POST /api/v1/members/tier-review", members::review),
    ("POST /api/v1/eligibility/month-end", month_end::post),
    ("GET /api/v1/eligibility/month-end", month_end::get),
    ("GET /api/v1/onboarding/cases", onboarding::list),
    ("GET /api/v1/onboarding/cases/{id}", onboarding::get),
    (
        "POST /api/v1/onboarding/cases/{id}/review",
        onboarding::review,
    ),
    (
        "POST /api/v1/onboarding/cases/{id}/approve",
        onboarding::approve,
    ),
    (
        "POST /api/v1/onboarding/cases/{id}/reject",
        onboarding::reject,
    ),
];

#[http_component]
async fn handle(req: IncomingRequest) -> impl IntoResponse {
    vip_kit::serve(req, "members", HANDLERS).await
}

fn health(_: &mut Ctx<'_>) -> Result<Response, Problem> {
    let database = vip_kit::db::Db::open()
        .and_then(|db| vip_store::customers::ping(&db))
        .is_ok();
    let (status, body) = if database {
        (200, serde_json::json!({ "status": "ok", "database": "ok" }))
    } else {
        (
            503,
            serde_json::json!({ "status": "degraded", "database": "unavailable" }),
        )
    };
    Ok(vip_kit::json(status, &body))
}

/// The OpenAPI 3.1 document of the whole API.
const OPENAPI: &str = include_str!("../../../api/openapi.json");

fn openapi(_: &mut Ctx<'_>) -> Result<Response, Problem> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(OPENAPI)
        .build())
}

// Daily: the tier review, then the month-end VIP list for the month just
// ended (answered as it was if already made).
vip_kit::cron_component!(HANDLERS, |event| {
    event.call("POST /api/v1/members/tier-review", "")?;
    event.call(
        "POST /api/v1/eligibility/month-end",
        &format!("month={}", Month::last_closed(event.as_of)),
    )
});

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_a_handler_and_every_handler_an_operation() {
        vip_kit::router::assert_bound("members", super::HANDLERS);
    }
}
