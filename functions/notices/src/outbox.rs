//! Delivery of the notice outbox (every component's notices: onboarding,
//! tickets, dunning, orders, retention) to the notification webhook. At
//! least once: a notice is marked delivered only after the webhook accepted
//! it, and a failed one is tried again after the programme's backoff; its
//! outbox id is its `webhook-id`, so the receiver drops a repeat (after a
//! crash between the call and the mark, or a run fired twice).

use chrono::{DateTime, Utc};
use serde_json::json;
use vip_domain::suspension::SuspensionProgram;
use vip_kit::db::{int, text, timestamp, Db, Value};
use vip_kit::Problem;

use vip_kit::outbound::{deliver_due, next_try, Tally};

/// Notices read per statement.
const BATCH: i64 = 200;

/// Delivers every notice due by `as_of` (never tried, or its retry due), signed at `now`.
pub fn deliver(
    db: &Db,
    program: &SuspensionProgram,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Tally, Problem> {
    deliver_due(
        ("notification_url", "notification_webhook_secret"),
        (String::new(), String::new()),
        |after| {
            // Keyset over (created_at, id): a failed notice is not read twice in a run.
            Ok(db
                .exec(
                    &format!(
                        "SELECT o.id, o.kind, o.customer_id, o.payload, o.created_at, COALESCE(d.attempts, 0)
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
                )?
                .rows)
        },
        |endpoint, row, after| {
            let id = text(row, 0)?;
            *after = (text(row, 4)?, id.clone());
            let payload: serde_json::Value =
                serde_json::from_str(&text(row, 3)?).map_err(Problem::internal)?;
            let body = json!({
                "type": text(row, 1)?,
                "timestamp": text(row, 4)?,
                "data": {"notice_id": id, "customer_id": text(row, 2)?, "notice": payload},
            });
            let outcome = endpoint.post(
                &id,
                body.to_string().as_bytes(),
                now,
                program.call_timeout(),
            );
            record(db, program, &id, int(row, 5)?, &outcome, as_of, now)?;
            Ok(outcome)
        },
    )
}

fn record(
    db: &Db,
    program: &SuspensionProgram,
    id: &str,
    attempts: i64,
    outcome: &Result<(), String>,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    let (next, error) = next_try(&program.retry, attempts + 1, outcome, as_of);
    db.exec(
        "INSERT INTO outbox_deliveries (id, attempts, next_at, last_error) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts, next_at = excluded.next_at,
            last_error = excluded.last_error",
        &[
            Value::Text(id.into()),
            Value::Integer(attempts + 1),
            next,
            error,
        ],
    )?;
    if outcome.is_ok() {
        db.exec(
            "UPDATE notice_outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL",
            &[timestamp(now), Value::Text(id.into())],
        )?;
    }
    Ok(())
}
