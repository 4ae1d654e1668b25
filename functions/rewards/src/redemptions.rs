//! Redemptions: request (Idempotency-Key required), automatic or manual
//! approval, fulfilment, rejection and cancellation, and the review queue.
//!
//! A request is one guarded INSERT: it is written only if the reward (at the
//! version checked) still has a unit left and the member still has the
//! redeemable points, so two requests can never take the same points or the
//! last unit. Its trigger reserves the points and the unit in that statement;
//! every later move is one guarded UPDATE whose trigger commits or releases
//! them (`vip_domain::rewards::Settlement`).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use spin_sdk::sqlite::RowResult;
use vip_domain::customer::CustomerId;
use vip_domain::points::PointsProgram;
use vip_domain::rewards::{
    check_redemption, transition, Approval, FulfilmentTarget, RedemptionEvent, RedemptionState,
    Refusal, Settlement,
};
use vip_kit::body::read_json;
use vip_kit::db::{
    int, json_column, opt_text, opt_timestamp, parse_timestamp, text, timestamp, Db, Value,
};
use vip_kit::{Ctx, Problem};
use vip_store::points::{member_tier, standing, PROGRAM};

use crate::catalogue;

/// Fresh checks after a lost race before giving up (each one re-reads).
const ATTEMPTS: usize = 4;
/// The actor of automatic approvals.
const AUTO: &str = "system:auto-approval";

const COLUMNS: &str = "r.id, r.customer_id, r.reward_id, json_extract(w.spec, '$.name'), json_extract(w.spec, '$.kind'),
    r.cost, r.limited_stock, r.state, r.approval, r.approval_reason, r.fulfilment, r.requested_at, r.requested_by,
    r.review_due_at, r.decided_at, r.fulfil_by, r.fulfilled_at, r.reason, r.updated_at, r.updated_by";

/// A stored redemption.
struct Redemption {
    id: i64,
    state: RedemptionState,
    approval: String,
    approval_reason: String,
    cost: u32,
    limited: bool,
    fulfilment: FulfilmentTarget,
    view: serde_json::Value,
}

fn from_row(row: &RowResult, now: DateTime<Utc>) -> Result<Redemption, Problem> {
    let state = RedemptionState::parse(&text(row, 7)?).map_err(Problem::internal)?;
    let fulfilment: FulfilmentTarget = json_column(row, 10)?;
    let review_due = text(row, 13)?;
    let fulfil_by = opt_text(row, 15);
    let overdue = match state {
        RedemptionState::Requested if parse_timestamp(&review_due)? < now => Some("review"),
        RedemptionState::Approved if opt_timestamp(row, 15)?.is_some_and(|t| t < now) => {
            Some("fulfilment")
        }
        _ => None,
    };
    let cost = int(row, 5)?;
    Ok(Redemption {
        id: int(row, 0)?,
        state,
        approval: text(row, 8)?,
        approval_reason: text(row, 9)?,
        cost: u32::try_from(cost).map_err(Problem::internal)?,
        limited: int(row, 6)? == 1,
        fulfilment,
        view: json!({
            "id": int(row, 0)?,
            "customer_id": text(row, 1)?,
            "reward": { "id": int(row, 2)?, "name": opt_text(row, 3), "kind": opt_text(row, 4) },
            "cost": cost,
            "state": state.as_str(),
            "approval": text(row, 8)?,
            "approval_reason": text(row, 9)?,
            "requested_at": text(row, 11)?,
            "requested_by": text(row, 12)?,
            "review_due_at": review_due,
            "decided_at": opt_text(row, 14),
            "fulfilment": { "target": fulfilment.describe(), "fulfil_by": fulfil_by },
            "fulfilled_at": opt_text(row, 16),
            "overdue": overdue,
            "reason": opt_text(row, 17),
            "updated_at": text(row, 18)?,
            "updated_by": text(row, 19)?,
        }),
    })
}

