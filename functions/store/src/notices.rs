//! The notice outbox: notices every feature's triggers write (declared in
//! their modules' `EFFECTS`), and their delivery attempts. At least once: a
//! notice is marked delivered only after the webhook accepted it, and a
//! failed one is tried again after the programme's backoff. These
//! statements fire no trigger.

use std::cell::RefCell;

use chrono::{DateTime, Utc};
use spin_sdk::sqlite::QueryResult;
use vip_domain::customer::CustomerId;
use vip_domain::suspension::RetryPolicy;
use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::outbound::{deliver_due, next_try, Endpoint, Tally};
use vip_kit::Problem;

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

/// Delivers every notice due by `as_of` (never tried, or its retry due)
/// through `send`, to the endpoint of variables `endpoint`, and records
/// each outcome at `now`: a failed notice is due again after `retry`'s
/// backoff. Keyset over (created_at, id), so a failed notice is not read
/// twice in a run.
pub fn deliver(
    db: &Db,
    endpoint: (&str, &str),
    retry: &RetryPolicy,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
    mut send: impl FnMut(&Endpoint, &Notice) -> Result<(), String>,
) -> Result<Tally, Problem> {
    deliver_rows(
        endpoint,
        (String::new(), String::new()),
        |after| {
            db.exec(
                &format!(
                    "SELECT o.id, o.kind, o.customer_id, o.payload, o.created_at, COALESCE(d.attempts, 0) AS attempts
                     FROM notice_outbox o LEFT JOIN outbox_deliveries d ON d.id = o.id
                     WHERE o.delivered_at IS NULL AND (o.created_at, o.id) > (?, ?)
                       AND (d.next_at IS NULL OR d.next_at <= ?)
                     ORDER BY o.created_at, o.id LIMIT {BATCH}"
                ),
                &[
                    Value::Text(after.0.clone()),
                    Value::Text(after.1.clone()),
                    timestamp(as_of),
                ],
            )
        },
        Notice::from_row,
        |endpoint, notice, after| {
            after.clone_from(&notice.key);
            let outcome = send(endpoint, &notice);
            record(db, &notice, retry, &outcome, as_of, now)?;
            Ok(outcome)
        },
    )
}

/// Records a delivery attempt, and marks the notice delivered once accepted.
fn record(
    db: &Db,
    notice: &Notice,
    retry: &RetryPolicy,
    outcome: &Result<(), String>,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    let (next, error) = next_try(retry, notice.attempts + 1, outcome, as_of);
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
    if outcome.is_ok() {
        db.exec(
            "UPDATE notice_outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
            &[timestamp(now), Value::Text(notice.id.clone())],
        )?;
    }
    Ok(())
}

/// [`deliver_due`] over rows read by column name: `read(cursor)` runs the
/// next batch's query, `from_row` reads each of its rows into a `T` for
/// `deliver` (the notices here, and the provisioning calls of
/// [`crate::service`]).
pub(crate) fn deliver_rows<K, T>(
    endpoint: (&str, &str),
    cursor: K,
    mut read: impl FnMut(&K) -> Result<QueryResult, Problem>,
    from_row: impl Fn(Row<'_>) -> Result<T, Problem>,
    mut deliver: impl FnMut(&Endpoint, T, &mut K) -> Result<Result<(), String>, Problem>,
) -> Result<Tally, Problem> {
    // The last batch's column names, for its rows.
    let columns = RefCell::new(Vec::new());
    deliver_due(
        endpoint,
        cursor,
        |after| {
            let batch = read(after)?;
            *columns.borrow_mut() = batch.columns;
            Ok(batch.rows)
        },
        |endpoint, row, after| {
            let item = from_row(Row::of(&columns.borrow(), row))?;
            deliver(endpoint, item, after)
        },
    )
}
