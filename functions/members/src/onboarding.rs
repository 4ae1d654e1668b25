//! Onboarding cases (seed 000 SOP-001): an eligibility pass opens one; customer
//! success reviews it (manual review and data validation); the programme
//! manager approves or either rejects it with a reason. Approval creates the
//! membership and queues the customer's notice in the same statement (SQL
//! triggers, `migrations/0004_onboarding.sql`). Each transition is one
//! conditional UPDATE on the state read, so two concurrent decisions cannot both win.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use vip_domain::onboarding::{self, Actor, CaseAction, CaseError, CaseState};
use vip_kit::auth::Role;
use vip_kit::body::read_json;
use vip_kit::db::{int, opt_text, parse_timestamp, text, timestamp, Db, Value};
use vip_kit::settings::TIERS;
use vip_kit::{Ctx, Problem};

const DEFAULT_TARGET_HOURS: u32 = 24;
const LIST_LIMIT: i64 = 500;

/// The end-to-end target, from variable `onboarding_target_hours`.
fn target_hours() -> u32 {
    spin_sdk::variables::get("onboarding_target_hours")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_TARGET_HOURS)
}

fn state_name(state: CaseState) -> &'static str {
    match state {
        CaseState::PendingReview => "pending_review",
        CaseState::Reviewed => "reviewed",
        CaseState::Approved => "approved",
        CaseState::Rejected => "rejected",
    }
}

fn parse_state(name: &str) -> Option<CaseState> {
    [
        CaseState::PendingReview,
        CaseState::Reviewed,
        CaseState::Approved,
        CaseState::Rejected,
    ]
    .into_iter()
    .find(|s| state_name(*s) == name)
}

/// Opens a case for a customer an eligibility check found VIP, unless the
/// customer is a member already; returns the open case (new or existing).
pub fn open_for(
    db: &Db,
    customer_id: &str,
    decision_id: i64,
    ctx: &Ctx<'_>,
) -> Result<Option<i64>, Problem> {
    let due = onboarding::due_at(ctx.now, target_hours());
    let opened = db.first(
        "INSERT INTO onboarding_cases (customer_id, state, opened_at, due_at, decision_id, updated_at, updated_by)
         SELECT ?1, 'pending_review', ?2, ?3, ?4, ?2, ?5
         WHERE NOT EXISTS (SELECT 1 FROM memberships WHERE customer_id = ?1)
         ON CONFLICT DO NOTHING RETURNING id",
        &[
            Value::Text(customer_id.into()),
            timestamp(ctx.now),
            timestamp(due),
            Value::Integer(decision_id),
            Value::Text(ctx.actor()),
        ],
    )?;
    if let Some(row) = opened {
        return Ok(Some(int(&row, 0)?));
    }
    db.first(
        "SELECT id FROM onboarding_cases WHERE customer_id = ? AND state IN ('pending_review', 'reviewed')",
        &[Value::Text(customer_id.into())],
    )?
    .map(|row| int(&row, 0))
    .transpose()
}

#[derive(Serialize)]
struct CaseView {
    id: i64,
    customer_id: String,
    state: &'static str,
    opened_at: String,
    due_at: String,
    overdue: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reviewed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reviewed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decided_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decided_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

const COLUMNS: &str =
    "id, customer_id, state, opened_at, due_at, decision_id, reviewed_by, reviewed_at, decided_by, decided_at, reason";

/// `target_hours` is read once per request by the caller, not per row.
fn view(
    row: &spin_sdk::sqlite::RowResult,
    now: DateTime<Utc>,
    target_hours: u32,
) -> Result<(CaseView, CaseState), Problem> {
    let state_text = text(row, 2)?;
    let state = parse_state(&state_text)
        .ok_or_else(|| Problem::internal(format!("case state {state_text}")))?;
    let opened_at = text(row, 3)?;
    let opened = parse_timestamp(&opened_at)?;
    Ok((
        CaseView {
            id: int(row, 0)?,
            customer_id: text(row, 1)?,
            state: state_name(state),
            overdue: onboarding::is_overdue(state, opened, target_hours, now),
            opened_at,
            due_at: text(row, 4)?,
            decision_id: row.get::<i64>(5),
            reviewed_by: opt_text(row, 6),
            reviewed_at: opt_text(row, 7),
            decided_by: opt_text(row, 8),
            decided_at: opt_text(row, 9),
            reason: opt_text(row, 10),
        },
        state,
    ))
}

fn case_id(ctx: &Ctx<'_>) -> Result<i64, Problem> {
    ctx.param("id")
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Problem::field("id", "must be a case number"))
}

