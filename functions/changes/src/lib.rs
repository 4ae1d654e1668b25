//! The `changes` component (docs/domain.md §10): change requests, "evolutivos",
//! paid in T-Points. Staff record the packs a customer buys and size and
//! estimate each change request (a second reviewer for advanced ones); the
//! customer, through a member token or staff on their behalf, accepts
//! (the points are reserved), rejects or renegotiates; validation spends the
//! points and cancellation releases them. Accepted work is planned (within
//! the team's load), developed with hours booked against the estimate, and
//! delivered; the cron entry sends the progress notices every 72 hours and
//! expires what is left of packs past their date.
//! Training (FOR) is budgeted in T-Points, approved by the customer, planned
//! and closed with its materials. (No `forbid(unsafe_code)`:
//! spin-sdk's export macro emits the component's `unsafe` ABI glue; this
//! crate's own code has none.)

mod decisions;
mod delivery;
mod estimates;
mod tpoints;
mod training;
mod view;

use spin_sdk::http::{IncomingRequest, IntoResponse};
use spin_sdk::http_component;
use vip_kit::{api, Binding};

/// This component's handlers for its operations in `vip_kit::api::OPERATIONS`.
const HANDLERS: &[Binding] = &[
    (&api::GET_PROGRAM_CHANGE_REQUESTS, estimates::program),
    (
        &api::PUT_PROGRAM_CHANGE_REQUESTS,
        estimates::replace_program,
    ),
    (&api::GET_CUSTOMER_TPOINTS, tpoints::balance),
    (&api::POST_CUSTOMER_TPOINT_PACKS, tpoints::buy),
    (&api::GET_ME_TPOINTS, tpoints::balance),
    (&api::POST_CHANGE_REQUEST_SIZING, estimates::size),
    (&api::POST_CHANGE_REQUEST_ESTIMATES, estimates::estimate),
    (&api::POST_CHANGE_REQUEST_REVIEW, estimates::review),
    (&api::GET_CHANGE_REQUEST, view::get),
    (&api::GET_ME_CHANGE_REQUEST, view::get),
    (&api::POST_CHANGE_REQUEST_DECISION, decisions::decide),
    (&api::POST_ME_CHANGE_REQUEST_DECISION, decisions::decide),
    (&api::POST_CHANGE_REQUEST_VALIDATION, decisions::validate),
    (&api::POST_ME_CHANGE_REQUEST_VALIDATION, decisions::validate),
    (&api::POST_CHANGE_REQUEST_CANCELLATION, decisions::cancel),
    (&api::PUT_CHANGE_REQUEST_PLAN, delivery::plan),
    (&api::POST_CHANGE_REQUEST_DEVELOPMENT, decisions::start),
    (&api::POST_CHANGE_REQUEST_HOURS, delivery::book),
    (&api::POST_CHANGE_REQUEST_DELIVERY, decisions::deliver),
    (
        &api::POST_CHANGE_REQUEST_DELIVERY_REJECTION,
        decisions::reject_delivery,
    ),
    (
        &api::POST_ME_CHANGE_REQUEST_DELIVERY_REJECTION,
        decisions::reject_delivery,
    ),
    (&api::POST_CHANGE_REQUEST_PROGRESS_RUNS, delivery::progress),
    (&api::POST_TPOINTS_EXPIRY_RUNS, tpoints::expire),
    (&api::POST_CUSTOMER_TRAININGS, training::create),
    (&api::GET_TRAINING, training::get),
    (&api::GET_ME_TRAINING, training::get),
    (&api::POST_TRAINING_DECISION, training::decide),
    (&api::POST_ME_TRAINING_DECISION, training::decide),
    (&api::PUT_TRAINING_PLAN, training::plan),
    (&api::POST_TRAINING_CLOSURE, training::close),
    (&api::POST_TRAINING_CANCELLATION, training::cancel),
];

#[http_component]
async fn handle(req: IncomingRequest) -> impl IntoResponse {
    vip_kit::serve(req, "changes", HANDLERS, vip_store::ownership::owner_of).await
}

vip_kit::cron_component!(HANDLERS, |event| {
    event.call(&api::POST_CHANGE_REQUEST_PROGRESS_RUNS, "")?;
    event.call(&api::POST_TPOINTS_EXPIRY_RUNS, "")
});

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_a_handler_and_every_handler_an_operation() {
        vip_kit::router::assert_bound("changes", super::HANDLERS);
    }
}
