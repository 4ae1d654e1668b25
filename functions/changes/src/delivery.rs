//! Planning and doing accepted work (002 §10.2.2): the plan with its dates
//! and technicians, refused with the figures when it would load a technician
//! above the programme's share; hours booked against the estimate with
//! warnings as it is used up; the progress notice every so many hours in
//! development, as of an explicit time (scheduler).

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::change_delivery::{check_booking, check_load, progress_due, usage, Plan};
use vip_domain::change_requests::ChangeState;
use vip_domain::tpoints::TPoints;
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::change_delivery::{self as store, Booking, NewPlan};
use vip_store::change_requests::PROGRAM;

use crate::decisions::{not_now, reason};
use crate::view;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanInput {
    #[serde(flatten)]
    plan: Plan,
    reason: Option<String>,
}

/// `PUT /api/v1/change-requests/{ticket}/plan` `{start_on, deliver_on,
/// assignments: [{technician, hours}], reason?}` (staff): while accepted or
/// in development. A plan that would put a technician above the programme's
/// share of their day on change requests is 409 `team-overloaded` with the
/// figures. Moving a date needs a reason and tells the customer at once.
pub fn plan(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let ticket = ctx.id_param("ticket", "ticket")?;
    let input: PlanInput = read_json(ctx.req)?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let today = program.delivery.zone.date_of(ctx.now);
    input.plan.check(today).map_err(Problem::validation)?;
    let reason = reason(input.reason.as_deref())?;
    let cr = view::found(&db, ticket)?;
    if !matches!(cr.state, ChangeState::Accepted | ChangeState::InDevelopment) {
        return Err(not_now(
            cr.state,
            "planning (the request must be accepted or in development)",
        ));
    }
    let before = store::plan_of(&db, ticket)?;
    let moves_dates = before.as_ref().is_some_and(|b| {
        (b.start_on, b.deliver_on) != (input.plan.start_on, input.plan.deliver_on)
    });
    if moves_dates && reason.is_none() {
        return Err(Problem::field(
            "reason",
            "moving a date tells the customer at once: say why",
        ));
    }
    let others = store::other_plans(&db, ticket, input.plan.start_on, input.plan.deliver_on)?;
    if let Err(over) = check_load(&program.delivery, &others, &input.plan) {
        return Err(Problem::conflict(
            "team-overloaded",
            "The team would be overloaded",
            over.explain(),
        )
        .with_facts(serde_json::to_value(&over).map_err(Problem::internal)?));
    }
    let saved = store::save_plan(
        &db,
        &NewPlan {
            ticket,
            customer: &cr.customer_id,
            plan: &input.plan,
            reason: reason.as_deref(),
            at: ctx.now,
            by: &ctx.actor(),
        },
    )?;
    let cr = view::found(&db, ticket)?;
    if !saved {
        return Err(not_now(cr.state, "planning (another move came first)"));
    }
    Ok(vip_kit::json(200, &view::of(&db, ctx, &cr)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HoursInput {
    technician: String,
    hours: f64,
    worked_on: NaiveDate,
    note: Option<String>,
}

/// `POST /api/v1/change-requests/{ticket}/hours` `{technician, hours,
/// worked_on, note?}` (staff): only in development (409 otherwise); 201 with
/// the hours used against the estimate and the warnings reached (80 %, 100 %).
pub fn book(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let ticket = ctx.id_param("ticket", "ticket")?;
    let input: HoursInput = read_json(ctx.req)?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let mut minutes = check_booking(input.hours).map_err(Problem::validation);
    let technician = input.technician.trim();
    if technician.is_empty() || technician.chars().count() > 100 {
        minutes = Err(Problem::field("technician", "1 to 100 characters"));
    }
    if input.worked_on > program.delivery.zone.date_of(ctx.now) {
        minutes = Err(Problem::field("worked_on", "must not be in the future"));
    }
    if input
        .note
        .as_ref()
        .is_some_and(|n| n.chars().count() > 1000)
    {
        minutes = Err(Problem::field("note", "at most 1000 characters"));
    }
    let minutes = minutes?;
    let cr = view::found(&db, ticket)?;
    let booked = store::book(
        &db,
        &Booking {
            ticket,
            technician,
            minutes,
            worked_on: input.worked_on,
            note: input.note.as_deref(),
            at: ctx.now,
            by: &ctx.actor(),
        },
    )?;
    if !booked {
        let now = view::found(&db, ticket)?;
        return Err(not_now(
            now.state,
            "booking hours (the request must be in development)",
        ));
    }
    let used = usage(
        &program.delivery,
        cr.total.unwrap_or(TPoints::ZERO),
        store::booked_minutes(&db, ticket)?,
    );
    Ok(vip_kit::json(
        201,
        &json!({"ticket_id": ticket, "hours": used}),
    ))
}

/// `POST /api/v1/change-requests/progress-runs?as_of=` (scheduler, and the
/// `changes` cron entry): for each request in development, the progress
/// notice of the latest period completed by `as_of`, once.
pub fn progress(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let as_of = ctx.as_of()?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, as_of)?.document;
    let (mut due, mut sent) = (0, 0);
    for d in store::developing(&db)? {
        let Some((number, due_at)) = progress_due(&program.delivery, d.started_at, as_of) else {
            continue;
        };
        due += 1;
        if store::record_progress(&db, &d, number, due_at, as_of)? {
            sent += 1;
        }
    }
    Ok(vip_kit::json(
        200,
        &json!({"as_of": vip_kit::db::timestamp_text(as_of), "due": due, "queued": sent}),
    ))
}
