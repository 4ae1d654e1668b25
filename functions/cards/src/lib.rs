//! The `cards` component (docs/domain.md §2): membership cards. Issuance on
//! approval and re-issue on a tier change happen where those events are
//! written (`vip_store::cards`); here: explicit issuance, lookup, verification
//! at a point of sale (by number, or by the signed payload of the QR code),
//! the verification key for offline checks, loss and replacement, and the
//! catch-up of card orders a crash left pending.
//! (No `forbid(unsafe_code)`: spin-sdk's export macro emits the component's
//! `unsafe` ABI glue; this crate's own code has none.)

mod handlers;
mod view;

use spin_sdk::http::{IncomingRequest, IntoResponse};
use spin_sdk::http_component;
use vip_kit::{api, Binding};

/// This component's handlers for its operations in `vip_kit::api::OPERATIONS`.
const HANDLERS: &[Binding] = &[
    (&api::POST_CARDS, handlers::issue),
    (&api::GET_CARDS, handlers::list),
    (&api::GET_ME_CARDS, handlers::list),
    (&api::GET_CARDS_VERIFICATION_KEY, handlers::verification_key),
    (&api::POST_CARDS_VERIFY, handlers::verify),
    (&api::POST_CARDS_ORDERS_RUN, handlers::run_orders),
    (&api::GET_CARD, handlers::get),
    (&api::POST_CARD_REPORT_LOST, handlers::report_lost),
    (&api::POST_ME_CARD_REPORT_LOST, handlers::report_lost),
    (&api::POST_CARD_SUSPEND, handlers::suspend),
    (&api::POST_CARD_REACTIVATE, handlers::reactivate),
    (&api::POST_CARD_REVOKE, handlers::revoke),
];

#[http_component]
async fn handle(req: IncomingRequest) -> impl IntoResponse {
    vip_kit::serve(req, "cards", HANDLERS, vip_store::ownership::owner_of).await
}

vip_kit::cron_component!(HANDLERS, |event| event
    .call(&api::POST_CARDS_ORDERS_RUN, ""));

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_a_handler_and_every_handler_an_operation() {
        vip_kit::router::assert_bound("cards", super::HANDLERS);
    }
}
