//! The notice outbox: notices every feature's triggers write (declared in
//! their modules' `EFFECTS`), and their delivery attempts; members' notice
//! preferences and the programme's templates. At least once: a notice is
//! marked delivered only after a partner accepted it, and a failed one is
//! tried again after the programme's backoff; a member notice that cannot
//! reach the member is recorded as given up, with why. Only the preference
//! writes fire triggers (their audit rows).

use crate::consents::in_force_sql;
use crate::effects::Effect;
use chrono::{DateTime, Utc};
use serde::Serialize;
use vip_domain::customer::{Contact, CustomerId};
use vip_domain::notice_texts::default_templates;
use vip_domain::notices::{default_preferences, Channel, Language, Preferences, Reach, Templates};
use vip_domain::suspension::RetryPolicy;
use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::outbound::{next_try, Tally};
use vip_kit::settings::Document;
use vip_kit::Problem;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "notice_preferences_audit_insert",
        table: "notice_preferences",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a member's first notice preferences",
    },
    Effect {
        trigger: "notice_preferences_audit_update",
        table: "notice_preferences",
        on: "UPDATE",
        writes: &["audit_events"],
        does: "audits each change of a member's notice preferences",
    },
];

/// The programme's notice templates (one per member kind and language).
pub const TEMPLATES: Document<Templates> = Document {
    name: "notice_templates",
    key: "templates",
    default: default_templates,
    validate: Templates::validate,
    in_use: None,
};

/// Notices read per statement.
const BATCH: i64 = 200;

/// A notice waiting for delivery.
pub struct Notice {
    /// Its outbox id: the `webhook-id` a receiver drops a repeat by.
    pub id: String,
    pub kind: String,
    /// `None`: a notice to staff (the weekly summary), about no member.
    pub customer: Option<CustomerId>,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    attempts: i64,
    /// Its place in the keyset, as stored.
    key: (String, String),
}

impl Notice {
    fn from_row(row: Row<'_>) -> Result<Self, Problem> {
        Ok(Notice {
            id: row.text("id")?,
            kind: row.text("kind")?,
            customer: match row.text("customer_id")?.as_str() {
                STAFF => None,
                id => Some(crate::service::customer_id(id)?),
            },
            payload: serde_json::from_str(&row.text("payload")?).map_err(Problem::internal)?,
            created_at: row.time("created_at")?,
            attempts: row.int("attempts")?,
            key: (row.text("created_at")?, row.text("id")?),
        })
    }
}

/// Whether notice `id` was queued already (delivered or not).
pub fn exists(db: &Db, id: &str) -> Result<bool, Problem> {
    Ok(db
        .first(
            "SELECT 1 FROM notice_outbox WHERE id = ?",
            &[Value::Text(id.into())],
        )?
        .is_some())
}

/// What a staff notice stores as its customer (the column is required).
const STAFF: &str = "";

/// Puts a notice to staff (`payload` names who) in the outbox; `id` makes
/// a repeat a no-op (answers whether it was queued now).
pub fn enqueue_staff(
    db: &Db,
    id: &str,
    kind: &str,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<bool, Problem> {
    let written = db.first(
        "INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING RETURNING id",
        &[
            Value::Text(id.into()),
            Value::Text(kind.into()),
            Value::Text(STAFF.into()),
            Value::Text(payload.to_string()),
            timestamp(now),
        ],
    )?;
    Ok(written.is_some())
}

/// Puts a notice in the outbox for the next delivery run; `id` makes a
/// repeat a no-op.
pub fn enqueue(
    db: &Db,
    id: &str,
    kind: &str,
    customer: &CustomerId,
    payload: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING",
        &[
            Value::Text(id.into()),
            Value::Text(kind.into()),
            Value::Text(customer.as_str().into()),
            Value::Text(payload.to_string()),
            timestamp(now),
        ],
    )?;
    Ok(())
}

/// What one try of a notice came to.
pub enum Attempt {
    /// A partner accepted it (a member notice: by this channel, in this language).
    Delivered { route: Option<(Channel, Language)> },
    /// It failed for now and is tried again after the backoff.
    Failed {
        error: String,
        route: Option<(Channel, Language)>,
    },
    /// It cannot reach the member (no channel, or every channel refused it
    /// for good): not tried again; listed for staff with the reason.
    GaveUp { reason: String },
}

/// What a delivery run did.
#[derive(Debug, Default, Serialize)]
pub struct Delivery {
    #[serde(flatten)]
    pub calls: Tally,
    /// Notices given up in this run (recorded with their reason).
    pub undeliverable: u64,
}

