//! A change request as shown: its state, every estimate version with its
//! lines, its moves, its plan, the hours used against the estimate and the
//! customer's T-Points. The customer's side sees
//! neither the internal reasons nor who in the team did what.

use serde_json::{json, Map, Value};
use spin_sdk::http::Response;
use vip_domain::change_delivery::usage;
use vip_domain::tpoints::TPoints;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::change_delivery;
use vip_store::change_requests::{self as store, ChangeRequest, PROGRAM};

/// Ticket `ticket`'s change request, or 404 naming what is missing.
pub fn found(db: &Db, ticket: i64) -> Result<ChangeRequest, Problem> {
    store::find(db, ticket)?.ok_or_else(|| {
        Problem::not_found(format!(
            "ticket {ticket} has no change request yet: staff size it first (POST /api/v1/change-requests/{ticket}/sizing)"
        ))
    })
}

/// The request with its estimates, moves and the customer's T-Points (the
/// internal fields null on the customer's side), as an object callers add to.
pub fn of(db: &Db, ctx: &Ctx<'_>, cr: &ChangeRequest) -> Result<Map<String, Value>, Problem> {
    let internal = !ctx.customer_side();
    let estimates: Vec<_> = store::estimates(db, cr.ticket_id)?
        .into_iter()
        .map(|e| {
            json!({
                "version": e.version,
                "category": e.estimate.category,
                "lines": e.estimate.lines,
                "development": e.estimate.development,
                "total": e.estimate.total,
                "fee": e.fee,
                "summary": e.input.summary,
                "made_at": e.made_at,
                "second_review": e.estimate.second_review,
                "reviewed_at": e.reviewed_at,
                "made_by": internal.then_some(e.made_by),
                "reviewed_by": e.reviewed_by.filter(|_| internal),
                "input": internal.then_some(e.input),
            })
        })
        .collect();
    let moves: Vec<_> = store::moves(db, cr.ticket_id)?
        .into_iter()
        .map(|m| {
            json!({
                "version": m.version, "from": m.from, "to": m.to, "at": m.at,
                "reason": m.reason.filter(|_| internal),
                "by": internal.then_some(m.by),
            })
        })
        .collect();
    let view = json!({
        "ticket_id": cr.ticket_id,
        "customer_id": cr.customer_id,
        "category": cr.category,
        "rough_points": cr.rough_points,
        "state": cr.state,
        "version": cr.version,
        "total": cr.total,
        "sized_at": cr.sized_at,
        "updated_at": cr.updated_at,
        "estimates": estimates,
        "moves": moves,
        "tpoints": vip_store::tpoints::balance(db, &cr.customer_id)?,
        "started_at": cr.started_at.map(vip_kit::db::timestamp_text),
        "plan": change_delivery::plan_of(db, cr.ticket_id)?,
        "hours": usage(
            &PROGRAM.load(db, ctx.now)?.document.delivery,
            cr.total.unwrap_or(TPoints::ZERO),
            change_delivery::booked_minutes(db, cr.ticket_id)?,
        ),
    });
    match view {
        Value::Object(map) => Ok(map),
        _ => Err(Problem::internal("a change request view is an object")),
    }
}

/// `GET /api/v1/change-requests/{ticket}`, `GET /api/v1/me/change-requests/{ticket}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let ticket = ctx.id_param("ticket", "a ticket number")?;
    let db = Db::open()?;
    let cr = found(&db, ticket)?;
    Ok(vip_kit::json(200, &of(&db, ctx, &cr)?))
}
