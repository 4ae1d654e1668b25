//! Change requests and their estimates (docs/domain.md §10 "Change
//! requests"; seed 002 §10.2). The rules are `vip_domain::change_requests`;
//! here are the guarded statements that write and the reads they need.
//!
//! A new estimate version is one guarded INSERT: written only if the request
//! is still at the version the estimator saw and, for a fee, the customer has
//! the points; its trigger makes it the latest and charges the fee. Each move
//! (a decision, a review, validation, cancellation) is one guarded UPDATE of
//! the request from the state and version it was judged in; its trigger
//! records the move and applies its T-Points settlement in that statement,
//! so two acceptances never reserve twice.

use chrono::{DateTime, Utc};
use serde::Serialize;
use vip_domain::change_requests::{
    default_change_program, Category, ChangeProgram, ChangeState, Estimate, EstimateInput,
};
use vip_domain::tpoints::{Movement, TPoints};
use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::settings::Document;
use vip_kit::Problem;

use crate::effects::Effect;
use crate::tpoints::{available_sql, points};

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "change_request_sized",
        table: "change_requests",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits the rough size that sets a request's category",
    },
    Effect {
        trigger: "change_request_resized",
        table: "change_requests",
        on: "UPDATE OF category, rough_points",
        writes: &["audit_events"],
        does: "audits a new rough size",
    },
    Effect {
        trigger: "change_estimate_made",
        table: "change_estimates",
        on: "INSERT",
        writes: &["change_requests", "tpoint_ledger"],
        does: "makes the estimate the request's latest version and charges the paid-estimates fee",
    },
    Effect {
        trigger: "change_estimate_reviewed",
        table: "change_estimates",
        on: "UPDATE OF reviewed_at",
        writes: &["change_requests"],
        does: "a second reviewer's approval sends the estimate to the customer",
    },
    Effect {
        trigger: "change_request_moved",
        table: "change_requests",
        on: "UPDATE OF state",
        writes: &["audit_events", "change_request_moves", "notice_outbox", "tpoint_ledger"],
        does: "records the move with its reason, applies its T-Points settlement, audits it and tells the customer an estimate awaits them",
    },
];

/// The change-request programme: categories, additions, the paid-estimates list.
pub const PROGRAM: Document<ChangeProgram> = Document {
    name: "change_requests",
    key: "program",
    default: default_change_program,
    validate: ChangeProgram::validate,
    in_use: None,
};

/// A sized change request.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeRequest {
    pub ticket_id: i64,
    pub customer_id: String,
    pub category: Category,
    pub rough_points: TPoints,
    pub state: ChangeState,
    pub version: u32,
    pub total: Option<TPoints>,
    /// When development began, if it has.
    pub started_at: Option<DateTime<Utc>>,
    pub sized_at: String,
    pub updated_at: String,
}

fn version(row: &Row<'_>) -> Result<u32, Problem> {
    u32::try_from(row.int("version")?).map_err(Problem::internal)
}

/// The ticket's customer and kind, if it exists.
pub fn ticket(db: &Db, id: i64) -> Result<Option<(String, String)>, Problem> {
    db.one(
        "SELECT customer_id, kind FROM tickets WHERE id = ?",
        &[Value::Integer(id)],
        |row| Ok((row.text("customer_id")?, row.text("kind")?)),
    )
}

/// The change request of ticket `id`, once sized.
pub fn find(db: &Db, id: i64) -> Result<Option<ChangeRequest>, Problem> {
    db.one(
        "SELECT ticket_id, customer_id, category, rough_points, state, version, total, started_at, sized_at, updated_at
         FROM change_requests WHERE ticket_id = ?",
        &[Value::Integer(id)],
        |row| {
            Ok(ChangeRequest {
                ticket_id: row.int("ticket_id")?,
                customer_id: row.text("customer_id")?,
                category: row.parse("category")?,
                rough_points: points(&row, "rough_points")?,
                state: row.parse("state")?,
                version: version(&row)?,
                total: row.opt_int("total")?.and_then(TPoints::from_hundredths),
                started_at: row.opt_time("started_at")?,
                sized_at: row.text("sized_at")?,
                updated_at: row.text("updated_at")?,
            })
        },
    )
}

/// A rough size (002 §10.2.1 c).
pub struct Sizing<'a> {
    pub ticket: i64,
    pub customer: &'a str,
    pub category: Category,
    pub rough_points: TPoints,
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// Sizes the request: creates it (state `sizing`) or moves its category
/// while no estimate is decided; whether it was written.
pub fn size(db: &Db, s: &Sizing<'_>) -> Result<bool, Problem> {
    let category = vip_domain::change_requests::category_name(s.category);
    Ok(db
        .one(
            "INSERT INTO change_requests (ticket_id, customer_id, category, rough_points, state, sized_at, sized_by,
                updated_at, updated_by)
             VALUES (?1, ?2, ?3, ?4, 'sizing', ?5, ?6, ?5, ?6)
             ON CONFLICT (ticket_id) DO UPDATE SET category = ?3, rough_points = ?4, sized_at = ?5, sized_by = ?6
             WHERE state IN ('sizing', 'in_review', 'awaiting_customer', 'renegotiating')
             RETURNING ticket_id",
            &[
                Value::Integer(s.ticket),
                Value::Text(s.customer.into()),
                Value::Text(category.into()),
                Value::Integer(s.rough_points.hundredths()),
                timestamp(s.at),
                Value::Text(s.by.into()),
            ],
            |_| Ok(()),
        )?
        .is_some())
}

