//! Business calendars the SLA clocks run on (docs/domain.md §4): one
//! versioned document per calendar id. The calendar `default`, Monday to
//! Friday 08:00–17:00 Europe/Madrid (002 §3), exists from the first read on.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use vip_domain::calendar::{Calendar, Schedule};
use vip_domain::channels::VIP_PHONE_CALENDAR;
use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::Problem;

use crate::effects::Effect;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "calendars_audit_insert",
        table: "calendars",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a new calendar",
    },
    Effect {
        trigger: "calendars_audit_update",
        table: "calendars",
        on: "UPDATE OF document",
        writes: &["audit_events"],
        does: "audits a change to a calendar",
    },
    Effect {
        trigger: "calendars_audit_delete",
        table: "calendars",
        on: "DELETE",
        writes: &["audit_events"],
        does: "audits a deleted calendar with who deleted it",
    },
];

/// The calendar every plan uses until the programme says otherwise.
const DEFAULT_CALENDAR: &str = "default";

const COLUMNS: &str = "id, document, version, updated_at, updated_by";

/// A stored calendar and its version.
pub struct StoredCalendar {
    pub id: String,
    pub calendar: Calendar,
    pub version: i64,
    pub updated_at: String,
    pub updated_by: String,
}

impl StoredCalendar {
    fn read(row: Row<'_>) -> Result<Self, Problem> {
        Ok(StoredCalendar {
            id: row.text("id")?,
            calendar: row.json("document")?,
            version: row.int("version")?,
            updated_at: row.text("updated_at")?,
            updated_by: row.text("updated_by")?,
        })
    }
}

/// Who changes a calendar, when and why: the audit triggers record them.
pub struct Change<'a> {
    pub at: DateTime<Utc>,
    pub by: &'a str,
    /// The caller's `X-Change-Reason`, if any.
    pub reason: Option<&'a str>,
}

/// The calendars the programme counts on from the start: `default` (the
/// business calendar with Spain's and Catalonia's holidays) and `vip-phone`
/// (the VIP phone line's hours).
fn seeded(id: &str) -> Option<Calendar> {
    match id {
        DEFAULT_CALENDAR => Some(Calendar::spain_catalonia()),
        VIP_PHONE_CALENDAR => Some(Calendar::vip_phone_hours()),
        _ => None,
    }
}

