//! Onboarding cases (seed 000 SOP-001): an eligibility pass opens one; customer
//! success reviews it (manual review and data validation); the programme
//! manager approves or either rejects it with a reason. Approval creates the
//! membership and queues the customer's notice in the same statement (SQL
//! triggers, `migrations/0004_onboarding.sql`). Each transition is one
//! conditional UPDATE on the state read, so two concurrent decisions cannot both win.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::onboarding::{self, Actor, CaseAction, CaseError, CaseState};
use vip_kit::auth::Role;
use vip_kit::body::read_json;
use vip_kit::db::{parse_timestamp, Db};
use vip_kit::{Ctx, Problem};
use vip_store::memberships::TIERS;
use vip_store::onboarding::{self as cases, StoredCase};

const DEFAULT_TARGET_HOURS: u32 = 24;
const LIST_LIMIT: i64 = 500;

/// The end-to-end target, from variable `onboarding_target_hours`.
fn target_hours() -> u32 {
    spin_sdk::variables::get("onboarding_target_hours")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_TARGET_HOURS)
}

fn parse_state(name: &str) -> Result<CaseState, Problem> {
    serde_json::from_value(serde_json::Value::String(name.into())).map_err(|_| {
        Problem::field(
            "state",
            "must be pending_review, reviewed, approved or rejected",
        )
    })
}

/// Opens a case for a customer an eligibility check found VIP, unless the
/// customer is a member already; returns the open case (new or existing).
pub fn open_for(
    db: &Db,
    customer: &CustomerId,
    decision_id: i64,
    ctx: &Ctx<'_>,
) -> Result<Option<i64>, Problem> {
    let due = onboarding::due_at(ctx.now, target_hours());
    if let Some(opened) = cases::open(db, ctx, customer, decision_id, due)? {
        return Ok(Some(opened));
    }
    cases::open_case_of(db, customer)
}

#[derive(Serialize)]
struct CaseView {
    id: i64,
    customer_id: String,
    state: CaseState,
    opened_at: String,
    due_at: String,
    overdue: bool,
    /// Follow-through tasks of an approved case past their due time.
    overdue_tasks: i64,
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

/// `target_hours` is read once per request by the caller, not per row.
fn view(
    db: &Db,
    case: StoredCase,
    now: DateTime<Utc>,
    target_hours: u32,
) -> Result<CaseView, Problem> {
    let opened = parse_timestamp(&case.opened_at)?;
    let overdue_tasks = match case.state {
        CaseState::Approved => {
            vip_store::member_tasks::overdue_of_case(db, &case.customer_id, case.id, now)?
        }
        _ => 0,
    };
    Ok(CaseView {
        overdue_tasks,
        id: case.id,
        customer_id: case.customer_id,
        state: case.state,
        overdue: onboarding::is_overdue(case.state, opened, target_hours, now),
        opened_at: case.opened_at,
        due_at: case.due_at,
        decision_id: case.decision_id,
        reviewed_by: case.reviewed_by,
        reviewed_at: case.reviewed_at,
        decided_by: case.decided_by,
        decided_at: case.decided_at,
        reason: case.reason,
    })
}

fn case_id(ctx: &Ctx<'_>) -> Result<i64, Problem> {
    ctx.param("id")
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Problem::field("id", "must be a case number"))
}

fn load(db: &Db, id: i64, now: DateTime<Utc>) -> Result<CaseView, Problem> {
    let case = cases::case(db, id)?
        .ok_or_else(|| Problem::not_found(format!("no onboarding case {id}")))?;
    view(db, case, now, target_hours())
}

pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let case = load(&Db::open()?, case_id(ctx)?, ctx.now)?;
    Ok(vip_kit::json(200, &case))
}

/// `?state=…` and/or `?overdue=true` (cases past their target, or approved
/// cases with follow-through tasks past due); oldest due first.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let state = ctx.query("state").map(parse_state).transpose()?;
    let overdue_only = ctx.bool_query("overdue")?.unwrap_or(false);
    let db = Db::open()?;
    let target = target_hours();
    let mut cases = Vec::new();
    for stored in cases::cases(&db, state, LIST_LIMIT)? {
        let case = view(&db, stored, ctx.now, target)?;
        if !overdue_only || case.overdue || case.overdue_tasks > 0 {
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
    let from = load(&db, id, ctx.now)?.state;
    let to = onboarding::apply(from, actor, &action).map_err(|e| match e {
        CaseError::InvalidTransition { .. } => Problem::conflict(
            "invalid-transition",
            "That step does not apply now",
            e.to_string(),
        ),
        CaseError::NotAllowed { .. } => Problem::forbidden(e.to_string()),
        CaseError::ReasonRequired => Problem::field("reason", e.to_string()),
    })?;
    if to == CaseState::Approved {
        // The approval's trigger opens the follow-through tasks from this document.
        vip_store::member_tasks::TASKS.load(&db, ctx.now)?;
        // The membership starts at the ladder's lowest tier (programme data).
        let ladder = TIERS.load(&db, ctx.now)?.document;
        let entry = ladder
            .lowest()
            .ok_or_else(|| Problem::internal("the tier ladder has no tiers"))?;
        cases::stamp_entry_tier(&db, id, &entry.id)?;
    }
    let Some(customer) = cases::decide(&db, ctx, id, from, to, &action)? else {
        return Err(Problem::conflict(
            "concurrent-change",
            "The case changed meanwhile",
            "read the case again and retry",
        ));
    };
    if to == CaseState::Approved {
        // The approval ordered the member's first card (SQL trigger): issue it now.
        vip_store::cards::fulfil_pending(&db, ctx, customer.as_str())?;
    }
    let case = load(&db, id, ctx.now)?;
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
