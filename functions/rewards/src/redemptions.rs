//! Redemptions: request (Idempotency-Key required), automatic or manual
//! approval, fulfilment, rejection and cancellation, and the review queue.
//!
//! The rules are `vip_domain::rewards` (the check, the lifecycle, the
//! `Settlement` of each move). A request is one guarded INSERT
//! (`vip_store::points::request_redemption`): it is written only if the
//! reward (at the version checked) still has a unit left and the member still
//! has the redeemable points, so two requests can never take the same points
//! or the last unit. Its trigger reserves the points and the unit in that
//! statement; every later move is one guarded UPDATE
//! (`vip_store::points::move_redemption`) whose trigger commits or releases
//! them.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::points::PointsProgram;
use vip_domain::rewards::{
    check_redemption, transition, Approval, RedemptionEvent, RedemptionState, Refusal, Settlement,
};
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::points::{
    self, NewRedemption, RedemptionMove, RedemptionQuery, StoredRedemption, PROGRAM,
};
use vip_store::rewards;

/// Fresh checks after a lost race before giving up (each one re-reads).
const ATTEMPTS: usize = 4;
/// The actor of automatic approvals.
const AUTO: &str = "system:auto-approval";

/// A redemption as shown at `now`, with what is overdue: the review of a
/// request, or the delivery of an approved reward.
fn view(r: &StoredRedemption, now: DateTime<Utc>) -> serde_json::Value {
    let overdue = match r.state {
        RedemptionState::Requested if r.review_due_at < now => Some("review"),
        RedemptionState::Approved if r.fulfil_by.is_some_and(|t| t < now) => Some("fulfilment"),
        _ => None,
    };
    json!({
        "id": r.id,
        "customer_id": r.customer_id.as_str(),
        "reward": { "id": r.reward_id, "name": r.reward_name, "kind": r.reward_kind },
        "cost": r.cost,
        "state": r.state.as_str(),
        "approval": r.approval,
        "approval_reason": r.approval_reason,
        "requested_at": timestamp_text(r.requested_at),
        "requested_by": r.requested_by,
        "review_due_at": timestamp_text(r.review_due_at),
        "decided_at": r.decided_at.map(timestamp_text),
        "fulfilment": { "target": r.fulfilment.describe(), "fulfil_by": r.fulfil_by.map(timestamp_text) },
        "fulfilled_at": r.fulfilled_at.map(timestamp_text),
        "overdue": overdue,
        "reason": r.reason,
        "updated_at": timestamp_text(r.updated_at),
        "updated_by": r.updated_by,
    })
}

fn load(db: &Db, ctx: &Ctx<'_>) -> Result<StoredRedemption, Problem> {
    let id = ctx.id_param("redemption", "redemption")?;
    points::redemption(db, id)?
        .ok_or_else(|| Problem::not_found(format!("there is no redemption `{id}`")))
}

fn refused(r: Refusal) -> Problem {
    Problem::conflict(r.slug(), r.title(), r.to_string())
}

