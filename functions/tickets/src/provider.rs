//! Waits on an outside provider (002 §9.5): the team hands a ticket to a
//! provider with the time they committed to; the customer-facing clocks stop
//! meanwhile when the programme says so (`provider_wait_pauses_clocks`), and
//! the sweep chases the provider once that time passes
//! (`vip_domain::sweep`, event `provider.chase`).

use chrono::{DateTime, Utc};
use spin_sdk::http::Response;
use vip_domain::sla::Pause;
use vip_domain::tickets::{ProviderHandOver, TicketState};
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::provider_waits::{self, Start};
use vip_store::tickets::{StoredTicket, PROGRAM};

use crate::events::changed_meanwhile;
use crate::intake::{load, view, TicketClocks};

/// The due times `ticket` has with these clocks: a met clock keeps its own.
fn dues(
    ticket: &StoredTicket,
    clocks: &TicketClocks,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let first = match ticket.first_responded_at {
        Some(_) => ticket.first_response_due,
        None => clocks.due(clocks.natural, ticket.first_response_minutes, None),
    };
    let resolution = match ticket.resolved_at {
        Some(_) => ticket.resolution_due,
        None => clocks.due(clocks.natural, ticket.resolution_minutes, None),
    };
    (first, resolution)
}

/// `POST /api/v1/tickets/{ticket}/provider-wait`: `{"provider",
/// "committed_at", "note"?}`.
pub fn start(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let hand_over: ProviderHandOver = read_json(ctx.req)?;
    hand_over.check(ctx.now).map_err(Problem::validation)?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let ticket = load(&db, id)?;
    if matches!(ticket.state, TicketState::Resolved | TicketState::Closed) {
        return Err(Problem::conflict(
            "invalid-ticket-transition",
            "That does not apply to this ticket",
            format!(
                "a {} ticket waits on no one; reopen it first",
                ticket.state.as_str()
            ),
        ));
    }
    if provider_waits::open_wait(&db, id)?.is_some() {
        return Err(Problem::conflict(
            "provider-wait-open",
            "The ticket already waits on a provider",
            "record the provider's answer before handing it over again",
        ));
    }
    let pauses = program.provider_wait_pauses_clocks;
    let clocks = TicketClocks::load(&db, &ticket, ctx.now)?;
    let (first, resolution) = if pauses {
        let mut provider = clocks.provider.clone();
        provider.push(Pause {
            from: ctx.now,
            to: None,
        });
        let customer = clocks.customer.clone();
        dues(&ticket, &clocks.with_pauses(customer, provider))
    } else {
        (ticket.first_response_due, ticket.resolution_due)
    };
    let started = provider_waits::start(
        &db,
        &Start {
            ticket_id: id,
            provider: hand_over.provider.trim(),
            committed_at: hand_over.committed_at,
            pauses,
            first_response_due: first,
            resolution_due: resolution,
            note: hand_over.note.as_deref(),
            at: ctx.now,
            by: &ctx.actor(),
        },
    )?;
    if !started {
        return Err(changed_meanwhile());
    }
    Ok(vip_kit::json(201, &view(&load(&db, id)?, &program)))
}

/// `POST /api/v1/tickets/{ticket}/provider-wait/answer`: the provider
/// answered; the clocks run again if the wait stopped them.
pub fn answer(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let ticket = load(&db, id)?;
    if provider_waits::open_wait(&db, id)?.is_none() {
        return Err(Problem::conflict(
            "no-provider-wait",
            "The ticket waits on no provider",
            "there is no open wait on a provider to end",
        ));
    }
    let clocks = TicketClocks::load(&db, &ticket, ctx.now)?;
    let mut provider = clocks.provider.clone();
    if let Some(open) = provider.last_mut().filter(|p| p.to.is_none()) {
        open.to = Some(ctx.now);
    }
    let customer = clocks.customer.clone();
    let (first, resolution) = dues(&ticket, &clocks.with_pauses(customer, provider));
    if !provider_waits::end(&db, id, first, resolution, ctx.now, &ctx.actor())? {
        return Err(changed_meanwhile());
    }
    Ok(vip_kit::json(200, &view(&load(&db, id)?, &program)))
}
