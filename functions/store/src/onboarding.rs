//! Onboarding cases (docs/domain.md §1; seed 000 SOP-001). Each move of a
//! case is one UPDATE guarded by the state read, so two concurrent
//! decisions cannot both win; approval's triggers create the membership,
//! the notice and the first card's order in that same statement.

use chrono::{DateTime, Utc};
use vip_domain::customer::CustomerId;
use vip_domain::onboarding::{CaseAction, CaseState};
use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::{Ctx, Problem};

use crate::effects::Effect;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "onboarding_audit_insert",
        table: "onboarding_cases",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits an opened case",
    },
    Effect {
        trigger: "onboarding_audit_update",
        table: "onboarding_cases",
        on: "UPDATE OF state",
        writes: &["audit_events"],
        does: "audits each move of a case",
    },
    Effect {
        trigger: "onboarding_approved",
        table: "onboarding_cases",
        on: "UPDATE OF state",
        writes: &["memberships", "notice_outbox"],
        does: "on approval: the membership at the entry tier stamped by `stamp_entry_tier`, and the customer's notice",
    },
    Effect {
        trigger: "onboarding_rejected",
        table: "onboarding_cases",
        on: "UPDATE OF state",
        writes: &["notice_outbox"],
        does: "on rejection: the customer's notice with the reason",
    },
    Effect {
        trigger: "onboarding_card_order",
        table: "onboarding_cases",
        on: "UPDATE OF state",
        writes: &["card_orders"],
        does: "on approval: the order for the member's first card",
    },
];

/// Opens a case for `customer` (found VIP by decision `decision_id`), due
/// at `due`, unless the customer is a member already or has a case open:
/// the new case's id, if one was opened. Fires `onboarding_audit_insert`:
/// its audit row.
pub fn open(
    db: &Db,
    ctx: &Ctx<'_>,
    customer: &CustomerId,
    decision_id: i64,
    due: DateTime<Utc>,
) -> Result<Option<i64>, Problem> {
    db.one(
        "INSERT INTO onboarding_cases (customer_id, state, opened_at, due_at, decision_id, updated_at, updated_by)
         SELECT ?1, 'pending_review', ?2, ?3, ?4, ?2, ?5
         WHERE NOT EXISTS (SELECT 1 FROM memberships WHERE customer_id = ?1)
         ON CONFLICT DO NOTHING RETURNING id",
        &[
            Value::Text(customer.as_str().into()),
            timestamp(ctx.now),
            timestamp(due),
            Value::Integer(decision_id),
            Value::Text(ctx.actor()),
        ],
        |row| row.int("id"),
    )
}

/// Moves case `id` from state `from` to `to` by `action`, recording who
/// (reviewer or decider), when, and a rejection's reason; only if the case
/// is still in `from`. Answers the case's customer, or `None` if the case
/// moved meanwhile. Fires `onboarding_audit_update` (its audit row) and, on
/// approval, `onboarding_approved` (the membership at the tier
/// [`stamp_entry_tier`] stamped, and the customer's notice) and
/// `onboarding_card_order` (the first card's order); on rejection,
/// `onboarding_rejected` (the customer's notice with the reason).
pub fn decide(
    db: &Db,
    ctx: &Ctx<'_>,
    id: i64,
    from: CaseState,
    to: CaseState,
    action: &CaseAction,
) -> Result<Option<CustomerId>, Problem> {
    let who = match action {
        CaseAction::Review => "reviewed_by = ?4, reviewed_at = ?5",
        _ => "decided_by = ?4, decided_at = ?5",
    };
    let reason = match action {
        CaseAction::Reject { reason } => Value::Text(reason.trim().to_string()),
        _ => Value::Null,
    };
    db.one(
        &format!(
            "UPDATE onboarding_cases SET state = ?1, {who}, reason = COALESCE(?6, reason),
               updated_at = ?5, updated_by = ?4
             WHERE id = ?2 AND state = ?3 RETURNING id, customer_id"
        ),
        &[
            state(to),
            Value::Integer(id),
            state(from),
            Value::Text(ctx.actor()),
            timestamp(ctx.now),
            reason,
        ],
        |row| CustomerId::parse(&row.text("customer_id")?).map_err(Problem::internal),
    )
}

/// Stamps the tier case `case_id` starts its membership at (the ladder's
/// lowest), read by the approval's trigger `onboarding_approved`. Written
/// just before the approving UPDATE; a stamp left by an approval that then
/// lost a race is overwritten by the next one and harmless meanwhile.
pub fn stamp_entry_tier(db: &Db, case_id: i64, tier: &str) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO onboarding_entry_tiers (case_id, tier) VALUES (?, ?)
         ON CONFLICT (case_id) DO UPDATE SET tier = excluded.tier",
        &[Value::Integer(case_id), Value::Text(tier.into())],
    )?;
    Ok(())
}

/// A state as stored.
fn state(state: CaseState) -> Value {
    Value::Text(
        match state {
            CaseState::PendingReview => "pending_review",
            CaseState::Reviewed => "reviewed",
            CaseState::Approved => "approved",
            CaseState::Rejected => "rejected",
        }
        .into(),
    )
}

/// The case of `customer` still open (pending review or reviewed), if any.
pub fn open_case_of(db: &Db, customer: &CustomerId) -> Result<Option<i64>, Problem> {
    db.one(
        "SELECT id FROM onboarding_cases WHERE customer_id = ? AND state IN ('pending_review', 'reviewed')",
        &[Value::Text(customer.as_str().into())],
        |row| row.int("id"),
    )
}

/// A case as stored.
pub struct StoredCase {
    pub id: i64,
    pub customer_id: String,
    pub state: CaseState,
    pub opened_at: String,
    pub due_at: String,
    /// The eligibility decision that opened it.
    pub decision_id: Option<i64>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

const COLUMNS: &str =
    "id, customer_id, state, opened_at, due_at, decision_id, reviewed_by, reviewed_at, decided_by, decided_at, reason";

fn stored(row: Row<'_>) -> Result<StoredCase, Problem> {
    Ok(StoredCase {
        id: row.int("id")?,
        customer_id: row.text("customer_id")?,
        state: row.parse("state")?,
        opened_at: row.text("opened_at")?,
        due_at: row.text("due_at")?,
        decision_id: row.opt_int("decision_id")?,
        reviewed_by: row.opt_text("reviewed_by")?,
        reviewed_at: row.opt_text("reviewed_at")?,
        decided_by: row.opt_text("decided_by")?,
        decided_at: row.opt_text("decided_at")?,
        reason: row.opt_text("reason")?,
    })
}

/// Case `id`, if any.
pub fn case(db: &Db, id: i64) -> Result<Option<StoredCase>, Problem> {
    db.one(
        &format!("SELECT {COLUMNS} FROM onboarding_cases WHERE id = ?"),
        &[Value::Integer(id)],
        stored,
    )
}

/// Up to `limit` cases, in `state` if given; oldest due first.
pub fn cases(db: &Db, state: Option<CaseState>, limit: i64) -> Result<Vec<StoredCase>, Problem> {
    db.all(
        &format!(
            "SELECT {COLUMNS} FROM onboarding_cases WHERE (?1 IS NULL OR state = ?1)
             ORDER BY due_at, id LIMIT ?2"
        ),
        &[
            state.map_or(Value::Null, self::state),
            Value::Integer(limit),
        ],
        stored,
    )
}
