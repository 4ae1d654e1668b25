//! Inbound partner webhooks: the Standard Webhooks signature
//! (`vip_domain::webhooks`) checked against the secrets of a variable (a
//! comma-separated `whsec_` list, so a secret can be rotated), and the
//! `webhook-id` receipts that make a replay a no-op. An unsigned, badly
//! signed or stale delivery is a 401 and nothing is applied.
//!
//! Where a delivery refused now will be refused on every retry too
//! ([`Refusals::Acknowledge`]: a payment above what is outstanding, an
//! unknown invoice, invalid data), the refusal is acknowledged with 200 and
//! `"applied": false` plus the problem, and recorded in `webhook_refusals`,
//! so the partner stops retrying and the reason stays visible; only a fault
//! of ours (5xx) is left to the retry. Where a retry may succeed later
//! ([`Refusals::Answer`]: a confirmation that arrived before the one it
//! follows), the 4xx is answered and the partner retries.
//!
//! The receipt is written after the delivery is applied: each application
//! is idempotent on its own key (a payment id), so a crash between the two
//! only means the partner's retry applies nothing twice either.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::webhooks::{verify, Headers, Secret, DEFAULT_TOLERANCE_SECONDS};

use crate::body::{from_value, parse_json};
use crate::db::{timestamp, Db, Value};
use crate::{Ctx, Problem};

/// A partner event: `{"type": …, "data": {…}}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    data: serde_json::Value,
}

impl Event {
    /// The event's `data` as the type its `type` names.
    pub fn data<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        from_value(self.data.clone())
    }
}

/// What applying an event answered: the response field and its value, or
/// `None` for an event type that is not handled (acknowledged, ignored).
pub type Applied = Option<(&'static str, serde_json::Value)>;

/// What a refused (4xx) delivery is answered: see the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusals {
    /// 200, not applied, the refusal recorded: a retry would be refused too.
    Acknowledge,
    /// The 4xx itself: a retry may be applied later.
    Answer,
}

/// Receives a partner event signed with the secrets of `variable`: 401 if
/// the signature does not check out; a replayed `webhook-id` is acknowledged
/// and applies nothing; otherwise `apply(db, webhook_id, event)` applies it
/// and its receipt is recorded from `source`. A refused application is
/// answered as `refusals` says; a failed one records no receipt, so the
/// partner's retry is applied.
pub fn receive(
    ctx: &Ctx<'_>,
    variable: &str,
    source: &str,
    refusals: Refusals,
    apply: impl FnOnce(&Db, &str, &Event) -> Result<Applied, Problem>,
) -> Result<Response, Problem> {
    let delivery = verified(ctx, variable)?;
    let db = Db::open()?;
    if let Some(earlier) = seen(&db, &delivery)? {
        return Ok(crate::json(200, &earlier.answer(&delivery)));
    }
    let applied = parse_json::<Event>(ctx.req.body()).and_then(|event| {
        let applied = apply(&db, &delivery, &event)?;
        Ok((event, applied))
    });
    let (event, applied) = match applied {
        Ok(done) => done,
        Err(problem)
            if refusals == Refusals::Acknowledge && (400..500).contains(&problem.status) =>
        {
            refuse(&db, &delivery, source, &problem, ctx.now)?;
            return Ok(crate::json(200, &Seen::refused(&problem).answer(&delivery)));
        }
        Err(fault) => return Err(fault),
    };
    record(&db, &delivery, source, ctx.now)?;
    let body = match applied {
        Some((field, value)) => json!({"webhook_id": delivery, "applied": true, field: value}),
        None => json!({"webhook_id": delivery, "applied": false,
                       "why": format!("event type `{}` is not handled", event.kind)}),
    };
    Ok(crate::json(200, &body))
}

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
fn verified(ctx: &Ctx<'_>, variable: &str) -> Result<String, Problem> {
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

/// A delivery received before: applied, or refused with its problem.
enum Seen {
    Applied,
    Refused {
        status: u16,
        slug: String,
        detail: String,
    },
}

impl Seen {
    fn refused(problem: &Problem) -> Self {
        Seen::Refused {
            status: problem.status,
            slug: problem.slug.to_string(),
            detail: problem.detail.clone(),
        }
    }

    /// The acknowledgement: nothing (more) is applied, and why.
    fn answer(&self, delivery: &str) -> serde_json::Value {
        match self {
            Seen::Applied => json!({"webhook_id": delivery, "applied": false,
                                    "why": "this delivery was applied already"}),
            Seen::Refused {
                status,
                slug,
                detail,
            } => json!({"webhook_id": delivery, "applied": false,
                "why": format!("refused: {detail}"),
                "refused": {"type": format!("{}{slug}", crate::problem::TYPE_BASE),
                            "status": status, "detail": detail}}),
        }
    }
}

/// Whether delivery `id` was applied or refused already.
fn seen(db: &Db, id: &str) -> Result<Option<Seen>, Problem> {
    if db
        .first(
            "SELECT 1 FROM webhook_receipts WHERE id = ?",
            &[Value::Text(id.into())],
        )?
        .is_some()
    {
        return Ok(Some(Seen::Applied));
    }
    db.one(
        "SELECT status, problem, detail FROM webhook_refusals WHERE id = ?",
        &[Value::Text(id.into())],
        |row| {
            Ok(Seen::Refused {
                status: u16::try_from(row.int("status")?).unwrap_or(422),
                slug: row.text("problem")?,
                detail: row.text("detail")?,
            })
        },
    )
}

/// Records that delivery `id` was refused, and why.
fn refuse(
    db: &Db,
    id: &str,
    source: &str,
    problem: &Problem,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO webhook_refusals (id, source, received_at, status, problem, detail)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        &[
            Value::Text(id.into()),
            Value::Text(source.into()),
            timestamp(now),
            Value::Integer(i64::from(problem.status)),
            Value::Text(problem.slug.into()),
            Value::Text(problem.detail.clone()),
        ],
    )?;
    Ok(())
}

/// Records that delivery `id` was applied.
fn record(db: &Db, id: &str, source: &str, now: DateTime<Utc>) -> Result<(), Problem> {
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
