//! The customer's decision on an estimate (002 §10.2.1 q–u) and the moves of
//! accepted work (002 §10.2.2–10.2.3): start, delivery, a rejected delivery,
//! validation, cancellation. Accepting reserves the total (a re-opened
//! estimate only the difference), validating spends what is held,
//! cancelling releases it (`vip_domain::change_requests::settlement`). Each
//! is one guarded statement, so a repeated or concurrent acceptance reserves
//! once and the others get 409.

use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::change_requests::{
    check_decision, check_reason, needed, settlement, ChangeState, Decision, Refusal, WorkMove,
};
use vip_domain::tpoints::{Shortfall, TPoints};
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::change_delivery;
use vip_store::change_requests::{self as store, ChangeRequest, Move};

use crate::view;

/// 409: the request is not in a state that takes `wanted`.
pub fn not_now(state: ChangeState, wanted: &str) -> Problem {
    Problem::conflict(
        "change-request-state",
        "Not possible in the request's state",
        format!(
            "the change request is {}: not open to {wanted}",
            state.as_str()
        ),
    )
    .with_facts(json!({"state": state}))
}

/// 409: a decision on a version that is not the latest.
pub fn old_version(given: u32, current: u32) -> Problem {
    Problem::conflict(
        "estimate-version-outdated",
        "Not the current estimate",
        format!(
            "version {given} is not the current estimate; the current one is version {current}"
        ),
    )
    .with_facts(json!({"current_version": current}))
}

/// 409: not enough T-Points for `what`, with the balance and the shortfall.
pub fn short(s: Shortfall, what: &str) -> Problem {
    Problem::conflict(
        "insufficient-tpoints",
        "Not enough T-Points",
        format!(
            "{what} needs {} T-Points; the customer has {} available, {} short",
            s.needed, s.available, s.missing
        ),
    )
    .with_facts(json!({"available": s.available, "needed": s.needed, "shortfall": s.missing}))
}

/// 409 `insufficient-tpoints` unless `customer` has the points a move `needs`.
pub fn ensure_available(
    db: &Db,
    customer: &str,
    needs: Option<TPoints>,
    what: &str,
) -> Result<(), Problem> {
    match needs {
        Some(n) => vip_store::tpoints::balance(db, customer)?
            .hold(n)
            .map_err(|s| short(s, what)),
        None => Ok(()),
    }
}

/// A move's reason, trimmed (400 naming `reason` when too long).
pub fn reason(raw: Option<&str>) -> Result<Option<String>, Problem> {
    check_reason(raw).map_err(Problem::validation)
}

fn refused(r: Refusal) -> Problem {
    match r {
        Refusal::OldVersion { given, current } => old_version(given, current),
        Refusal::NotNow { state, wanted } => not_now(state, wanted),
    }
}

/// Applies `to` from the request as read, or explains why not: the guard
/// (state, version and, for an acceptance, the points) is the one check, so
/// a failed move reads the request and the balance again to say which.
fn apply(
    ctx: &Ctx<'_>,
    db: &Db,
    cr: &ChangeRequest,
    to: ChangeState,
    reason: Option<&str>,
    recheck: impl Fn(&ChangeRequest) -> Result<(), Refusal>,
) -> Result<Response, Problem> {
    let total = cr.total.unwrap_or(TPoints::ZERO);
    let held = store::held(db, cr.ticket_id)?;
    let needs = needed(cr.state, to, total, held);
    let moved = store::apply(
        db,
        &Move {
            ticket: cr.ticket_id,
            from: cr.state,
            version: cr.version,
            to,
            settlement: settlement(cr.state, to, total, held),
            needs,
            reason,
            starts: cr.state == ChangeState::Accepted && to == ChangeState::InDevelopment,
            at: ctx.now,
            by: &ctx.actor(),
        },
    )?;
    let now = view::found(db, cr.ticket_id)?;
    if !moved {
        recheck(&now).map_err(refused)?;
        ensure_available(db, &cr.customer_id, needs, "accepting this estimate")?;
        return Err(not_now(now.state, "this move (another came first)"));
    }
    Ok(vip_kit::json(200, &view::of(db, ctx, &now)?))
}

/// `POST /api/v1/change-requests/{ticket}/decision` and
/// `POST /api/v1/me/change-requests/{ticket}/decision`:
/// `{decision: accept|reject|renegotiate, version, reason?}`. Accepting
/// needs the total available (409 `insufficient-tpoints` with the balance
/// and the shortfall); a rejection without a reason counts towards the
/// paid-estimates list; the reason is internal. A decision on a change asked
/// during development resumes the development.
pub fn decide(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let ticket = ctx.id_param("ticket", "ticket")?;
    let decision: Decision = read_json(ctx.req)?;
    let reason = decision.reason().map_err(Problem::validation)?;
    let db = Db::open()?;
    let cr = view::found(&db, ticket)?;
    let given = decision.version();
    check_decision(cr.state, cr.version, given).map_err(refused)?;
    let to = decision.to(cr.started_at.is_some());
    apply(ctx, &db, &cr, to, reason.as_deref(), |now| {
        check_decision(now.state, now.version, given)
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Note {
    reason: Option<String>,
}

/// The team's or the customer's move on accepted work, with an optional
/// reason (required to reject a delivery).
fn work(ctx: &mut Ctx<'_>, step: WorkMove) -> Result<Response, Problem> {
    let ticket = ctx.id_param("ticket", "ticket")?;
    let body: Note = read_json(ctx.req)?;
    let reason = reason(body.reason.as_deref())?;
    if reason.is_none() && step == WorkMove::RejectDelivery {
        return Err(Problem::field(
            "reason",
            "say what is wrong with the delivered work",
        ));
    }
    let db = Db::open()?;
    let cr = view::found(&db, ticket)?;
    step.check(cr.state).map_err(refused)?;
    if step == WorkMove::Start && change_delivery::plan_of(&db, ticket)?.is_none() {
        return Err(Problem::conflict(
            "plan-needed",
            "Plan the work first",
            format!(
                "give the dates and technicians first: PUT /api/v1/change-requests/{ticket}/plan"
            ),
        ));
    }
    apply(ctx, &db, &cr, step.to(), reason.as_deref(), |now| {
        step.check(now.state)
    })
}

/// `POST /api/v1/change-requests/{ticket}/development` (staff): planned
/// work begins; hours may be booked and progress notices fall due.
pub fn start(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    work(ctx, WorkMove::Start)
}

/// `POST /api/v1/change-requests/{ticket}/delivery` `{reason?}` (staff):
/// the work is delivered for the customer's validation.
pub fn deliver(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    work(ctx, WorkMove::Deliver)
}

/// `POST /api/v1/change-requests/{ticket}/delivery-rejection` and the
/// member's: `{reason}`; the delivered work goes back to development, to be
/// fixed at no extra cost.
pub fn reject_delivery(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    work(ctx, WorkMove::RejectDelivery)
}

/// `POST /api/v1/change-requests/{ticket}/validation` and the member's
/// `POST /api/v1/me/change-requests/{ticket}/validation` `{reason?}`: the
/// customer validates the delivered work; the reserved points are spent.
pub fn validate(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    work(ctx, WorkMove::Validate)
}

/// `POST /api/v1/change-requests/{ticket}/cancellation` `{reason?}` (staff):
/// accepted work is withdrawn; the reserved points are released.
pub fn cancel(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    work(ctx, WorkMove::Cancel)
}
