//! Waits on an outside provider (migration 0018, table
//! `ticket_provider_waits`; 002 §9.5): starting and ending one, the open one,
//! and the pauses they put on the customer-facing clocks.

use chrono::{DateTime, Utc};
use serde_json::json;
use vip_domain::sla::Pause;
use vip_domain::sweep::ProviderWait;
use vip_kit::db::{timestamp, timestamp_text, Db, Row, Value};
use vip_kit::Problem;

use crate::effects::Effect;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "ticket_provider_wait_started",
        table: "ticket_provider_waits",
        on: "INSERT",
        writes: &["audit_events", "tickets"],
        does: "writes the ticket's due times as the wait leaves them and audits the wait",
    },
    Effect {
        trigger: "ticket_provider_wait_ended",
        table: "ticket_provider_waits",
        on: "UPDATE OF until",
        writes: &["audit_events", "tickets"],
        does: "writes the ticket's due times once the provider answered and audits it",
    },
];

/// The due times written with a start or an end.
fn dues(first_response: Option<DateTime<Utc>>, resolution: Option<DateTime<Utc>>) -> String {
    json!({
        "first_response_due": first_response.map(timestamp_text),
        "resolution_due": resolution.map(timestamp_text),
    })
    .to_string()
}

/// A wait to start on ticket `ticket_id`.
pub struct Start<'a> {
    pub ticket_id: i64,
    pub provider: &'a str,
    pub committed_at: DateTime<Utc>,
    /// The customer-facing clocks stop meanwhile.
    pub pauses: bool,
    pub first_response_due: Option<DateTime<Utc>>,
    pub resolution_due: Option<DateTime<Utc>>,
    pub note: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// Starts a wait if the ticket is still being worked on and has no open
/// one; `false` otherwise. Fires `ticket_provider_wait_started`.
pub fn start(db: &Db, s: &Start<'_>) -> Result<bool, Problem> {
    let written = db.exec(
        "INSERT INTO ticket_provider_waits (ticket_id, since, provider, committed_at, pauses, dues, started_by, note)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
         WHERE EXISTS (SELECT 1 FROM tickets WHERE id = ?1 AND state NOT IN ('resolved', 'closed'))
           AND NOT EXISTS (SELECT 1 FROM ticket_provider_waits WHERE ticket_id = ?1 AND until IS NULL)
         RETURNING ticket_id",
        &[
            Value::Integer(s.ticket_id),
            timestamp(s.at),
            Value::Text(s.provider.into()),
            timestamp(s.committed_at),
            Value::Integer(i64::from(s.pauses)),
            Value::Text(dues(s.first_response_due, s.resolution_due)),
            Value::Text(s.by.into()),
            s.note.map_or(Value::Null, |n| Value::Text(n.into())),
        ],
    )?;
    Ok(!written.rows.is_empty())
}

/// Ends ticket `ticket_id`'s open wait with the due times it leaves; `false`
/// if there is none. Fires `ticket_provider_wait_ended`.
pub fn end(
    db: &Db,
    ticket_id: i64,
    first_response_due: Option<DateTime<Utc>>,
    resolution_due: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    let written = db.exec(
        "UPDATE ticket_provider_waits SET until = ?2, end_dues = ?3, ended_by = ?4
         WHERE ticket_id = ?1 AND until IS NULL RETURNING ticket_id",
        &[
            Value::Integer(ticket_id),
            timestamp(at),
            Value::Text(dues(first_response_due, resolution_due)),
            Value::Text(by.into()),
        ],
    )?;
    Ok(!written.rows.is_empty())
}

fn read_wait(row: &Row<'_>) -> Result<ProviderWait, Problem> {
    Ok(ProviderWait {
        provider: row.text("provider")?,
        since: row.time("since")?,
        committed_at: row.time("committed_at")?,
    })
}

/// Ticket `ticket_id`'s open wait, if any.
pub fn open_wait(db: &Db, ticket_id: i64) -> Result<Option<ProviderWait>, Problem> {
    db.one(
        "SELECT provider, since, committed_at FROM ticket_provider_waits WHERE ticket_id = ? AND until IS NULL",
        &[Value::Integer(ticket_id)],
        |row| read_wait(&row),
    )
}

/// The open waits of tickets `range` (first and last id), by ticket.
pub fn open_waits_between(
    db: &Db,
    range: &[Value; 2],
) -> Result<Vec<(i64, ProviderWait)>, Problem> {
    db.all(
        "SELECT ticket_id, provider, since, committed_at FROM ticket_provider_waits
         WHERE ticket_id BETWEEN ? AND ? AND until IS NULL",
        range,
        |row| Ok((row.int("ticket_id")?, read_wait(&row)?)),
    )
}

/// The pauses ticket `ticket_id`'s provider waits put on its clocks (those
/// that stop them), in order.
pub fn pauses(db: &Db, ticket_id: i64) -> Result<Vec<Pause>, Problem> {
    db.all(
        "SELECT since, until FROM ticket_provider_waits WHERE ticket_id = ? AND pauses = 1 ORDER BY since",
        &[Value::Integer(ticket_id)],
        |row| {
            Ok(Pause {
                from: row.time("since")?,
                to: row.opt_time("until")?,
            })
        },
    )
}

/// The pauses provider waits put on tickets `range`, by ticket.
pub fn pauses_between(db: &Db, range: &[Value; 2]) -> Result<Vec<(i64, Pause)>, Problem> {
    db.all(
        "SELECT ticket_id, since, until FROM ticket_provider_waits
         WHERE ticket_id BETWEEN ? AND ? AND pauses = 1 ORDER BY ticket_id, since",
        range,
        |row| {
            Ok((
                row.int("ticket_id")?,
                Pause {
                    from: row.time("since")?,
                    to: row.opt_time("until")?,
                },
            ))
        },
    )
}