/// Delivers every notice due by `as_of` (never tried, or its retry due, and
/// not given up; a broadcast's message not before its moment, its
/// `created_at`, by the clock `now`) through `send`, and records each outcome at `now`: a
/// failed notice is due again after `retry`'s backoff. Keyset over
/// (created_at, id), so a failed notice is not read twice in a run; the run
/// stops calling after a few failures in a row (a partner is down).
pub fn deliver(
    db: &Db,
    retry: &RetryPolicy,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
    mut send: impl FnMut(&Notice) -> Result<Attempt, Problem>,
) -> Result<Delivery, Problem> {
    let mut run = Delivery::default();
    let mut after = (String::new(), String::new());
    loop {
        let due = db.all(
            &format!(
                "SELECT o.id, o.kind, o.customer_id, o.payload, o.created_at, COALESCE(d.attempts, 0) AS attempts
                 FROM notice_outbox o LEFT JOIN outbox_deliveries d ON d.id = o.id
                 WHERE o.delivered_at IS NULL AND (o.created_at, o.id) > (?1, ?2) AND o.created_at <= ?4
                   AND (d.next_at IS NULL OR d.next_at <= ?3)
                   AND NOT EXISTS (SELECT 1 FROM notice_routes r WHERE r.id = o.id AND r.gave_up_at IS NOT NULL)
                 ORDER BY o.created_at, o.id LIMIT {BATCH}"
            ),
            &[
                Value::Text(after.0.clone()),
                Value::Text(after.1.clone()),
                timestamp(as_of),
                timestamp(now),
            ],
            Notice::from_row,
        )?;
        let Some(last) = due.last() else {
            return Ok(run);
        };
        after.clone_from(&last.key);
        let claimed = claim(db, &due, as_of, now)?;
        for notice in due.into_iter().filter(|n| claimed.contains(&n.id)) {
            let attempt = send(&notice)?;
            record(db, &notice, retry, &attempt, as_of, now)?;
            let outcome = match attempt {
                Attempt::Delivered { .. } => Ok(()),
                Attempt::Failed { error, .. } => Err(error),
                Attempt::GaveUp { .. } => {
                    run.undeliverable += 1;
                    continue;
                }
            };
            if !run.calls.count(&outcome) {
                return Ok(run);
            }
        }
    }
}

/// How long a run holds the notices it claimed: past it, a run that died
/// mid-batch leaves them to the next.
const LEASE_MINUTES: i64 = 5;

