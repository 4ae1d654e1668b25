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
use vip_kit::{api, Binding};

/// This component's handlers for its operations in `vip_kit::api::OPERATIONS`.
const HANDLERS: &[Binding] = &[
    (&api::GET_PROGRAM_POINTS, points::program),
    (&api::PUT_PROGRAM_POINTS, points::replace_program),
    (&api::GET_MEMBER_POINTS, points::show),
    (&api::GET_ME_POINTS, points::show),
    (&api::GET_ME_REWARDS, catalogue::list),
    (&api::GET_ME_REDEMPTIONS, redemptions::list),
    (&api::POST_ME_REDEMPTIONS, redemptions::create),
    (&api::POST_ME_REDEMPTION_CANCEL, redemptions::cancel),
    (&api::POST_MEMBER_POINTS_ADJUSTMENTS, points::adjust),
    (&api::POST_POINTS_EXPIRY, points::expire),
    (&api::POST_REWARDS, catalogue::create),
    (&api::GET_REWARDS, catalogue::list),
    (&api::GET_REWARD, catalogue::get),
    (&api::PUT_REWARD, catalogue::replace),
    (&api::POST_REWARD_STOCK, catalogue::restock),
    (&api::POST_REDEMPTIONS, redemptions::create),
    (&api::GET_REDEMPTIONS, redemptions::list),
    (&api::GET_REDEMPTION, redemptions::get),
    (&api::POST_REDEMPTION_APPROVE, redemptions::approve),
    (&api::POST_REDEMPTION_REJECT, redemptions::reject),
    (&api::POST_REDEMPTION_FULFIL, redemptions::fulfil),
    (&api::POST_REDEMPTION_CANCEL, redemptions::cancel),
];

#[http_component]
async fn handle(req: IncomingRequest) -> impl IntoResponse {
    vip_kit::serve(req, "rewards", HANDLERS, vip_store::ownership::owner_of).await
}

vip_kit::cron_component!(HANDLERS, |event| event.call(&api::POST_POINTS_EXPIRY, ""));

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_a_handler_and_every_handler_an_operation() {
        vip_kit::router::assert_bound("rewards", super::HANDLERS);
    }
}
