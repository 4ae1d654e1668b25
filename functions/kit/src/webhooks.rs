//! Inbound partner webhooks: the Standard Webhooks signature
//! (`vip_domain::webhooks`) checked against the secrets of a variable (a
//! comma-separated `whsec_` list, so a secret can be rotated), and the
//! `webhook-id` receipts that make a replay a no-op. An unsigned, badly
//! signed or stale delivery is a 401 and nothing is applied.
//!
//! The receipt is written after the delivery is applied: each application
//! is idempotent on its own key (a payment id), so a crash between the two
//! only means the partner's retry applies nothing twice either.

use chrono::{DateTime, Utc};
use vip_domain::webhooks::{verify, Headers, Secret, DEFAULT_TOLERANCE_SECONDS};

use crate::db::{timestamp, Db, Value};
use crate::{Ctx, Problem};

fn refused(detail: impl Into<String>) -> Problem {
    Problem::new(
        401,
        "invalid-webhook-signature",
        "The webhook is not signed by a known partner",
        detail,
    )
}

/// The delivery's `webhook-id` once its signature checks out against the
/// secrets in `variable`.
pub fn verified(ctx: &Ctx<'_>, variable: &str) -> Result<String, Problem> {
    let configured = spin_sdk::variables::get(variable).unwrap_or_default();
    let secrets: Vec<Secret> = configured
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(Secret::parse)
        .collect::<Result<_, _>>()
        .map_err(|e| Problem::internal(format!("variable {variable}: {e}")))?;
    let headers = Headers {
        id: ctx.header("webhook-id"),
        timestamp: ctx.header("webhook-timestamp"),
        signature: ctx.header("webhook-signature"),
    };
    verify(
        &secrets,
        headers,
        ctx.req.body(),
        ctx.now,
        DEFAULT_TOLERANCE_SECONDS,
    )
    .map(str::to_string)
    .map_err(|r| refused(r.to_string()))
}

/// Whether delivery `id` from `source` was applied already.
pub fn seen(db: &Db, id: &str) -> Result<bool, Problem> {
    Ok(db
        .first(
            "SELECT 1 FROM webhook_receipts WHERE id = ?",
            &[Value::Text(id.into())],
        )?
        .is_some())
}

/// Records that delivery `id` was applied.
pub fn applied(db: &Db, id: &str, source: &str, now: DateTime<Utc>) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO webhook_receipts (id, source, received_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING",
        &[
            Value::Text(id.into()),
            Value::Text(source.into()),
            timestamp(now),
        ],
    )?;
    Ok(())
}