/// A stored calendar; `default` and `vip-phone` are seeded on first use (its INSERT fires
/// `calendars_audit_insert`: the seed is audited).
pub fn calendar(db: &Db, id: &str, now: DateTime<Utc>) -> Result<StoredCalendar, Problem> {
    let select = |db: &Db| {
        db.one(
            &format!("SELECT {COLUMNS} FROM calendars WHERE id = ?"),
            &[Value::Text(id.into())],
            StoredCalendar::read,
        )
    };
    if let Some(found) = select(db)? {
        return Ok(found);
    }
    let Some(seed) = seeded(id) else {
        return Err(Problem::not_found(format!("there is no calendar `{id}`")));
    };
    db.exec(
        "INSERT INTO calendars (id, document, updated_at, updated_by, change_reason)
         VALUES (?, ?, ?, 'system', 'seeded with the DOMAIN.md defaults') ON CONFLICT (id) DO NOTHING",
        &[
            Value::Text(id.into()),
            Value::Text(serde_json::to_string(&seed).map_err(Problem::internal)?),
            timestamp(now),
        ],
    )?;
    select(db)?.ok_or_else(|| Problem::internal("a seeded calendar vanished"))
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

/// Every stored calendar by id, `default` seeded first.
pub fn all(db: &Db, now: DateTime<Utc>) -> Result<Vec<StoredCalendar>, Problem> {
    calendar(db, DEFAULT_CALENDAR, now)?;
    db.all(
        &format!("SELECT {COLUMNS} FROM calendars ORDER BY id"),
        &[],
        StoredCalendar::read,
    )
}

/// What [`save`] did.
pub enum Saved {
    Created(StoredCalendar),
    Replaced(StoredCalendar),
}

/// Creates calendar `id` (only when no version is `expected`) or replaces
/// it (when `expected` is none or its version); `None` when the version is
/// not the one expected. The INSERT fires `calendars_audit_insert`, the
/// UPDATE `calendars_audit_update`: each change is audited with `change`.
pub fn save(
    db: &Db,
    id: &str,
    calendar: &Calendar,
    change: &Change<'_>,
    expected: Option<i64>,
) -> Result<Option<Saved>, Problem> {
    let params = [
        Value::Text(id.into()),
        Value::Text(serde_json::to_string(calendar).map_err(Problem::internal)?),
        timestamp(change.at),
        Value::Text(change.by.into()),
        change.reason.map_or(Value::Null, |r| Value::Text(r.into())),
        expected.map_or(Value::Null, Value::Integer),
    ];
    let created = db.one(
        &format!(
            "INSERT INTO calendars (id, document, updated_at, updated_by, change_reason)
             SELECT ?1, ?2, ?3, ?4, ?5 WHERE ?6 IS NULL
             ON CONFLICT (id) DO NOTHING RETURNING {COLUMNS}"
        ),
        &params,
        StoredCalendar::read,
    )?;
    if let Some(stored) = created {
        return Ok(Some(Saved::Created(stored)));
    }
    let replaced = db.one(
        &format!(
            "UPDATE calendars SET document = ?2, version = version + 1, updated_at = ?3, updated_by = ?4, change_reason = ?5
             WHERE id = ?1 AND (?6 IS NULL OR version = ?6) RETURNING {COLUMNS}"
        ),
        &params,
        StoredCalendar::read,
    )?;
    Ok(replaced.map(Saved::Replaced))
}

/// Whether calendar `?1` is free to delete: no ticket that is not closed,
/// no customer and not the suspension programme counts on it.
const UNUSED: &str = "id = ?1
    AND NOT EXISTS (SELECT 1 FROM tickets WHERE calendar_id = ?1 AND state <> 'closed')
    AND NOT EXISTS (SELECT 1 FROM customers WHERE json_extract(facts, '$.support_calendar') = ?1)
    AND NOT EXISTS (SELECT 1 FROM program_settings
                    WHERE name = 'suspension' AND json_extract(document, '$.calendar') = ?1)";

/// Deletes calendar `id` unless something counts on it (`UNUSED`); answers
/// whether it did. Stamped with `change` first, so the delete's trigger
/// `calendars_audit_delete` audits who deleted it and why.
pub fn delete_unused(db: &Db, id: &str, change: &Change<'_>) -> Result<bool, Problem> {
    let params = [
        Value::Text(id.into()),
        timestamp(change.at),
        Value::Text(change.by.into()),
        change.reason.map_or(Value::Null, |r| Value::Text(r.into())),
    ];
    let stamped = db.one(
        &format!(
            "UPDATE calendars SET updated_at = ?2, updated_by = ?3, change_reason = ?4 WHERE {UNUSED} RETURNING id"
        ),
        &params,
        |_| Ok(()),
    )?;
    let deleted = match stamped {
        Some(()) => db.one(
            &format!("DELETE FROM calendars WHERE {UNUSED} AND updated_at = ?2 RETURNING id"),
            params.get(..2).unwrap_or_default(),
            |_| Ok(()),
        )?,
        None => None,
    };
    Ok(deleted.is_some())
}

/// Compiled calendars, each compiled once per run or report.
pub struct Schedules<'a> {
    db: &'a Db,
    now: DateTime<Utc>,
    compiled: HashMap<String, Schedule>,
}

impl<'a> Schedules<'a> {
    pub fn new(db: &'a Db, now: DateTime<Utc>) -> Self {
        Schedules {
            db,
            now,
            compiled: HashMap::new(),
        }
    }

    /// Calendar `id`, compiled.
    pub fn of(&mut self, id: &str) -> Result<&Schedule, Problem> {
        if !self.compiled.contains_key(id) {
            let stored = calendar(self.db, id, self.now)?;
            self.compiled
                .insert(id.to_string(), stored.calendar.compile());
        }
        self.compiled
            .get(id)
            .ok_or_else(|| Problem::internal("a compiled calendar vanished"))
    }
}
