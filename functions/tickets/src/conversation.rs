//! A ticket's conversation and who works it (issue 18): messages between the
//! team and the customer, internal notes, attachments' metadata; the team
//! and the assignee. A public message is the ticket event it stands for
//! (`vip_domain::conversation`), decided like any event and applied in the
//! statement that records the message.

use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::conversation::{Assignment, MessageRefusal, NewMessage, Side};
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::conversation::{self as store, Assign, Posting, StoredMessage};
use vip_store::tickets::PROGRAM;

use crate::events::{changed_meanwhile, decide};
use crate::intake::{load, view};

fn show(m: &StoredMessage) -> serde_json::Value {
    json!({
        "id": m.id,
        "ticket_id": m.ticket_id,
        "side": m.side,
        "visibility": m.visibility,
        "author": m.author,
        "at": timestamp_text(m.at),
        "body": m.body,
        "attachments": m.attachments,
    })
}

fn refused(r: MessageRefusal) -> Problem {
    match r {
        MessageRefusal::Invalid(errors) => Problem::validation(errors),
        MessageRefusal::InternalFromCustomer => Problem::forbidden(
            "internal notes are the team's: a web form or chat bot posts public messages only",
        ),
        MessageRefusal::TooLarge { field, max_bytes } => Problem::new(
            413,
            "attachment-too-large",
            "The attachment is too large",
            format!("{field}: at most {max_bytes} bytes per file"),
        ),
        MessageRefusal::MediaType { field, allowed } => Problem::new(
            415,
            "attachment-type-not-allowed",
            "This kind of file is not accepted",
            format!("{field}: accepted types are {}", allowed.join(", ")),
        ),
    }
}

/// `GET /api/v1/tickets/{ticket}/messages` (and `/me/tickets/{ticket}/messages`):
/// the conversation, oldest first. Internal notes only for the team.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let db = Db::open()?;
    load(&db, id)?;
    let messages: Vec<_> = store::of_ticket(&db, id, !ctx.customer_side())?
        .iter()
        .map(show)
        .collect();
    Ok(vip_kit::json(
        200,
        &json!({ "ticket_id": id, "messages": messages }),
    ))
}

/// `POST /api/v1/tickets/{ticket}/messages` (and `/me/tickets/{ticket}/messages`):
/// `{"body", "visibility"?: "public" | "internal", "attachments"?: [...]}`.
/// The team's public message answers the customer (it meets the
/// first-response clock like `team_reply`); the customer's resumes a paused
/// clock like `customer_reply`; a note moves nothing. Accepts `Idempotency-Key`.
pub fn post(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let message: NewMessage = read_json(ctx.req)?;
    let side = if ctx.customer_side() {
        Side::Customer
    } else {
        Side::Team
    };
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    message.check(side, &program.attachments).map_err(refused)?;
    let ticket = load(&db, id)?;
    let request_key = ctx
        .header("idempotency-key")
        .map(|k| format!("{} {}", ctx.actor(), k.trim()));
    if let Some(key) = &request_key {
        if let Some(earlier) = store::by_request_key(&db, key)? {
            return Ok(vip_kit::replayed(201, &answer(&db, &earlier, &program)?));
        }
    }
    let actor = ctx.actor();
    let moves = message
        .event(side)
        .map(|event| decide(&db, &program, &ticket, event, ctx.now, &actor, None))
        .transpose()?;
    let posted = store::post(
        &db,
        &Posting {
            ticket_id: id,
            side,
            message: &message,
            moves: moves.as_ref(),
            author: &actor,
            at: ctx.now,
            request_key: request_key.clone(),
        },
    )?;
    match posted {
        Some(m) => Ok(vip_kit::json(201, &answer(&db, &m, &program)?)),
        None => match request_key
            .map(|k| store::by_request_key(&db, &k))
            .transpose()?
        {
            Some(Some(earlier)) => Ok(vip_kit::replayed(201, &answer(&db, &earlier, &program)?)),
            _ => Err(changed_meanwhile()),
        },
    }
}

/// The message with the ticket as it stands after it.
fn answer(
    db: &Db,
    m: &StoredMessage,
    program: &vip_domain::tickets::TicketsProgram,
) -> Result<serde_json::Value, Problem> {
    Ok(json!({ "message": show(m), "ticket": view(&load(db, m.ticket_id)?, program) }))
}

/// `POST /api/v1/tickets/{ticket}/assignment`: `{"assignee"?: agent id or
/// "me", "unassign"?: true, "team"?, "reason"?}`. Absent fields keep their value;
/// every change is audited with the actor and the previous team and agent.
pub fn assign(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let mut change: Assignment = read_json(ctx.req)?;
    let actor = ctx.actor();
    if change.assignee.as_deref() == Some("me") {
        change.assignee = Some(actor.clone());
    }
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    change.check(&program.teams).map_err(Problem::validation)?;
    let ticket = load(&db, id)?;
    let team = change
        .team
        .clone()
        .or_else(|| ticket.assigned_team.clone())
        .unwrap_or_else(|| program.teams.of(ticket.kind).to_string());
    let assignee = match change.unassign {
        true => None,
        false => change.assignee.clone().or(ticket.assignee.clone()),
    };
    store::assign(
        &db,
        &Assign {
            ticket_id: id,
            team: &team,
            assignee: assignee.as_deref(),
            reason: change.reason.as_deref(),
            at: ctx.now,
            by: &actor,
        },
    )?;
    Ok(vip_kit::json(200, &view(&load(&db, id)?, &program)))
}
