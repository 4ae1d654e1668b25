//! The `tickets` component (docs/domain.md §4): business calendars as data (CRUD
//! for staff) and deadline arithmetic on them; the tickets programme
//! (targets table, calendar per plan, phone support, limits, clock rules,
//! teams); intake, state changes, splitting, the work queue, each ticket's
//! SLA explained and its history; and the SLA sweep over HTTP for
//! schedulers (this component's cron entry runs the same sweep every
//! minute). (No `forbid(unsafe_code)`: spin-sdk's export macro emits the
//! component's `unsafe` ABI glue; this crate's own code has none.)

mod calendars;
mod events;
mod intake;
mod queue;
mod split;
mod sweep;

use spin_sdk::http::{IncomingRequest, IntoResponse};
use spin_sdk::http_component;
use vip_kit::Binding;

/// This component's handlers for its operations in `vip_kit::api::OPERATIONS`.
const HANDLERS: &[Binding] = &[
    ("GET /api/v1/program/tickets", intake::program),
    ("PUT /api/v1/program/tickets", intake::replace_program),
    ("POST /api/v1/tickets", intake::open),
    ("GET /api/v1/tickets/queue", queue::queue),
    ("POST /api/v1/tickets/sla-sweep", sweep::run),
    ("GET /api/v1/tickets/{ticket}", intake::get),
    ("GET /api/v1/tickets/{ticket}/sla", intake::sla),
    ("POST /api/v1/tickets/{ticket}/events", events::apply),
    ("GET /api/v1/tickets/{ticket}/history", events::history),
    ("POST /api/v1/tickets/{ticket}/split", split::split),
    ("GET /api/v1/calendars", calendars::list),
    ("GET /api/v1/calendars/{calendar}", calendars::get),
    ("PUT /api/v1/calendars/{calendar}", calendars::put),
    ("DELETE /api/v1/calendars/{calendar}", calendars::delete),
    (
        "GET /api/v1/calendars/{calendar}/deadline",
        calendars::deadline,
    ),
];

#[http_component]
async fn handle(req: IncomingRequest) -> impl IntoResponse {
    vip_kit::serve(req, "tickets", HANDLERS).await
}

vip_kit::cron_component!(HANDLERS, |event| event
    .call("POST /api/v1/tickets/sla-sweep", ""));

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_a_handler_and_every_handler_an_operation() {
        vip_kit::router::assert_bound("tickets", super::HANDLERS);
    }
}
