//! A ticket's conversation and who works it (migration 0018): messages and
//! internal notes with their attachments' metadata, and the ticket's team
//! and assignee. A public message carries the move it makes, and its
//! trigger applies it in the same statement.

use chrono::{DateTime, Utc};
use serde_json::json;
use vip_domain::conversation::{Attachment, NewMessage, Side, Visibility};
use vip_kit::db::{timestamp, timestamp_text, Db, Row, Value};
use vip_kit::Problem;

use crate::effects::Effect;
use crate::tickets::EventMove;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "ticket_description_message",
        table: "tickets",
        on: "INSERT",
        writes: &["ticket_messages"],
        does: "makes a new ticket's description its first message",
    },
    Effect {
        trigger: "ticket_message_moves",
        table: "ticket_messages",
        on: "INSERT",
        writes: &["tickets"],
        does:
            "moves the ticket as the event a public message stands for (team reply, customer reply)",
    },
    Effect {
        trigger: "ticket_message_to_customer",
        table: "ticket_messages",
        on: "INSERT",
        writes: &["notice_outbox"],
        does: "sends the team's public message to the customer through the ticket's channel",
    },
    Effect {
        trigger: "ticket_assigned",
        table: "ticket_assignments",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a ticket's first assignment",
    },
    Effect {
        trigger: "ticket_reassigned",
        table: "ticket_assignments",
        on: "UPDATE",
        writes: &["audit_events"],
        does: "audits a change of team or assignee, with the previous ones",
    },
];

/// A message as stored.
pub struct StoredMessage {
    pub id: i64,
    pub ticket_id: i64,
    pub side: Side,
    pub visibility: Visibility,
    pub body: String,
    pub attachments: Vec<Attachment>,
    pub author: String,
    pub at: DateTime<Utc>,
}

impl StoredMessage {
    fn read(row: Row<'_>) -> Result<Self, Problem> {
        Ok(StoredMessage {
            id: row.int("id")?,
            ticket_id: row.int("ticket_id")?,
            side: row.parse("side")?,
            visibility: row.parse("visibility")?,
            body: row.text("body")?,
            attachments: row.json("attachments")?,
            author: row.text("author")?,
            at: row.time("at")?,
        })
    }
}

const COLUMNS: &str = "id, ticket_id, side, visibility, body, attachments, author, at";

/// The move a public message makes, as its `moved` column holds it.
fn moved_json(m: &EventMove<'_>) -> String {
    let time = |t: Option<DateTime<Utc>>| t.map(timestamp_text);
    json!({
        "from": m.from.as_str(),
        "to": m.to.as_str(),
        "first_responded_at": time(m.first_responded_at),
        "first_response_due": time(m.first_response_due),
        "resolution_due": time(m.resolution_due),
        "resolved_at": time(m.resolved_at),
        "closed_at": time(m.closed_at),
        "team_feedback_at": time(m.team_feedback_at),
    })
    .to_string()
}

/// A message to record on ticket `ticket_id`.
pub struct Posting<'a> {
    pub ticket_id: i64,
    pub side: Side,
    pub message: &'a NewMessage,
    /// The move a public message makes; its `from` guards the insert.
    pub moves: Option<&'a EventMove<'a>>,
    pub author: &'a str,
    pub at: DateTime<Utc>,
    /// Caller and Idempotency-Key: one message per key.
    pub request_key: Option<String>,
}

/// Records a message. `None` when it was not recorded: the ticket left the
/// state its move was decided from, or the request key was used before
/// (see [`by_request_key`]).
pub fn post(db: &Db, p: &Posting<'_>) -> Result<Option<StoredMessage>, Problem> {
    let attachments = serde_json::to_string(&p.message.attachments).map_err(Problem::internal)?;
    db.one(
        &format!(
            "INSERT INTO ticket_messages (ticket_id, side, visibility, body, attachments, moved, author, at, request_key)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9
             WHERE ?6 IS NULL OR EXISTS (SELECT 1 FROM tickets WHERE id = ?1 AND state = json_extract(?6, '$.from'))
             ON CONFLICT (request_key) DO NOTHING
             RETURNING {COLUMNS}"
        ),
        &[
            Value::Integer(p.ticket_id),
            Value::Text(p.side.as_str().into()),
            Value::Text(p.message.visibility.as_str().into()),
            Value::Text(p.message.body.trim().into()),
            Value::Text(attachments),
            p.moves.map_or(Value::Null, |m| Value::Text(moved_json(m))),
            Value::Text(p.author.into()),
            timestamp(p.at),
            p.request_key.clone().map_or(Value::Null, Value::Text),
        ],
        StoredMessage::read,
    )
}

/// The message recorded under request key `key`, if any.
pub fn by_request_key(db: &Db, key: &str) -> Result<Option<StoredMessage>, Problem> {
    db.one(
        &format!("SELECT {COLUMNS} FROM ticket_messages WHERE request_key = ?"),
        &[Value::Text(key.into())],
        StoredMessage::read,
    )
}

/// Ticket `ticket_id`'s messages, oldest first; internal notes only when
/// `with_notes`.
pub fn of_ticket(db: &Db, ticket_id: i64, with_notes: bool) -> Result<Vec<StoredMessage>, Problem> {
    db.all(
        &format!(
            "SELECT {COLUMNS} FROM ticket_messages
             WHERE ticket_id = ?1 AND (?2 OR visibility = 'public') ORDER BY id"
        ),
        &[
            Value::Integer(ticket_id),
            Value::Integer(i64::from(with_notes)),
        ],
        StoredMessage::read,
    )
}

/// Who works a ticket, once someone assigned it.
pub struct StoredAssignment {
    pub team: String,
    pub assignee: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// Ticket `ticket_id`'s assignment, if it has one.
pub fn assignment_of(db: &Db, ticket_id: i64) -> Result<Option<StoredAssignment>, Problem> {
    db.one(
        "SELECT team, assignee, updated_at, updated_by FROM ticket_assignments WHERE ticket_id = ?",
        &[Value::Integer(ticket_id)],
        |row| {
            Ok(StoredAssignment {
                team: row.text("team")?,
                assignee: row.opt_text("assignee")?,
                updated_at: row.time("updated_at")?,
                updated_by: row.text("updated_by")?,
            })
        },
    )
}

/// A new team and assignee for ticket `ticket_id` (audited by trigger, with
/// the previous ones).
pub struct Assign<'a> {
    pub ticket_id: i64,
    pub team: &'a str,
    pub assignee: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// Sets who works ticket `a.ticket_id`.
pub fn assign(db: &Db, a: &Assign<'_>) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO ticket_assignments (ticket_id, team, assignee, reason, updated_at, updated_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (ticket_id) DO UPDATE SET team = excluded.team, assignee = excluded.assignee,
             reason = excluded.reason, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        &[
            Value::Integer(a.ticket_id),
            Value::Text(a.team.into()),
            a.assignee.map_or(Value::Null, |s| Value::Text(s.into())),
            a.reason.map_or(Value::Null, |s| Value::Text(s.into())),
            timestamp(a.at),
            Value::Text(a.by.into()),
        ],
    )?;
    Ok(())
}