/// The customer's other requests with an estimate awaiting their decision.
pub fn awaiting_decision(db: &Db, customer: &str, except: i64) -> Result<Vec<i64>, Problem> {
    db.all(
        "SELECT ticket_id FROM change_requests
         WHERE customer_id = ? AND state = 'awaiting_customer' AND ticket_id <> ? ORDER BY ticket_id",
        &[Value::Text(customer.into()), Value::Integer(except)],
        |row| row.int("ticket_id"),
    )
}

/// How many estimates the customer turned down without a reason.
pub fn unjustified_rejections(db: &Db, customer: &str) -> Result<u32, Problem> {
    let n = db
        .one(
            "SELECT COUNT(*) AS n FROM change_request_moves
             WHERE customer_id = ? AND to_state = 'rejected' AND reason IS NULL",
            &[Value::Text(customer.into())],
            |row| row.int("n"),
        )?
        .unwrap_or_default();
    u32::try_from(n).map_err(Problem::internal)
}

/// A new estimate version.
pub struct NewEstimate<'a> {
    pub ticket: i64,
    pub version: u32,
    pub customer: &'a str,
    pub input: &'a EstimateInput,
    pub estimate: &'a Estimate,
    pub fee: TPoints,
    pub opens_as: ChangeState,
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// Writes version `version` if the request is still at `version - 1` in a
/// state that takes an estimate (`ChangeState::takes_estimate`) and, for a fee, the customer has the points
/// (fires `change_estimate_made`); whether it was written.
pub fn add_estimate(db: &Db, e: &NewEstimate<'_>) -> Result<bool, Problem> {
    Ok(db
        .one(
            &format!(
                "INSERT INTO change_estimates (ticket_id, version, customer_id, category, input, estimate, total, fee,
                    opens_as, made_at, made_by)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11
                 WHERE EXISTS (SELECT 1 FROM change_requests WHERE ticket_id = ?1 AND version = ?2 - 1
                                 AND state IN ('sizing', 'in_review', 'awaiting_customer', 'renegotiating', 'in_development'))
                   AND (?8 = 0 OR {} >= ?8)
                 ON CONFLICT (ticket_id, version) DO NOTHING
                 RETURNING version",
                available_sql("?3")
            ),
            &[
                Value::Integer(e.ticket),
                Value::Integer(i64::from(e.version)),
                Value::Text(e.customer.into()),
                Value::Text(vip_domain::change_requests::category_name(e.estimate.category).into()),
                Value::Text(json(e.input)?),
                Value::Text(json(e.estimate)?),
                Value::Integer(e.estimate.total.hundredths()),
                Value::Integer(e.fee.hundredths()),
                Value::Text(e.opens_as.as_str().into()),
                timestamp(e.at),
                Value::Text(e.by.into()),
            ],
            |_| Ok(()),
        )?
        .is_some())
}

/// A value as the JSON text a column stores.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Result<String, Problem> {
    serde_json::to_string(value).map_err(Problem::internal)
}

/// One stored version of an estimate.
#[derive(Debug, Clone, Serialize)]
pub struct StoredEstimate {
    pub version: u32,
    pub estimate: Estimate,
    pub input: EstimateInput,
    pub fee: TPoints,
    pub made_at: String,
    pub made_by: String,
    pub reviewed_at: Option<String>,
    pub reviewed_by: Option<String>,
}

/// Every version of ticket `id`'s estimate, oldest first.
pub fn estimates(db: &Db, id: i64) -> Result<Vec<StoredEstimate>, Problem> {
    db.all(
        "SELECT version, estimate, input, fee, made_at, made_by, reviewed_at, reviewed_by
         FROM change_estimates WHERE ticket_id = ? ORDER BY version",
        &[Value::Integer(id)],
        |row| {
            Ok(StoredEstimate {
                version: version(&row)?,
                estimate: row.json("estimate")?,
                input: row.json("input")?,
                fee: points(&row, "fee")?,
                made_at: row.text("made_at")?,
                made_by: row.text("made_by")?,
                reviewed_at: row.opt_text("reviewed_at")?,
                reviewed_by: row.opt_text("reviewed_by")?,
            })
        },
    )
}