fn find(
    db: &Db,
    clause: &str,
    param: Value,
    now: DateTime<Utc>,
) -> Result<Option<Redemption>, Problem> {
    db.first(
        &format!("SELECT {COLUMNS} FROM redemptions r JOIN rewards w ON w.id = r.reward_id WHERE {clause}"),
        &[param],
    )?
    .map(|row| from_row(&row, now))
    .transpose()
}

fn load(db: &Db, ctx: &Ctx<'_>) -> Result<Redemption, Problem> {
    let id = ctx.id_param("redemption", "redemption")?;
    find(db, "r.id = ?", Value::Integer(id), ctx.now)?
        .ok_or_else(|| Problem::not_found(format!("there is no redemption `{id}`")))
}

fn refused(r: Refusal) -> Problem {
    Problem::conflict(r.slug(), r.title(), r.to_string())
}

/// Moves a redemption on `event` with its settlement, in one guarded UPDATE.
fn apply(
    db: &Db,
    program: &PointsProgram,
    r: &Redemption,
    event: RedemptionEvent,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Redemption, Problem> {
    let invalid = |e: vip_domain::rewards::TransitionError| {
        Problem::conflict(
            "invalid-redemption-transition",
            "That does not apply to this redemption",
            e.to_string(),
        )
    };
    let to = transition(r.state, event).map_err(invalid)?;
    let s = Settlement::of(r.state, to, r.cost, r.limited);
    let fulfil_by = (to == RedemptionState::Approved)
        .then(|| r.fulfilment.due(now, program.zone))
        .flatten();
    let moved = db.first(
        "UPDATE redemptions SET state = ?1, reason = ?2, updated_at = ?3, updated_by = ?4,
                decided_at = CASE WHEN ?1 IN ('approved', 'rejected') THEN ?3 ELSE decided_at END,
                fulfil_by = COALESCE(?5, fulfil_by),
                fulfilled_at = CASE WHEN ?1 = 'fulfilled' THEN ?3 ELSE fulfilled_at END,
                settle_entry = ?6, settle_points = ?7, settle_held = ?8,
                settle_stock_left = ?9, settle_stock_held = ?10
         WHERE id = ?11 AND state = ?12 RETURNING id",
        &[
            Value::Text(to.as_str().into()),
            reason.map_or(Value::Null, |x| Value::Text(x.into())),
            timestamp(now),
            Value::Text(actor.into()),
            fulfil_by.map_or(Value::Null, timestamp),
            s.entry.map_or(Value::Null, |e| Value::Text(e.into())),
            Value::Integer(s.points),
            Value::Integer(s.held),
            Value::Integer(s.stock_left),
            Value::Integer(s.stock_held),
            Value::Integer(r.id),
            Value::Text(r.state.as_str().into()),
        ],
    )?;
    let current = find(db, "r.id = ?", Value::Integer(r.id), now)?
        .ok_or_else(|| Problem::internal("the redemption vanished"))?;
    if moved.is_none() {
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
    r: Redemption,
    now: DateTime<Utc>,
) -> Result<Redemption, Problem> {
    if r.state != RedemptionState::Requested || r.approval != "automatic" {
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
    let by_key = |db: &Db| {
        find(
            db,
            "r.request_key = ?",
            Value::Text(request_key.clone()),
            ctx.now,
        )
    };
    if let Some(first) = by_key(&db)? {
        let done = settle_automatic(&db, &program, first, ctx.now)?;
        return Ok(vip_kit::replayed(201, &done.view));
    }
    for _ in 0..ATTEMPTS {
        let tier = member_tier(&db, customer.as_str())?;
        let reward = catalogue::load(&db, body.reward_id)?;
        let points = standing(&db, customer.as_str(), &program, ctx.now)?;
        let decision = check_redemption(
            &program,
            &reward.spec,
            reward.stock_left,
            &tier,
            &points,
            ctx.now,
        )
        .map_err(refused)?;
        let limited = reward.stock_left.is_some();
        let s = Settlement::reserve(reward.spec.cost, limited);
        let approval = match decision.approval {
            Approval::Automatic => "automatic",
            Approval::Manual => "manual",
        };
        let inserted = db.first(
            "INSERT INTO redemptions (request_key, customer_id, reward_id, cost, limited_stock, state, approval,
                approval_reason, fulfilment, requested_at, requested_by, review_due_at, updated_at, updated_by,
                settle_entry, settle_points, settle_held, settle_stock_left, settle_stock_held)
             SELECT ?1, ?2, ?3, ?4, ?5, 'requested', ?6, ?7, ?8, ?9, ?10, ?11, ?9, ?10, ?12, ?13, ?14, ?15, ?16
             WHERE EXISTS (SELECT 1 FROM rewards WHERE id = ?3 AND version = ?17 AND (stock_left IS NULL OR stock_left >= 1))
               AND (SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE customer_id = ?2)
                 - (SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE customer_id = ?2 AND kind = 'earn' AND at >= ?18) >= ?4
             ON CONFLICT (request_key) DO NOTHING
             RETURNING id",
            &[
                Value::Text(request_key.clone()),
                Value::Text(customer.as_str().into()),
                Value::Integer(reward.id),
                Value::Integer(i64::from(reward.spec.cost)),
                Value::Integer(i64::from(limited)),
                Value::Text(approval.into()),
                Value::Text(decision.why.clone()),
                Value::Text(serde_json::to_string(&decision.fulfilment).map_err(Problem::internal)?),
                timestamp(ctx.now),
                Value::Text(ctx.actor()),
                timestamp(decision.review_due),
                Value::Text(s.entry.unwrap_or("reserve").into()),
                Value::Integer(s.points),
                Value::Integer(s.held),
                Value::Integer(s.stock_left),
                Value::Integer(s.stock_held),
                Value::Integer(reward.version),
                timestamp(program.today_starts(ctx.now)),
            ],
        )?;
        if let Some(row) = inserted {
            let id = int(&row, 0)?;
            let requested = find(&db, "r.id = ?", Value::Integer(id), ctx.now)?
                .ok_or_else(|| Problem::internal("the redemption vanished"))?;
            let done = settle_automatic(&db, &program, requested, ctx.now)?;
            return Ok(vip_kit::json(201, &done.view));
        }
        if let Some(first) = by_key(&db)? {
            return Ok(vip_kit::replayed(201, &first.view));
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
    let customer = ctx
        .query("customer_id")
        .map(|c| CustomerId::parse(c).map_err(|m| Problem::field("customer_id", m)))
        .transpose()?;
    let state = ctx
        .query("state")
        .map(|s| RedemptionState::parse(s).map_err(|m| Problem::field("state", m)))
        .transpose()?;
    let overdue = ctx.bool_query("overdue")?.unwrap_or(false);
    let limit = ctx.int_query("limit", 1, 500)?.unwrap_or(100);
    let db = Db::open()?;
    let order = if overdue {
        "COALESCE(CASE WHEN r.state = 'requested' THEN r.review_due_at ELSE r.fulfil_by END, '') , r.id"
    } else {
        "r.id DESC"
    };
    let rows = db.exec(
        &format!(
            "SELECT {COLUMNS} FROM redemptions r JOIN rewards w ON w.id = r.reward_id
             WHERE (?1 IS NULL OR r.customer_id = ?1) AND (?2 IS NULL OR r.state = ?2)
               AND (?3 = 0 OR (r.state = 'requested' AND r.review_due_at < ?4)
                           OR (r.state = 'approved' AND r.fulfil_by < ?4))
             ORDER BY {order} LIMIT ?5"
        ),
        &[
            customer.map_or(Value::Null, |c| Value::Text(c.as_str().into())),
            state.map_or(Value::Null, |s| Value::Text(s.as_str().into())),
            Value::Integer(i64::from(overdue)),
            timestamp(ctx.now),
            Value::Integer(limit),
        ],
    )?;
    let list = rows
        .rows
        .iter()
        .map(|row| from_row(row, ctx.now).map(|r| r.view))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(vip_kit::json(200, &json!({ "redemptions": list })))
}

/// `GET /api/v1/redemptions/{redemption}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let r = load(&Db::open()?, ctx)?;
    Ok(vip_kit::json(200, &r.view))
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
    Ok(vip_kit::json(200, &moved.view))
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
