//! Tickets shell code shared by the `tickets` component and the `sla-clock`
//! sweep: the tickets programme document, stored business calendars (the
//! calendar `default`, Monday to Friday 08:00–17:00 Europe/Madrid, 002 §3,
//! exists from the first read on) and a ticket's pauses.

use crate::effects::Effect;
use chrono::{DateTime, Utc};
use serde_json::json;
use spin_sdk::http::Response;
use spin_sdk::sqlite::RowResult;
use vip_domain::calendar::Calendar;
use vip_domain::sla::Pause;
use vip_domain::tickets::{default_tickets_program, TicketsProgram};

use vip_kit::db::{int, json_column, text, timestamp, Db, Row, Value};
use vip_kit::settings::Document;
use vip_kit::Problem;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "tickets_opened",
        table: "tickets",
        on: "INSERT",
        writes: &["audit_events", "notice_outbox"],
        does: "audits a new ticket and acknowledges it to the customer",
    },
    Effect {
        trigger: "tickets_moved",
        table: "tickets",
        on: "UPDATE OF state",
        writes: &["audit_events", "ticket_pauses"],
        does: "stops or restarts the clocks (a pause row) and audits the move",
    },
    Effect {
        trigger: "tickets_first_response",
        table: "tickets",
        on: "UPDATE OF first_responded_at",
        writes: &["audit_events"],
        does: "audits the first response",
    },
    Effect {
        trigger: "ticket_clock_event_recorded",
        table: "ticket_clock_events",
        on: "INSERT",
        writes: &["audit_events", "notice_outbox", "tickets"],
        does: "audits a clock event, queues its notice, and moves the ticket on an escalation or automatic close",
    },
];

/// The tickets programme: targets table, calendars per plan, phone support,
/// limits, clock rules, teams.
pub const PROGRAM: Document<TicketsProgram> = Document {
    name: "tickets",
    key: "program",
    default: default_tickets_program,
    validate: TicketsProgram::validate,
    in_use: None,
};

/// The calendar every plan uses until the programme says otherwise.
pub const DEFAULT_CALENDAR: &str = "default";

/// A stored calendar and its version.
pub struct StoredCalendar {
    pub id: String,
    pub calendar: Calendar,
    pub version: i64,
    updated_at: String,
    updated_by: String,
}

impl StoredCalendar {
    pub const COLUMNS: &'static str = "id, document, version, updated_at, updated_by";

    pub fn from_row(row: &RowResult) -> Result<Self, Problem> {
        Ok(StoredCalendar {
            id: text(row, 0)?,
            calendar: json_column(row, 1)?,
            version: int(row, 2)?,
            updated_at: text(row, 3)?,
            updated_by: text(row, 4)?,
        })
    }

    pub fn view(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "version": self.version,
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
            "calendar": self.calendar,
        })
    }

    /// The calendar with its version as the ETag.
    pub fn respond(&self, status: u16) -> Response {
        let mut r = vip_kit::json(status, &self.view());
        r.set_header("etag", format!("\"{}\"", self.version));
        r
    }
}

/// A stored calendar; `default` is seeded on first use.
pub fn calendar(db: &Db, id: &str, now: DateTime<Utc>) -> Result<StoredCalendar, Problem> {
    let select = |db: &Db| {
        db.first(
            &format!(
                "SELECT {} FROM calendars WHERE id = ?",
                StoredCalendar::COLUMNS
            ),
            &[Value::Text(id.into())],
        )?
        .map(|row| StoredCalendar::from_row(&row))
        .transpose()
    };
    if let Some(found) = select(db)? {
        return Ok(found);
    }
    if id != DEFAULT_CALENDAR {
        return Err(Problem::not_found(format!("there is no calendar `{id}`")));
    }
    db.exec(
        "INSERT INTO calendars (id, document, updated_at, updated_by, change_reason)
         VALUES (?, ?, ?, 'system', 'seeded with the DOMAIN.md defaults') ON CONFLICT (id) DO NOTHING",
        &[
            Value::Text(DEFAULT_CALENDAR.into()),
            Value::Text(
                serde_json::to_string(&Calendar::default_business()).map_err(Problem::internal)?,
            ),
            timestamp(now),
        ],
    )?;
    select(db)?.ok_or_else(|| Problem::internal("the default calendar vanished"))
}

/// A stored calendar something counts on; a missing one is a 422
/// `calendar-missing` whose detail says who counts on it (`whose`, e.g.
/// "the tickets programme counts gold tickets on calendar").
pub fn required_calendar(
    db: &Db,
    id: &str,
    whose: &str,
    now: DateTime<Utc>,
) -> Result<StoredCalendar, Problem> {
    calendar(db, id, now).map_err(|p| match p.status {
        404 => Problem::unprocessable(
            "calendar-missing",
            "The calendar does not exist",
            format!("{whose} `{id}`, which is not stored"),
        ),
        _ => p,
    })
}

/// A pause from its `from_at` and `to_at` columns.
pub fn pause_at(row: &Row<'_>) -> Result<Pause, Problem> {
    Ok(Pause {
        from: row.time("from_at")?,
        to: row.opt_time("to_at")?,
    })
}

/// A ticket's pauses, in order.
pub fn pauses(db: &Db, id: i64) -> Result<Vec<Pause>, Problem> {
    db.all(
        "SELECT from_at, to_at FROM ticket_pauses WHERE ticket_id = ? ORDER BY from_at",
        &[Value::Integer(id)],
        |row| pause_at(&row),
    )
}