/// Records the second review of version `version` by `by`, who did not make
/// it, while the request waits for it (fires `change_estimate_reviewed`);
/// whether it was written.
pub fn review(
    db: &Db,
    ticket: i64,
    version: u32,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    Ok(db
        .one(
            "UPDATE change_estimates SET reviewed_at = ?3, reviewed_by = ?4
             WHERE ticket_id = ?1 AND version = ?2 AND reviewed_at IS NULL AND made_by <> ?4
               AND EXISTS (SELECT 1 FROM change_requests WHERE ticket_id = ?1 AND version = ?2 AND state = 'in_review')
             RETURNING version",
            &[
                Value::Integer(ticket),
                Value::Integer(i64::from(version)),
                timestamp(at),
                Value::Text(by.into()),
            ],
            |_| Ok(()),
        )?
        .is_some())
}

/// One move of a change request, judged from `from` at `version`.
pub struct Move<'a> {
    pub ticket: i64,
    pub from: ChangeState,
    pub version: u32,
    pub to: ChangeState,
    /// What the move does to the customer's T-Points.
    pub settlement: Option<Movement>,
    /// Points that must be available for the move (an acceptance's total).
    pub needs: Option<TPoints>,
    pub reason: Option<&'a str>,
    /// The move starts development (`started_at` is set).
    pub starts: bool,
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// What ticket `id`'s request holds of its customer's T-Points now.
pub fn held(db: &Db, id: i64) -> Result<TPoints, Problem> {
    db.one(
        "SELECT COALESCE(SUM(reserved), 0) AS held FROM tpoint_ledger WHERE ticket_id = ?",
        &[Value::Integer(id)],
        |row| points(&row, "held"),
    )
    .map(Option::unwrap_or_default)
}

/// Applies the move if the request is still in `from` at `version` and the
/// points it needs are there (fires `change_request_moved`); whether it was.
pub fn apply(db: &Db, m: &Move<'_>) -> Result<bool, Problem> {
    let s = m.settlement;
    Ok(db
        .one(
            &format!(
                "UPDATE change_requests
                    SET state = ?4, reason = ?5, settle_entry = ?6, settle_available = ?7, settle_reserved = ?8,
                        updated_at = ?9, updated_by = ?10,
                        started_at = CASE WHEN ?12 THEN ?9 ELSE started_at END
                  WHERE ticket_id = ?1 AND state = ?2 AND version = ?3
                    AND (?11 IS NULL OR {} >= ?11)
                  RETURNING ticket_id",
                available_sql("change_requests.customer_id")
            ),
            &[
                Value::Integer(m.ticket),
                Value::Text(m.from.as_str().into()),
                Value::Integer(i64::from(m.version)),
                Value::Text(m.to.as_str().into()),
                m.reason.map_or(Value::Null, |r| Value::Text(r.into())),
                s.map_or(Value::Null, |s| Value::Text(s.entry.as_str().into())),
                s.map_or(Value::Null, |s| Value::Integer(s.available)),
                s.map_or(Value::Null, |s| Value::Integer(s.reserved)),
                timestamp(m.at),
                Value::Text(m.by.into()),
                m.needs.map_or(Value::Null, |n| Value::Integer(n.hundredths())),
                Value::Integer(i64::from(m.starts)),
            ],
            |_| Ok(()),
        )?
        .is_some())
}

/// One recorded move.
#[derive(Debug, Clone, Serialize)]
pub struct MoveRow {
    pub version: u32,
    pub from: ChangeState,
    pub to: ChangeState,
    pub reason: Option<String>,
    pub at: String,
    pub by: String,
}

/// Ticket `id`'s moves, oldest first.
pub fn moves(db: &Db, id: i64) -> Result<Vec<MoveRow>, Problem> {
    db.all(
        "SELECT version, from_state, to_state, reason, at, actor FROM change_request_moves
         WHERE ticket_id = ? ORDER BY id",
        &[Value::Integer(id)],
        |row| {
            Ok(MoveRow {
                version: version(&row)?,
                from: row.parse("from_state")?,
                to: row.parse("to_state")?,
                reason: row.opt_text("reason")?,
                at: row.text("at")?,
                by: row.text("actor")?,
            })
        },
    )
}

/// Tells the customer, once per request, that its estimate will cost `fee`
/// (the paid-estimates list, 002 §10.2.1 u): before it is made.
pub fn tell_paid_estimate(
    db: &Db,
    customer: &str,
    ticket: i64,
    fee: TPoints,
    at: DateTime<Utc>,
) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at)
         VALUES (?1, 'change.paid_estimate', ?2, json_object('ticket_id', ?3, 'fee', ?4 / 100.0), ?5)
         ON CONFLICT (id) DO NOTHING",
        &[
            Value::Text(format!("change-paid-{ticket}")),
            Value::Text(customer.into()),
            Value::Integer(ticket),
            Value::Integer(fee.hundredths()),
            timestamp(at),
        ],
    )?;
    Ok(())
}
