//! Balances handed to legal (docs/domain.md §6 "Legal hand-off"; seed 001):
//! one record per move to pickup or to disconnected owing money, opened by
//! the suspension run, closed by staff with the outcome.

use chrono::{DateTime, Utc};
use serde::Serialize;
use vip_domain::money::Money;
use vip_domain::service::ServiceStatus;
use vip_kit::db::{timestamp, timestamp_text, Db, Row, Value};
use vip_kit::Problem;

use crate::effects::Effect;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "legal_handoff_opened",
        table: "legal_handoffs",
        on: "INSERT",
        writes: &["audit_events", "notice_outbox"],
        does: "audits a balance handed to legal and, at pickup, tells the legal contact",
    },
    Effect {
        trigger: "legal_handoff_closed",
        table: "legal_handoffs",
        on: "UPDATE OF closed_at",
        writes: &["audit_events"],
        does: "audits the closure with its outcome",
    },
];

/// A hand-off as stored.
#[derive(Debug, Serialize)]
pub struct Handoff {
    pub id: i64,
    pub customer_id: String,
    pub cause: String,
    pub balance: Vec<Money>,
    pub legal: String,
    pub opened_at: String,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub outcome: Option<String>,
    pub note: Option<String>,
}

const COLUMNS: &str =
    "id, customer_id, cause, balance, legal, opened_at, closed_at, closed_by, outcome, note";

fn read(row: &Row<'_>) -> Result<Handoff, Problem> {
    Ok(Handoff {
        id: row.int("id")?,
        customer_id: row.text("customer_id")?,
        cause: row.text("cause")?,
        balance: row.json("balance")?,
        legal: row.text("legal")?,
        opened_at: row.text("opened_at")?,
        closed_at: row.opt_text("closed_at")?,
        closed_by: row.opt_text("closed_by")?,
        outcome: row.opt_text("outcome")?,
        note: row.opt_text("note")?,
    })
}

/// A move that should have a hand-off and has none.
pub struct Due {
    pub customer_id: String,
    /// `pickup` or `disconnected`.
    pub cause: ServiceStatus,
    pub status_at: String,
}

/// Moves to pickup, and to disconnected, with no hand-off yet (oldest first).
pub fn due(db: &Db, limit: i64) -> Result<Vec<Due>, Problem> {
    db.all(
        "SELECT s.customer_id, s.status, s.updated_at FROM service_status s
         WHERE s.status IN ('pickup', 'disconnected')
           AND NOT EXISTS (SELECT 1 FROM legal_handoffs h WHERE h.customer_id = s.customer_id
                           AND h.cause = s.status AND h.status_at = s.updated_at)
         ORDER BY s.updated_at LIMIT ?",
        &[Value::Integer(limit)],
        |row| {
            Ok(Due {
                customer_id: row.text("customer_id")?,
                cause: row.parse("status")?,
                status_at: row.text("updated_at")?,
            })
        },
    )
}

/// Opens the hand-off of a move (a repeat writes nothing); whether it was
/// opened now. Fires `legal_handoff_opened`.
pub fn open(
    db: &Db,
    due: &Due,
    balance: &[Money],
    legal: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    Ok(db
        .one(
            "INSERT INTO legal_handoffs (customer_id, cause, status_at, balance, legal, opened_at, opened_by)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            &[
                Value::Text(due.customer_id.clone()),
                Value::Text(due.cause.as_str().into()),
                Value::Text(due.status_at.clone()),
                Value::Text(serde_json::to_string(balance).map_err(Problem::internal)?),
                Value::Text(legal.into()),
                timestamp(at),
                Value::Text(by.into()),
            ],
            |_| Ok(()),
        )?
        .is_some())
}

/// Hand-off `id`.
pub fn find(db: &Db, id: i64) -> Result<Option<Handoff>, Problem> {
    db.one(
        &format!("SELECT {COLUMNS} FROM legal_handoffs WHERE id = ?"),
        &[Value::Integer(id)],
        |row| read(&row),
    )
}

/// Hand-offs, open ones only or all, of one customer or all, oldest first.
pub fn list(db: &Db, open_only: bool, customer: Option<&str>) -> Result<Vec<Handoff>, Problem> {
    db.all(
        &format!(
            "SELECT {COLUMNS} FROM legal_handoffs
             WHERE (?1 = 0 OR closed_at IS NULL) AND (?2 IS NULL OR customer_id = ?2)
             ORDER BY opened_at, id LIMIT 500"
        ),
        &[
            Value::Integer(i64::from(open_only)),
            customer.map_or(Value::Null, |c| Value::Text(c.into())),
        ],
        |row| read(&row),
    )
}

/// Closes hand-off `id` unless closed; whether this call closed it. Fires
/// `legal_handoff_closed`.
pub fn close(
    db: &Db,
    id: i64,
    outcome: &str,
    note: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    Ok(db
        .one(
            "UPDATE legal_handoffs SET closed_at = ?, closed_by = ?, outcome = ?, note = ?
             WHERE id = ? AND closed_at IS NULL RETURNING id",
            &[
                Value::Text(timestamp_text(at)),
                Value::Text(by.into()),
                Value::Text(outcome.into()),
                Value::Text(note.into()),
                Value::Integer(id),
            ],
            |_| Ok(()),
        )?
        .is_some())
}
