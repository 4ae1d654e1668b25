//! The satisfaction survey after a resolution (seed 003): one answer per
//! ticket, from the member (token) or staff recording one taken by phone;
//! first-contact resolution derived from the conversation and the history.

use chrono::Duration;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::surveys::{first_contact_resolution, SurveyAnswer};
use vip_domain::tickets::TicketState;
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::surveys as store;
use vip_store::tickets::PROGRAM;

use crate::intake::load;

/// `POST /api/v1/tickets/{ticket}/survey` (and `/me/tickets/{ticket}/survey`):
/// `{"csat"?: 1-5, "nps"?: 0-10, "ces"?: 1-7, "comment"?}`; once per ticket.
pub fn answer(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let answer: SurveyAnswer = read_json(ctx.req)?;
    answer.check().map_err(Problem::validation)?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let ticket = load(&db, id)?;
    let resolved = match (ticket.state, ticket.resolved_at) {
        (TicketState::Resolved | TicketState::Closed, Some(r)) => r,
        _ => {
            return Err(Problem::conflict(
                "survey-not-open",
                "The survey is not open",
                "the survey follows the ticket's resolution",
            ))
        }
    };
    let closes = resolved + Duration::days(i64::from(program.surveys.answer_days));
    if ctx.now > closes {
        return Err(Problem::conflict(
            "survey-not-open",
            "The survey is not open",
            format!("answers were taken until {}", timestamp_text(closes)),
        ));
    }
    if !store::answer(&db, id, &answer, ctx.now, &ctx.actor())? {
        return Err(Problem::conflict(
            "survey-answered",
            "The survey is answered",
            "this ticket's survey was answered before; the first answer is kept",
        ));
    }
    Ok(vip_kit::json(201, &view(&db, id)?))
}

/// `GET /api/v1/tickets/{ticket}/survey`: the answer, if any, and whether
/// the ticket was resolved at first contact, with the facts behind it.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let db = Db::open()?;
    load(&db, id)?;
    Ok(vip_kit::json(200, &view(&db, id)?))
}

fn view(db: &Db, id: i64) -> Result<serde_json::Value, Problem> {
    let ticket = load(db, id)?;
    let contacts = store::contacts(db, id)?;
    let answered = store::answer_of(db, id)?;
    Ok(json!({
        "ticket_id": id,
        "answer": answered.as_ref().map(|a| &a.answer),
        "answered_at": answered.as_ref().map(|a| timestamp_text(a.at)),
        "answered_by": answered.as_ref().map(|a| a.by.clone()),
        "first_contact_resolution": first_contact_resolution(
            ticket.resolved_at.is_some(),
            contacts.team_answers,
            contacts.reopened,
        ),
        "team_answers": contacts.team_answers,
        "reopened": contacts.reopened,
    }))
}