fn load(db: &Db, id: i64, now: DateTime<Utc>) -> Result<(CaseView, CaseState), Problem> {
    let row = db
        .first(
            &format!("SELECT {COLUMNS} FROM onboarding_cases WHERE id = ?"),
            &[Value::Integer(id)],
        )?
        .ok_or_else(|| Problem::not_found(format!("no onboarding case {id}")))?;
    view(&row, now, target_hours())
}

pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let (case, _) = load(&Db::open()?, case_id(ctx)?, ctx.now)?;
    Ok(vip_kit::json(200, &case))
}

/// `?state=…` and/or `?overdue=true`; oldest due first.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let state = match ctx.query("state") {
        None => None,
        Some(s) => Some(parse_state(s).ok_or_else(|| {
            Problem::field(
                "state",
                "must be pending_review, reviewed, approved or rejected",
            )
        })?),
    };
    let overdue_only = ctx.bool_query("overdue")?.unwrap_or(false);
    let db = Db::open()?;
    let rows = db.exec(
        &format!(
            "SELECT {COLUMNS} FROM onboarding_cases WHERE (?1 IS NULL OR state = ?1)
             ORDER BY due_at, id LIMIT ?2"
        ),
        &[
            state.map_or(Value::Null, |s| Value::Text(state_name(s).into())),
            Value::Integer(LIST_LIMIT),
        ],
    )?;
    let target = target_hours();
    let mut cases = Vec::new();
    for row in &rows.rows {
        let (case, _) = view(row, ctx.now, target)?;
        if !overdue_only || case.overdue {
            cases.push(case);
        }
    }
    Ok(vip_kit::json(200, &serde_json::json!({ "cases": cases })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RejectBody {
    reason: String,
}

fn act(ctx: &mut Ctx<'_>, action: CaseAction) -> Result<Response, Problem> {
    let id = case_id(ctx)?;
    let actor = match ctx.role() {
        Some(Role::ProgramManager) => Actor::ProgramManager,
        _ => Actor::CustomerSuccess,
    };
    let db = Db::open()?;
    let (_, from) = load(&db, id, ctx.now)?;
    let to = onboarding::apply(from, actor, &action).map_err(|e| match e {
        CaseError::InvalidTransition { .. } => Problem::conflict(
            "invalid-transition",
            "That step does not apply now",
            e.to_string(),
        ),
        CaseError::NotAllowed { .. } => Problem::forbidden(e.to_string()),
        CaseError::ReasonRequired => Problem::field("reason", e.to_string()),
    })?;
    let who = match action {
        CaseAction::Review => "reviewed_by = ?4, reviewed_at = ?5",
        _ => "decided_by = ?4, decided_at = ?5",
    };
    let reason = match &action {
        CaseAction::Reject { reason } => Value::Text(reason.trim().to_string()),
        _ => Value::Null,
    };
    if to == CaseState::Approved {
        // The membership starts at the ladder's lowest tier (programme data).
        let ladder = TIERS.load(&db, ctx.now)?.document;
        let entry = ladder
            .lowest()
            .ok_or_else(|| Problem::internal("the tier ladder has no tiers"))?;
        vip_store::onboarding::stamp_entry_tier(&db, id, &entry.id)?;
    }
    let updated = db.first(
        &format!(
            "UPDATE onboarding_cases SET state = ?1, {who}, reason = COALESCE(?6, reason),
               updated_at = ?5, updated_by = ?4
             WHERE id = ?2 AND state = ?3 RETURNING id, customer_id"
        ),
        &[
            Value::Text(state_name(to).into()),
            Value::Integer(id),
            Value::Text(state_name(from).into()),
            Value::Text(ctx.actor()),
            timestamp(ctx.now),
            reason,
        ],
    )?;
    let Some(updated) = updated else {
        return Err(Problem::conflict(
            "concurrent-change",
            "The case changed meanwhile",
            "read the case again and retry",
        ));
    };
    if to == CaseState::Approved {
        // The approval ordered the member's first card (SQL trigger): issue it now.
        vip_store::cards::fulfil_pending(&db, ctx, &text(&updated, 1)?)?;
    }
    let (case, _) = load(&db, id, ctx.now)?;
    Ok(vip_kit::json(200, &case))
}

pub fn review(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    act(ctx, CaseAction::Review)
}

pub fn approve(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    act(ctx, CaseAction::Approve)
}

pub fn reject(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let body: RejectBody = read_json(ctx.req)?;
    act(
        ctx,
        CaseAction::Reject {
            reason: body.reason,
        },
    )
}
