//! The team refiles a ticket (002 §10.1.1): kind, priority, urgency and
//! complexity change with a reason, and the clocks run on the new targets
//! from the intake, with the pauses so far. A clock already met is final
//! and keeps its target and due time. `GET /tickets/{id}/sla` lists every
//! refiling with the due times before and after.

use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::tickets::{Reclassification, TicketState};
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::tickets::{self, Classified, Refiling, PROGRAM};

use crate::events::changed_meanwhile;
use crate::intake::{filed, load, view, TicketClocks};

/// `POST /api/v1/tickets/{ticket}/classification`: `{"kind", "priority"?,
/// "urgency"?, "complexity"?, "reason"}` (the intake's field rules).
pub fn reclassify(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let change: Reclassification = read_json(ctx.req)?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let ticket = load(&db, id)?;
    let intake = change.apply(&filed(&ticket)).map_err(Problem::validation)?;
    if matches!(ticket.state, TicketState::Resolved | TicketState::Closed) {
        return Err(Problem::conflict(
            "invalid-ticket-transition",
            "That does not apply to this ticket",
            format!(
                "a {} ticket is not reclassified: its clocks are done; reopen it first",
                ticket.state.as_str()
            ),
        ));
    }
    let priority = intake.sla_priority();
    let first = program
        .targets
        .first_response(ticket.support_plan, priority);
    let resolution = program.targets.resolution(ticket.support_plan, priority);
    let clocks = TicketClocks::load(&db, &ticket, ctx.now)?;
    let before = Classified::of(&ticket);
    // A met first-response clock is final: its target and due time stay.
    let (first_minutes, first_due) = match ticket.first_responded_at {
        Some(_) => (ticket.first_response_minutes, ticket.first_response_due),
        None => (
            first.duration_minutes,
            clocks.due(first.natural_time, first.duration_minutes, None),
        ),
    };
    let after = Classified {
        kind: intake.kind,
        priority: intake.priority,
        urgency: intake.urgency,
        complexity: intake.complexity,
        sla_priority: priority,
        natural_time: first.natural_time,
        first_response_minutes: first_minutes,
        resolution_minutes: resolution.duration_minutes,
        first_response_due: first_due,
        resolution_due: clocks.due(first.natural_time, resolution.duration_minutes, None),
    };
    let refiled = tickets::reclassify(
        &db,
        &Refiling {
            id,
            state: ticket.state,
            before: &before,
            after: &after,
            reason: &change.reason,
            at: ctx.now,
            by: &ctx.actor(),
        },
    )?;
    if !refiled {
        return Err(changed_meanwhile());
    }
    Ok(vip_kit::json(200, &view(&load(&db, id)?, &program)))
}

/// The refilings of ticket `id` as the SLA explanation gives them: when,
/// who, why, and the classification and due times before and after.
pub(crate) fn explained(db: &Db, id: i64) -> Result<Vec<serde_json::Value>, Problem> {
    Ok(tickets::reclassifications(db, id)?
        .into_iter()
        .map(|r| {
            let summary = |c: &serde_json::Value| {
                format!(
                    "{} at {} priority (first response {} min, resolution {} min)",
                    c["kind"].as_str().unwrap_or("?"),
                    c["sla_priority"].as_str().unwrap_or("?"),
                    c["first_response_minutes"],
                    c["resolution_minutes"]
                )
            };
            json!({
                "at": timestamp_text(r.at),
                "by": r.by,
                "reason": r.reason,
                "why": format!("refiled from {} to {}: {}", summary(&r.before), summary(&r.after), r.reason),
                "before": r.before,
                "after": r.after,
            })
        })
        .collect())
}
