//! Training requests (docs/domain.md §10 "Training"; seed 002 §10.3). The
//! rules are `vip_domain::training`; each move is one guarded UPDATE from the
//! state it was judged in, whose trigger applies its T-Points settlement, so
//! a repeated approval reserves once.

use chrono::{DateTime, Utc};
use serde::Serialize;
use vip_domain::tpoints::{Movement, TPoints};
use vip_domain::training::{Budget, Session, TrainingInput, TrainingState};
use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::Problem;

use crate::change_requests::json;
use crate::effects::Effect;
use crate::tpoints::available_sql;

/// The triggers a training fires (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "training_budgeted",
        table: "trainings",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a training budget",
    },
    Effect {
        trigger: "training_moved",
        table: "trainings",
        on: "UPDATE OF state, sessions",
        writes: &["audit_events", "tpoint_ledger"],
        does: "applies a move's T-Points settlement (reserve on approval, spend on closing, release on cancellation) and audits it",
    },
];

/// A training as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Training {
    pub id: i64,
    pub customer_id: String,
    pub request: TrainingInput,
    pub budget: Budget,
    pub state: TrainingState,
    pub sessions: Option<Vec<Session>>,
    pub materials: Option<Vec<String>>,
    pub created_at: String,
    pub updated_at: String,
}

fn training(row: &Row<'_>) -> Result<Training, Problem> {
    let opt_json = |name: &str| row.opt_text(name);
    Ok(Training {
        id: row.int("id")?,
        customer_id: row.text("customer_id")?,
        request: row.json("request")?,
        budget: row.json("budget")?,
        state: row.parse("state")?,
        sessions: opt_json("sessions")?
            .map(|s| serde_json::from_str(&s).map_err(Problem::internal))
            .transpose()?,
        materials: opt_json("materials")?
            .map(|s| serde_json::from_str(&s).map_err(Problem::internal))
            .transpose()?,
        created_at: row.text("created_at")?,
        updated_at: row.text("updated_at")?,
    })
}

/// Training `id`.
pub fn find(db: &Db, id: i64) -> Result<Option<Training>, Problem> {
    db.one(
        "SELECT id, customer_id, request, budget, state, sessions, materials, created_at, updated_at
         FROM trainings WHERE id = ?",
        &[Value::Integer(id)],
        |row| training(&row),
    )
}

/// Records a budgeted training for `customer` (fires `training_budgeted`); its id.
pub fn create(
    db: &Db,
    customer: &str,
    request: &TrainingInput,
    budget: &Budget,
    at: DateTime<Utc>,
    by: &str,
) -> Result<i64, Problem> {
    db.one(
        "INSERT INTO trainings (customer_id, request, budget, total, state, created_at, created_by, updated_at, updated_by)
         VALUES (?1, ?2, ?3, ?4, 'budgeted', ?5, ?6, ?5, ?6) RETURNING id",
        &[
            Value::Text(customer.into()),
            Value::Text(json(request)?),
            Value::Text(json(budget)?),
            Value::Integer(budget.total.hundredths()),
            timestamp(at),
            Value::Text(by.into()),
        ],
        |row| row.int("id"),
    )?
    .ok_or_else(|| Problem::internal("training not recorded"))
}

/// One move of a training, judged from `from`.
pub struct TrainingUpdate<'a> {
    pub id: i64,
    pub from: TrainingState,
    pub to: TrainingState,
    pub settlement: Option<Movement>,
    /// Points that must be available (an approval's total).
    pub needs: Option<TPoints>,
    pub sessions: Option<&'a [Session]>,
    pub materials: Option<&'a [String]>,
    pub reason: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// Applies the move if the training is still in `from` and the points it
/// needs are there (fires `training_moved`); whether it was.
pub fn apply(db: &Db, u: &TrainingUpdate<'_>) -> Result<bool, Problem> {
    let s = u.settlement;
    let sessions = u.sessions.map(json).transpose()?;
    let materials = u.materials.map(json).transpose()?;
    Ok(db
        .one(
            &format!(
                "UPDATE trainings
                    SET state = ?3, reason = ?4, settle_entry = ?5, settle_available = ?6, settle_reserved = ?7,
                        sessions = COALESCE(?8, sessions), materials = COALESCE(?9, materials),
                        updated_at = ?10, updated_by = ?11
                  WHERE id = ?1 AND state = ?2 AND (?12 IS NULL OR {} >= ?12)
                  RETURNING id",
                available_sql("trainings.customer_id")
            ),
            &[
                Value::Integer(u.id),
                Value::Text(u.from.as_str().into()),
                Value::Text(u.to.as_str().into()),
                u.reason.map_or(Value::Null, |r| Value::Text(r.into())),
                s.map_or(Value::Null, |s| Value::Text(s.entry.as_str().into())),
                s.map_or(Value::Null, |s| Value::Integer(s.available)),
                s.map_or(Value::Null, |s| Value::Integer(s.reserved)),
                sessions.map_or(Value::Null, Value::Text),
                materials.map_or(Value::Null, Value::Text),
                timestamp(u.at),
                Value::Text(u.by.into()),
                u.needs.map_or(Value::Null, |n| Value::Integer(n.hundredths())),
            ],
            |_| Ok(()),
        )?
        .is_some())
}