/// Claims `due` for this run: each notice not claimed meanwhile by a
/// concurrent run (its next try pushed past `as_of`), nor delivered or given
/// up by one since this run read it, is held for
/// [`LEASE_MINUTES`]; the ids claimed. So concurrent runs share the work
/// instead of each sending everything (a receiver would drop the repeats,
/// but each costs a call).
fn claim(
    db: &Db,
    due: &[Notice],
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<std::collections::HashSet<String>, Problem> {
    let ids = serde_json::to_string(&due.iter().map(|n| &n.id).collect::<Vec<_>>())
        .map_err(Problem::internal)?;
    let held = now.max(as_of) + chrono::Duration::minutes(LEASE_MINUTES);
    Ok(db
        .all(
            "INSERT INTO outbox_deliveries (id, attempts, next_at, last_error)
             SELECT value, 0, ?2, NULL FROM json_each(?1) WHERE true
             ON CONFLICT (id) DO UPDATE SET next_at = excluded.next_at
               WHERE (outbox_deliveries.next_at IS NULL OR outbox_deliveries.next_at <= ?3)
                 AND NOT EXISTS (SELECT 1 FROM notice_outbox o WHERE o.id = excluded.id AND o.delivered_at IS NOT NULL)
                 AND NOT EXISTS (SELECT 1 FROM notice_routes r WHERE r.id = excluded.id AND r.gave_up_at IS NOT NULL)
             RETURNING id",
            &[Value::Text(ids), timestamp(held), timestamp(as_of)],
            |row| row.text("id"),
        )?
        .into_iter()
        .collect())
}

/// Records a delivery attempt and its route; marks the notice delivered
/// once accepted, or given up. The attempt row comes last: until then a
/// concurrent run's claim sees the notice delivered or given up, never a
/// released lease on a notice not yet marked.
fn record(
    db: &Db,
    notice: &Notice,
    retry: &RetryPolicy,
    attempt: &Attempt,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    let (outcome, route, gave_up) = match attempt {
        Attempt::Delivered { route } => (Ok(()), *route, None),
        Attempt::Failed { error, route } => (Err(error.clone()), *route, None),
        Attempt::GaveUp { reason } => (Err(reason.clone()), None, Some(reason)),
    };
    let (next, error) = match gave_up {
        Some(reason) => (Value::Null, Value::Text(reason.clone())),
        None => next_try(retry, notice.attempts + 1, &outcome, as_of),
    };
    if route.is_some() || gave_up.is_some() {
        db.exec(
            "INSERT INTO notice_routes (id, channel, language, gave_up_at, reason) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET channel = COALESCE(excluded.channel, channel),
                language = COALESCE(excluded.language, language), gave_up_at = excluded.gave_up_at,
                reason = excluded.reason",
            &[
                Value::Text(notice.id.clone()),
                route.map_or(Value::Null, |r| Value::Text(r.0.as_str().into())),
                route.map_or(Value::Null, |r| Value::Text(r.1.as_str().into())),
                gave_up.map_or(Value::Null, |_| timestamp(now)),
                gave_up.map_or(Value::Null, |r| Value::Text(r.clone())),
            ],
        )?;
    }
    if outcome.is_ok() {
        db.exec(
            "UPDATE notice_outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
            &[timestamp(now), Value::Text(notice.id.clone())],
        )?;
    }
    db.exec(
        "INSERT INTO outbox_deliveries (id, attempts, next_at, last_error) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts, next_at = excluded.next_at,
            last_error = excluded.last_error",
        &[
            Value::Text(notice.id.clone()),
            Value::Integer(notice.attempts + 1),
            next,
            error,
        ],
    )?;
    Ok(())
}

/// How a member is addressed and reached: their name (the contact's, else
/// the legal name) and [`Reach`] (contact on file, consent `third_parties`).
pub fn reach(db: &Db, customer: &CustomerId) -> Result<Option<(String, Reach)>, Problem> {
    db.one(
        &format!(
            "SELECT c.legal_name, c.contact, {} AS third_parties FROM customers c WHERE c.id = ?",
            in_force_sql("c.id", "third_parties")
        ),
        &[Value::Text(customer.as_str().into())],
        |row| {
            let contact: Contact = row.json("contact")?;
            let name = contact
                .name
                .clone()
                .unwrap_or_else(|| row.text("legal_name").unwrap_or_default());
            Ok((
                name,
                Reach {
                    email: contact.email,
                    phone: contact.phone,
                    third_parties: row.int("third_parties")? != 0,
                },
            ))
        },
    )
}

/// `customer`'s notice preferences, or the default ones.
pub fn preferences(
    db: &Db,
    customer: &CustomerId,
    templates: &Templates,
) -> Result<Preferences, Problem> {
    Ok(db
        .one(
            "SELECT language, channels FROM notice_preferences WHERE customer_id = ?",
            &[Value::Text(customer.as_str().into())],
            |row| {
                Ok(Preferences {
                    language: row.parse("language")?,
                    channels: row.json("channels")?,
                })
            },
        )?
        .unwrap_or_else(|| default_preferences(templates)))
}

/// Sets `customer`'s preferences. Fires `notice_preferences_audit_*`.
pub fn set_preferences(
    db: &Db,
    customer: &CustomerId,
    preferences: &Preferences,
    at: DateTime<Utc>,
    by: &str,
) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO notice_preferences (customer_id, language, channels, updated_at, updated_by)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (customer_id) DO UPDATE SET language = excluded.language,
            channels = excluded.channels, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        &[
            Value::Text(customer.as_str().into()),
            Value::Text(preferences.language.as_str().into()),
            Value::Text(serde_json::to_string(&preferences.channels).map_err(Problem::internal)?),
            timestamp(at),
            Value::Text(by.into()),
        ],
    )?;
    Ok(())
}

/// A notice not delivered, for staff: given up, or failing for now.
#[derive(Debug, Serialize)]
pub struct Undelivered {
    pub id: String,
    pub kind: String,
    pub customer_id: Option<String>,
    pub created_at: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub gave_up_at: Option<String>,
    pub channel: Option<String>,
}

/// Notices given up (`given_up`) or failing for now (tried, not delivered,
/// not given up), of one customer or all, newest first.
pub fn undelivered(
    db: &Db,
    given_up: bool,
    customer: Option<&CustomerId>,
    limit: i64,
) -> Result<Vec<Undelivered>, Problem> {
    db.all(
        "SELECT o.id, o.kind, o.customer_id, o.created_at, d.attempts, d.last_error, r.gave_up_at, r.channel
         FROM notice_outbox o JOIN outbox_deliveries d ON d.id = o.id
         LEFT JOIN notice_routes r ON r.id = o.id
         WHERE o.delivered_at IS NULL AND d.attempts > 0
           AND (r.gave_up_at IS NOT NULL) = (?1 = 1)
           AND (?2 IS NULL OR o.customer_id = ?2)
         ORDER BY o.created_at DESC, o.id LIMIT ?3",
        &[
            Value::Integer(i64::from(given_up)),
            customer.map_or(Value::Null, |c| Value::Text(c.as_str().into())),
            Value::Integer(limit),
        ],
        |row| {
            Ok(Undelivered {
                id: row.text("id")?,
                kind: row.text("kind")?,
                customer_id: Some(row.text("customer_id")?).filter(|c| c != STAFF),
                created_at: row.text("created_at")?,
                attempts: row.int("attempts")?,
                last_error: row.opt_text("last_error")?,
                gave_up_at: row.opt_text("gave_up_at")?,
                channel: row.opt_text("channel")?,
            })
        },
    )
}
