//! The `rewards` component (docs/domain.md §3): a member's points (balance,
//! reservations, what expires next, the statement), staff adjustments, the
//! expiry run, the reward catalogue, and redemptions with their review
//! queue. Purchases credit points where they are recorded (members, through
//! `vip_store::points::credit_purchase`); this component's cron entry runs
//! the daily expiry (`POST /api/v1/points/expiry`). The SQL is
//! `vip_store::points` (ledger, redemptions) and `vip_store::rewards`.
//! (No `forbid(unsafe_code)`: spin-sdk's export macro emits the component's
//! `unsafe` ABI glue; this crate's own code has none.)

mod catalogue;
mod points;
mod redemptions;

use spin_sdk::http::{IncomingRequest, IntoResponse};
use spin_sdk::http_component;
use vip_kit::Binding;

/// This component's handlers for its operations in `vip_kit::api::OPERATIONS`.
const HANDLERS: &[Binding] = &[
    ("GET /api/v1/program/points", points::program),
    ("PUT /api/v1/program/points", points::replace_program),
    ("GET /api/v1/members/{id}/points", points::show),
    (
        "POST /api/v1/members/{id}/points/adjustments",
        points::adjust,
    ),
    ("POST /api/v1/points/expiry", points::expire),
    ("POST /api/v1/rewards", catalogue::create),
    ("GET /api/v1/rewards", catalogue::list),
    ("GET /api/v1/rewards/{reward}", catalogue::get),
    ("PUT /api/v1/rewards/{reward}", catalogue::replace),
    ("POST /api/v1/rewards/{reward}/stock", catalogue::restock),
    ("POST /api/v1/redemptions", redemptions::create),
    ("GET /api/v1/redemptions", redemptions::list),
    ("GET /api/v1/redemptions/{redemption}", redemptions::get),
    (
        "POST /api/v1/redemptions/{redemption}/approve",
        redemptions::approve,
    ),
    (
        "POST /api/v1/redemptions/{redemption}/reject",
        redemptions::reject,
    ),
    (
        "POST /api/v1/redemptions/{redemption}/fulfil",
        redemptions::fulfil,
    ),
    (
        "POST /api/v1/redemptions/{redemption}/cancel",
        redemptions::cancel,
    ),
];

#[http_component]
async fn handle(req: IncomingRequest) -> impl IntoResponse {
    vip_kit::serve(req, "rewards", HANDLERS).await
}

vip_kit::cron_component!(HANDLERS, |event| event
    .call("POST /api/v1/points/expiry", ""));

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_a_handler_and_every_handler_an_operation() {
        vip_kit::router::assert_bound("rewards", super::HANDLERS);
    }
}
