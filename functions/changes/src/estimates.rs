//! Sizing and estimating a change request (002 §10.2.1): the rough size
//! sets the category; each formal estimate is a new version computed by
//! `vip_domain::change_requests::estimate`; an advanced one waits for a
//! second reviewer before the customer sees it.

use serde::Deserialize;
use spin_sdk::http::Response;
use vip_domain::change_requests::{
    before_estimating, estimate_fee, first_state, Category, ChangeProgram, EstimateInput,
};
use vip_domain::tpoints::TPoints;
use vip_domain::validation::Errors;
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::change_requests::{self as store, ChangeRequest, NewEstimate, Sizing, PROGRAM};

use crate::decisions::{not_now, short};
use crate::view;

/// `GET /api/v1/program/change-requests`.
pub fn program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.get(ctx)
}

/// `PUT /api/v1/program/change-requests`.
pub fn replace_program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.put(ctx)
}

/// The customer of ticket `ticket`, a change request; 404 or 409 otherwise.
fn change_ticket(db: &Db, ticket: i64) -> Result<String, Problem> {
    match store::ticket(db, ticket)? {
        None => Err(Problem::not_found(format!("there is no ticket `{ticket}`"))),
        Some((customer, kind)) if kind == "change_request" => Ok(customer),
        Some((_, kind)) => Err(Problem::conflict(
            "not-a-change-request",
            "Not a change request",
            format!("ticket {ticket} is a {kind}; only change requests are estimated"),
        )),
    }
}

/// What the estimator tells the customer before estimating (`first`: the
/// request has no estimate yet), with the fee it charges; on the
/// paid-estimates list, the customer is also told by notice, once.
fn warnings(
    ctx: &Ctx<'_>,
    db: &Db,
    program: &ChangeProgram,
    cr: &ChangeRequest,
) -> Result<(serde_json::Value, TPoints), Problem> {
    let (customer, ticket, first) = (cr.customer_id.as_str(), cr.ticket_id, cr.version == 0);
    let awaiting = store::awaiting_decision(db, customer, ticket)?;
    let unjustified = store::unjustified_rejections(db, customer)?;
    let fee = estimate_fee(program, unjustified, first);
    if fee > TPoints::ZERO {
        store::tell_paid_estimate(db, customer, ticket, fee, ctx.now)?;
    }
    let told = before_estimating(program, &awaiting, unjustified, first);
    Ok((serde_json::to_value(told).map_err(Problem::internal)?, fee))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SizingInput {
    category: Category,
    rough_points: TPoints,
}

/// `POST /api/v1/change-requests/{ticket}/sizing` `{category, rough_points}`:
/// the first rough size (002 §10.2.1 c, g); again to move the category
/// until an estimate is decided. 200 with the request, the category's
/// rules and guidance, and the warnings to pass on.
pub fn size(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let ticket = ctx.id_param("ticket", "ticket")?;
    let input: SizingInput = read_json(ctx.req)?;
    let db = Db::open()?;
    let customer = change_ticket(&db, ticket)?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let mut errors = Errors::new();
    program
        .step()
        .check(&mut errors, "rough_points", input.rough_points);
    errors.finish(()).map_err(Problem::validation)?;
    let sized = store::size(
        &db,
        &Sizing {
            ticket,
            customer: &customer,
            category: input.category,
            rough_points: input.rough_points,
            at: ctx.now,
            by: &ctx.actor(),
        },
    )?;
    let cr = view::found(&db, ticket)?;
    if !sized {
        return Err(not_now(
            cr.state,
            "a new size (no estimate may be decided yet)",
        ));
    }
    let mut body = view::of(&db, ctx, &cr)?;
    body.insert(
        "rules".into(),
        serde_json::to_value(program.categories.of(input.category)).map_err(Problem::internal)?,
    );
    body.insert("warnings".into(), warnings(ctx, &db, &program, &cr)?.0);
    Ok(vip_kit::json(200, &body))
}

/// `POST /api/v1/change-requests/{ticket}/estimates` (an [`EstimateInput`]):
/// the next version, computed and explained line by line; 201. The first
/// estimate of a customer on the paid-estimates list charges its fee (409
/// `insufficient-tpoints` without it). A request moved on meanwhile is 409.
pub fn estimate(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let ticket = ctx.id_param("ticket", "ticket")?;
    let input: EstimateInput = read_json(ctx.req)?;
    let db = Db::open()?;
    change_ticket(&db, ticket)?;
    let cr = view::found(&db, ticket)?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let estimate = vip_domain::change_requests::estimate(&program, cr.category, &input)
        .map_err(Problem::validation)?;
    if !cr.state.takes_estimate() {
        return Err(not_now(cr.state, "a new estimate"));
    }
    let (warnings, fee) = warnings(ctx, &db, &program, &cr)?;
    let made = store::add_estimate(
        &db,
        &NewEstimate {
            ticket,
            version: cr.version + 1,
            customer: &cr.customer_id,
            input: &input,
            estimate: &estimate,
            fee,
            opens_as: first_state(&estimate),
            at: ctx.now,
            by: &ctx.actor(),
        },
    )?;
    if !made {
        let balance = vip_store::tpoints::balance(&db, &cr.customer_id)?;
        if let Err(shortfall) = balance.hold(fee) {
            return Err(short(
                shortfall,
                "the customer is on the paid-estimates list and this estimate's fee",
            ));
        }
        let now = view::found(&db, ticket)?;
        return Err(Problem::conflict(
            "estimate-conflict",
            "The change request moved on",
            format!(
                "another estimate or decision came first: the request is {} at version {}",
                now.state.as_str(),
                now.version
            ),
        ));
    }
    let cr = view::found(&db, ticket)?;
    let mut body = view::of(&db, ctx, &cr)?;
    body.insert("warnings".into(), warnings);
    Ok(vip_kit::json(201, &body))
}

/// `POST /api/v1/change-requests/{ticket}/estimates/{version}/review`: a
/// second team member, not its author, approves an estimate waiting for
/// review (002 §10.2.1 k); it goes to the customer.
pub fn review(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let ticket = ctx.id_param("ticket", "ticket")?;
    let version = ctx.id_param("version", "estimate version")?;
    let version = u32::try_from(version)
        .map_err(|_| Problem::not_found(format!("there is no estimate version `{version}`")))?;
    let db = Db::open()?;
    let cr = view::found(&db, ticket)?;
    let actor = ctx.actor();
    if store::review(&db, ticket, version, ctx.now, &actor)? {
        let cr = view::found(&db, ticket)?;
        return Ok(vip_kit::json(200, &view::of(&db, ctx, &cr)?));
    }
    let estimates = store::estimates(&db, ticket)?;
    let Some(e) = estimates.iter().find(|e| e.version == version) else {
        return Err(Problem::not_found(format!(
            "ticket {ticket} has no estimate version {version}"
        )));
    };
    if e.made_by == actor {
        return Err(Problem::conflict(
            "second-reviewer-needed",
            "A second reviewer is needed",
            "the estimate's author cannot review it: another team member must",
        ));
    }
    if version != cr.version {
        return Err(crate::decisions::old_version(version, cr.version));
    }
    Err(not_now(
        cr.state,
        "a review (the estimate must be waiting for one)",
    ))
}