/// Moves a redemption on `event` with its settlement, in one guarded UPDATE.
fn apply(
    db: &Db,
    program: &PointsProgram,
    r: &StoredRedemption,
    event: RedemptionEvent,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<StoredRedemption, Problem> {
    let invalid = |e: vip_domain::rewards::TransitionError| {
        Problem::conflict(
            "invalid-redemption-transition",
            "That does not apply to this redemption",
            e.to_string(),
        )
    };
    let to = transition(r.state, event).map_err(invalid)?;
    let moved = points::move_redemption(
        db,
        &RedemptionMove {
            id: r.id,
            from: r.state,
            to,
            settlement: Settlement::of(r.state, to, r.cost, r.limited),
            fulfil_by: (to == RedemptionState::Approved)
                .then(|| r.fulfilment.due(now, program.zone))
                .flatten(),
            reason,
            actor,
            at: now,
        },
    )?;
    let current = points::redemption(db, r.id)?
        .ok_or_else(|| Problem::internal("the redemption vanished"))?;
    if !moved {
        // Someone moved it first: judge the event against where it is now.
        transition(current.state, event).map_err(invalid)?;
        return Err(Problem::conflict(
            "concurrent-change",
            "The redemption changed meanwhile",
            format!("it is {} now; read it again", current.state.as_str()),
        ));
    }
    Ok(current)
}

/// An automatic approval the request's own call did not get to (a crash): done now.
fn settle_automatic(
    db: &Db,
    program: &PointsProgram,
    r: StoredRedemption,
    now: DateTime<Utc>,
) -> Result<StoredRedemption, Problem> {
    if r.state != RedemptionState::Requested || r.approval != Approval::Automatic {
        return Ok(r);
    }
    let why = r.approval_reason.clone();
    apply(
        db,
        program,
        &r,
        RedemptionEvent::Approve,
        AUTO,
        Some(&why),
        now,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    customer_id: String,
    reward_id: i64,
}

/// `POST /api/v1/redemptions` (`Idempotency-Key` required).
pub fn create(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let key = ctx.header("idempotency-key").map(str::trim).ok_or_else(|| {
        Problem::field(
            "Idempotency-Key",
            "is required: a retry with the same key returns the first result instead of redeeming twice",
        )
    })?;
    let request_key = format!("{} {key}", ctx.actor());
    let body: RequestBody = read_json(ctx.req)?;
    let customer =
        CustomerId::parse(&body.customer_id).map_err(|m| Problem::field("customer_id", m))?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let by_key = |db: &Db| points::redemption_by_key(db, &request_key);
    if let Some(first) = by_key(&db)? {
        let done = settle_automatic(&db, &program, first, ctx.now)?;
        return Ok(vip_kit::replayed(201, &view(&done, ctx.now)));
    }
    for _ in 0..ATTEMPTS {
        let tier = points::member_tier(&db, &customer)?;
        vip_store::memberships::require_active(&db, &customer)?;
        let reward = rewards::load(&db, body.reward_id)?;
        let standing = points::standing(&db, &customer, &program, ctx.now)?;
        let decision = check_redemption(
            &program,
            &reward.spec,
            reward.stock_left,
            &tier,
            &standing,
            ctx.now,
        )
        .map_err(refused)?;
        let request = NewRedemption {
            request_key: &request_key,
            customer: &customer,
            reward: &reward,
            decision: &decision,
            settlement: Settlement::reserve(reward.spec.cost, reward.limited()),
            today_starts: program.today_starts(ctx.now),
            actor: &ctx.actor(),
            at: ctx.now,
        };
        if let Some(id) = points::request_redemption(&db, &request)? {
            let requested = points::redemption(&db, id)?
                .ok_or_else(|| Problem::internal("the redemption vanished"))?;
            let done = settle_automatic(&db, &program, requested, ctx.now)?;
            return Ok(vip_kit::json(201, &view(&done, ctx.now)));
        }
        if let Some(first) = by_key(&db)? {
            return Ok(vip_kit::replayed(201, &view(&first, ctx.now)));
        }
        // Another request took the points or the unit first: check again.
    }
    Err(Problem::conflict(
        "concurrent-change",
        "The reward or the balance kept changing",
        "retry the request with the same Idempotency-Key",
    ))
}

/// `GET /api/v1/redemptions?customer_id=&state=&overdue=true&limit=`:
/// newest first; `overdue=true` is the review queue (requests past their
/// review target, approvals past their fulfilment date), oldest due first.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    // A web form or chat bot sees only its member's (the router checked any `customer_id`).
    let customer = ctx
        .customer_filter()
        .map(|c| CustomerId::parse(&c).map_err(|m| Problem::field("customer_id", m)))
        .transpose()?;
    let state = ctx
        .query("state")
        .map(|s| RedemptionState::parse(s).map_err(|m| Problem::field("state", m)))
        .transpose()?;
    let overdue = ctx.bool_query("overdue")?.unwrap_or(false);
    let limit = ctx.int_query("limit", 1, 500)?.unwrap_or(100);
    let query = RedemptionQuery {
        customer: customer.as_ref(),
        state,
        overdue,
        now: ctx.now,
        limit,
    };
    let list: Vec<_> = points::redemptions(&Db::open()?, &query)?
        .iter()
        .map(|r| view(r, ctx.now))
        .collect();
    Ok(vip_kit::json(200, &json!({ "redemptions": list })))
}

/// `GET /api/v1/redemptions/{redemption}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let r = load(&Db::open()?, ctx)?;
    Ok(vip_kit::json(200, &view(&r, ctx.now)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    #[serde(default)]
    reason: Option<String>,
}

fn decide(
    ctx: &mut Ctx<'_>,
    event: RedemptionEvent,
    reason_required: bool,
) -> Result<Response, Problem> {
    let body: DecisionBody = if ctx.req.body().is_empty() {
        DecisionBody::default()
    } else {
        read_json(ctx.req)?
    };
    let reason = body
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if reason_required && reason.is_none() {
        return Err(Problem::field(
            "reason",
            "is required: the member is told why",
        ));
    }
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let r = load(&db, ctx)?;
    let moved = apply(&db, &program, &r, event, &ctx.actor(), reason, ctx.now)?;
    Ok(vip_kit::json(200, &view(&moved, ctx.now)))
}

/// `POST /api/v1/redemptions/{redemption}/approve`: commits the reserved points and unit.
pub fn approve(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    decide(ctx, RedemptionEvent::Approve, false)
}

/// `POST /api/v1/redemptions/{redemption}/reject` (`reason` required): releases them.
pub fn reject(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    decide(ctx, RedemptionEvent::Reject, true)
}

/// `POST /api/v1/redemptions/{redemption}/fulfil`: the reward was delivered.
pub fn fulfil(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    decide(ctx, RedemptionEvent::Fulfil, false)
}

/// `POST /api/v1/redemptions/{redemption}/cancel`: before delivery; points
/// and the unit go back.
pub fn cancel(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    decide(ctx, RedemptionEvent::Cancel, false)
}
