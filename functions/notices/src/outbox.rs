//! Delivery of the notice outbox (every component's notices: onboarding,
//! tickets, dunning, orders, retention) to the notification webhook. At
//! least once: a notice is marked delivered only after the webhook accepted
//! it, and a failed one is tried again after the programme's backoff; its
//! outbox id is its `webhook-id`, so the receiver drops a repeat (after a
//! crash between the call and the mark, or a run fired twice).

use chrono::{DateTime, Utc};
use serde_json::json;
use vip_domain::customer::CustomerId;
use vip_domain::suspension::SuspensionProgram;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::outbound::Tally;
use vip_kit::Problem;

/// Delivers every notice due by `as_of` (never tried, or its retry due), signed at `now`.
pub fn deliver(
    db: &Db,
    program: &SuspensionProgram,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Tally, Problem> {
    vip_store::notices::deliver(
        db,
        ("notification_url", "notification_webhook_secret"),
        &program.retry,
        as_of,
        now,
        |endpoint, notice| {
            let body = json!({
                "type": notice.kind,
                "timestamp": timestamp_text(notice.created_at),
                "data": {
                    "notice_id": notice.id,
                    "customer_id": notice.customer.as_ref().map(CustomerId::as_str),
                    "notice": notice.payload,
                },
            });
            endpoint.post(
                &notice.id,
                body.to_string().as_bytes(),
                now,
                program.call_timeout(),
            )
        },
    )
}
