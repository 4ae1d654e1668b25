//! The `tickets` component (docs/domain.md §4): business calendars as data (CRUD
//! for staff) and deadline arithmetic on them; the tickets programme
//! (targets table, calendar per plan, phone support, limits, clock rules,
//! teams); intake, state changes, the conversation and assignment, splitting, the work queue, each ticket's
//! SLA explained and its history; and the SLA sweep over HTTP for
//! schedulers (this component's cron entry runs the same sweep every
//! minute). (No `forbid(unsafe_code)`: spin-sdk's export macro emits the
//! component's `unsafe` ABI glue; this crate's own code has none.)

mod calendars;
mod conversation;
mod events;
mod intake;
mod provider;
mod queue;
mod reclassify;
mod split;
mod surveys;
mod sweep;

use spin_sdk::http::{IncomingRequest, IntoResponse};
use spin_sdk::http_component;
use vip_kit::{api, Binding};

/// This component's handlers for its operations in `vip_kit::api::OPERATIONS`.
const HANDLERS: &[Binding] = &[
    (&api::GET_PROGRAM_TICKETS, intake::program),
    (&api::PUT_PROGRAM_TICKETS, intake::replace_program),
    (&api::POST_TICKETS, intake::open),
    (&api::GET_TICKETS_QUEUE, queue::queue),
    (&api::POST_TICKETS_SLA_SWEEP, sweep::run),
    (&api::GET_TICKET, intake::get),
    (&api::GET_TICKET_SLA, intake::sla),
    (&api::POST_TICKET_EVENTS, events::apply),
    (&api::GET_TICKET_MESSAGES, conversation::list),
    (&api::POST_TICKET_MESSAGES, conversation::post),
    (&api::POST_TICKET_ASSIGNMENT, conversation::assign),
    (&api::POST_TICKET_CLASSIFICATION, reclassify::reclassify),
    (&api::POST_TICKET_PROVIDER_WAIT, provider::start),
    (&api::POST_TICKET_PROVIDER_ANSWER, provider::answer),
    (&api::GET_TICKET_SURVEY, surveys::get),
    (&api::POST_TICKET_SURVEY, surveys::answer),
    (&api::POST_ME_TICKET_SURVEY, surveys::answer),
    (&api::POST_ME_TICKETS, intake::open),
    (&api::GET_ME_TICKET, intake::get),
    (&api::GET_ME_TICKETS, intake::mine),
    (&api::POST_ME_TICKET_EVENTS, events::apply),
    (&api::GET_ME_TICKET_MESSAGES, conversation::list),
    (&api::POST_ME_TICKET_MESSAGES, conversation::post),
    (&api::GET_TICKET_HISTORY, events::history),
    (&api::POST_TICKET_SPLIT, split::split),
    (&api::GET_CALENDARS, calendars::list),
    (&api::GET_CALENDAR, calendars::get),
    (&api::PUT_CALENDAR, calendars::put),
    (&api::DELETE_CALENDAR, calendars::delete),
    (&api::GET_CALENDAR_DEADLINE, calendars::deadline),
];

#[http_component]
async fn handle(req: IncomingRequest) -> impl IntoResponse {
    vip_kit::serve(req, "tickets", HANDLERS, vip_store::ownership::owner_of).await
}

vip_kit::cron_component!(HANDLERS, |event| {
    event.call(&api::POST_TICKETS_SLA_SWEEP, "")
});

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_a_handler_and_every_handler_an_operation() {
        vip_kit::router::assert_bound("tickets", super::HANDLERS);
    }
}
