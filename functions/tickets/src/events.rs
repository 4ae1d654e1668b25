//! What happens to a ticket: the team answers, asks the customer (the clocks
//! stop), the customer answers (they run again), escalation, resolution,
//! closing, reopening within the window. One guarded UPDATE per event; its
//! trigger records the pause and the audit event, and the due times written
//! with it are the domain's, given the pauses after the event.

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use spin_sdk::http::Response;
use vip_domain::sla::Pause;
use vip_domain::tickets::{transition, TicketEvent, TicketState, TicketsProgram};
use vip_kit::auth::Role;
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};

use vip_store::tickets::{self, EventMove, StoredTicket, PROGRAM};

use crate::intake::{load, view, TicketClocks};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBody {
    event: TicketEvent,
    /// Why, for the audit trail.
    #[serde(default)]
    note: Option<String>,
}

/// Events the customer's side sends; the rest are the team's.
fn by_customer(event: TicketEvent) -> bool {
    matches!(event, TicketEvent::CustomerReply | TicketEvent::Reopen)
}

fn may_send(ctx: &Ctx<'_>, event: TicketEvent) -> bool {
    if ctx.customer_side() {
        return by_customer(event);
    }
    match ctx.role() {
        Some(Role::Staff) => true,
        Some(Role::CustomerSuccess) => !by_customer(event),
        _ => false,
    }
}

/// Decides `event` on `ticket` at `now` by `by`, with why (409 when it does
/// not apply): the domain's transition, and the due times given the pauses
/// after it, as the guarded move to write.
pub(crate) fn decide<'a>(
    db: &Db,
    program: &TicketsProgram,
    ticket: &StoredTicket,
    event: TicketEvent,
    now: DateTime<Utc>,
    by: &'a str,
    reason: Option<String>,
) -> Result<EventMove<'a>, Problem> {
    let from = ticket.state;
    let resolved_at = ticket.resolved_at;
    let window = Duration::days(i64::from(program.clock_rules.reopen_days));
    let within = resolved_at.is_some_and(|r| now - r <= window);
    let to = transition(from, event, within).map_err(|e| {
        Problem::conflict(
            "invalid-ticket-transition",
            "That does not apply to this ticket",
            e.to_string(),
        )
    })?;
    // The pauses after this event: the clocks stop while waiting on the
    // customer or resolved, and run again when the ticket is worked on.
    let clocks = TicketClocks::load(db, ticket, now)?;
    let mut ps: Vec<Pause> = clocks.customer.clone();
    if !from.clocks_run() && to.clocks_run() {
        if let Some(open) = ps.last_mut().filter(|p| p.to.is_none()) {
            open.to = Some(now);
        }
    } else if from.clocks_run() && !to.clocks_run() {
        ps.push(Pause {
            from: now,
            to: None,
        });
    }
    // Waits on a provider stop the clocks too; a clock met (now or before)
    // is due where it stood when met.
    let provider = clocks.provider.clone();
    let clocks = clocks.with_pauses(ps, provider);
    let due = |minutes: i64, met: Option<DateTime<Utc>>| clocks.due(clocks.natural, minutes, met);
    let team = !by_customer(event);
    let responded = ticket.first_responded_at;
    let first_responded = responded.or((team && event != TicketEvent::Escalate).then_some(now));
    let resolved = match (event, to) {
        (TicketEvent::Reopen, _) => None,
        (_, TicketState::Resolved) => Some(now),
        _ => resolved_at,
    };
    // A clock met before this event keeps the due time it was met against.
    let first_response_due = match responded {
        Some(_) => ticket.first_response_due,
        None => due(ticket.first_response_minutes, first_responded),
    };
    let resolution_due = match (resolved_at, resolved) {
        (Some(_), Some(_)) => ticket.resolution_due,
        _ => due(ticket.resolution_minutes, resolved),
    };
    let closed = match to {
        TicketState::Closed => Some(now),
        TicketState::Open if event == TicketEvent::Reopen => None,
        _ => ticket.closed_at,
    };
    Ok(EventMove {
        id: ticket.id,
        from,
        to,
        first_responded_at: first_responded,
        first_response_due,
        resolution_due,
        resolved_at: resolved,
        closed_at: closed,
        team_feedback_at: team.then_some(now),
        reason,
        at: now,
        by,
    })
}

/// 409 for a ticket another request moved first.
pub(crate) fn changed_meanwhile() -> Problem {
    Problem::conflict(
        "concurrent-change",
        "The ticket changed meanwhile",
        "read it again and retry",
    )
}

/// `POST /api/v1/tickets/{ticket}/events`: `{"event": "team_reply" |
/// "ask_customer" | "customer_reply" | "escalate" | "resolve" | "close" |
/// "reopen", "note"?}`.
pub fn apply(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let body: EventBody = read_json(ctx.req)?;
    let event = body.event;
    if !may_send(ctx, event) {
        return Err(Problem::forbidden(format!(
            "role `{}` may not send this event: the customer's side replies and reopens, the team does the rest",
            ctx.role().map_or("none", Role::as_str)
        )));
    }
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let ticket = load(&db, id)?;
    let actor = ctx.actor();
    let m = decide(&db, &program, &ticket, event, ctx.now, &actor, body.note)?;
    let moved = tickets::apply_event(&db, &m)?;
    let ticket = moved.ok_or_else(changed_meanwhile)?;
    Ok(vip_kit::json(200, &view(&ticket, &program)))
}

/// `GET /api/v1/tickets/{ticket}/history`: every state change and clock
/// event of the ticket, oldest first, with who did it and why.
pub fn history(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let db = Db::open()?;
    load(&db, id)?;
    let events: Vec<_> = vip_store::audit::trail(&db, "ticket", &id.to_string())?
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "reason": e.reason,
                "details": e.details,
            })
        })
        .collect();
    Ok(vip_kit::json(
        200,
        &serde_json::json!({ "ticket_id": id, "events": events }),
    ))
}
