//! `vip_suspension` orders: opened once per service move that orders
//! something (`vip_domain::suspension::ordered_by`), called through to the
//! provisioning system with retries, and moved on by the partners' signed
//! confirmations (`vip_domain::suspension::confirm`).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use spin_sdk::sqlite::RowResult;
use vip_domain::customer::ServiceDelivery;
use vip_domain::service::ServiceStatus;
use vip_domain::suspension::{
    confirm, first_stage, ordered_by, Confirmation, OrderStage, SuspensionProgram,
    ORDERING_STATUSES,
};
use vip_kit::db::{int, opt_text, parse_enum, text, timestamp, Db, Value};
use vip_kit::{webhooks, Ctx, Problem};

use vip_kit::outbound::{deliver_due, next_try, Endpoint, Tally};

/// Moves read per statement, and calls made per batch.
const BATCH: i64 = 200;

const COLUMNS: &str = "id, customer_id, ticket_type, action, delivery, status, status_at, why, stage,
    opened_at, engineering_at, call_attempts, call_next_at, call_sent_at, call_last_error, closed_at, updated_at";

fn view(row: &RowResult) -> Result<serde_json::Value, Problem> {
    Ok(json!({
        "id": int(row, 0)?,
        "customer_id": text(row, 1)?,
        "ticket_type": text(row, 2)?,
        "action": text(row, 3)?,
        "delivery": text(row, 4)?,
        "ordered_by": {"status": text(row, 5)?, "at": text(row, 6)?, "why": text(row, 7)?},
        "stage": text(row, 8)?,
        "opened_at": text(row, 9)?,
        "engineering_confirmed_at": opt_text(row, 10),
        "provisioning_call": {
            "attempts": int(row, 11)?,
            "next_at": opt_text(row, 12),
            "accepted_at": opt_text(row, 13),
            "last_error": opt_text(row, 14),
        },
        "closed_at": opt_text(row, 15),
        "updated_at": text(row, 16)?,
    }))
}

fn load(db: &Db, id: i64) -> Result<RowResult, Problem> {
    db.first(
        &format!("SELECT {COLUMNS} FROM service_orders WHERE id = ?"),
        &[Value::Integer(id)],
    )?
    .ok_or_else(|| Problem::not_found(format!("there is no service order {id}")))
}

/// A customer's latest orders, newest first.
pub fn of_customer(db: &Db, customer: &str) -> Result<Vec<serde_json::Value>, Problem> {
    db.exec(
        &format!(
            "SELECT {COLUMNS} FROM service_orders WHERE customer_id = ? ORDER BY id DESC LIMIT 20"
        ),
        &[Value::Text(customer.into())],
    )?
    .rows
    .iter()
    .map(view)
    .collect()
}

/// `GET /api/v1/service-orders/{order}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("order", "service order")?;
    Ok(vip_kit::json(200, &view(&load(&Db::open()?, id)?)?))
}

/// Opens an order for every service move (of `customer`, or of everyone)
/// that orders one and has none yet; the number opened. A third-party
/// service's order goes to engineering; a direct one's provisioning call is
/// due at once. An unknown delivery is treated as third-party: a person
/// (engineering) looks before anything is switched.
pub fn open(
    db: &Db,
    program: &SuspensionProgram,
    customer: Option<&str>,
    as_of: DateTime<Utc>,
    actor: &str,
) -> Result<u64, Problem> {
    let statuses: Vec<Value> = ORDERING_STATUSES
        .iter()
        .map(|s| Value::Text(s.as_str().into()))
        .collect();
    let marks = vec!["?"; statuses.len()].join(", ");
    let mut params = statuses;
    params.push(customer.map_or(Value::Null, |c| Value::Text(c.into())));
    let notify = serde_json::to_string(&program.notice_list).map_err(Problem::internal)?;
    let mut opened = 0;
    loop {
        let moves = db.exec(
            &format!(
                "SELECT s.customer_id, s.status, s.updated_at, COALESCE(s.reason, ''),
                        json_extract(c.facts, '$.service_delivery')
                 FROM service_status s LEFT JOIN customers c ON c.id = s.customer_id
                 WHERE s.status IN ({marks}) AND (?{n} IS NULL OR s.customer_id = ?{n})
                   AND NOT EXISTS (SELECT 1 FROM service_orders o
                                   WHERE o.customer_id = s.customer_id AND o.status_at = s.updated_at)
                 ORDER BY s.updated_at LIMIT {BATCH}",
                n = params.len()
            ),
            &params,
        )?;
        let before = opened;
        for row in &moves.rows {
            let status: ServiceStatus = parse_enum(text(row, 1)?)?;
            let delivery = match opt_text(row, 4) {
                Some(d) => parse_enum(d)?,
                None => ServiceDelivery::ThirdParty,
            };
            let Some(action) = ordered_by(status, delivery) else {
                continue;
            };
            let stage = first_stage(delivery);
            let inserted = db.first(
                "INSERT INTO service_orders (customer_id, action, delivery, status, status_at, why, notify,
                     stage, opened_at, opened_by, call_next_at, updated_at, updated_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?9, ?10)
                 ON CONFLICT (customer_id, status_at) DO NOTHING RETURNING 1",
                &[
                    Value::Text(text(row, 0)?),
                    Value::Text(action.as_str().into()),
                    Value::Text(delivery.as_str().into()),
                    Value::Text(status.as_str().into()),
                    Value::Text(text(row, 2)?),
                    Value::Text(text(row, 3)?),
                    Value::Text(notify.clone()),
                    Value::Text(stage.as_str().into()),
                    timestamp(as_of),
                    Value::Text(actor.into()),
                    if stage == OrderStage::Provisioning {
                        timestamp(as_of)
                    } else {
                        Value::Null
                    },
                ],
            )?;
            opened += u64::from(inserted.is_some());
        }
        // Every move read orders something; none opened means none is left.
        if opened == before {
            return Ok(opened);
        }
    }
}

/// Calls the provisioning system for every order whose call is due by
/// `as_of` (a first call is always due), signed at `now`. A failed call is
/// due again after the programme's backoff.
pub fn call_provisioning(
    db: &Db,
    program: &SuspensionProgram,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Tally, Problem> {
    deliver_due(
        ("provisioning_url", "provisioning_webhook_secret"),
        0,
        |after| {
            // Keyset by id: a failed call is not read again in this run.
            Ok(db
                .exec(
                    &format!(
                        "SELECT {COLUMNS} FROM service_orders
                         WHERE call_next_at IS NOT NULL AND (call_attempts = 0 OR call_next_at <= ?)
                           AND id > ? ORDER BY id LIMIT {BATCH}"
                    ),
                    &[timestamp(as_of), Value::Integer(*after)],
                )?
                .rows)
        },
        |endpoint, row, after| {
            *after = int(row, 0)?;
            call(db, program, endpoint, row, as_of, now)
        },
    )
}

/// Calls the provisioning system for one order and records the outcome.
fn call(
    db: &Db,
    program: &SuspensionProgram,
    endpoint: &Endpoint,
    row: &RowResult,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Result<(), String>, Problem> {
    let id = int(row, 0)?;
    let attempts = int(row, 11)?;
    let body = json!({
        "type": format!("service_order.{}", text(row, 3)?),
        "timestamp": vip_kit::db::timestamp_text(now),
        "data": {
            "order_id": id,
            "customer_id": text(row, 1)?,
            "action": text(row, 3)?,
            "delivery": text(row, 4)?,
            "status": text(row, 5)?,
        },
    });
    let outcome = endpoint.post(
        &format!("order-{id}"),
        body.to_string().as_bytes(),
        now,
        program.call_timeout(),
    );
    let (next, error) = next_try(&program.retry, attempts + 1, &outcome, as_of);
    db.exec(
        "UPDATE service_orders SET call_attempts = call_attempts + 1, call_next_at = ?,
                call_last_error = ?, call_sent_at = CASE WHEN ? IS NULL THEN ? ELSE call_sent_at END
         WHERE id = ? AND call_attempts = ? AND call_next_at IS NOT NULL",
        &[
            next,
            error.clone(),
            error,
            timestamp(now),
            Value::Integer(id),
            Value::Integer(attempts),
        ],
    )?;
    Ok(outcome)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderConfirmed {
    order_id: i64,
}

/// `POST /api/v1/webhooks/service-orders`: the partners' signed events,
/// `engineering.confirmed` and `provisioning.confirmed` (`{order_id}`), and
/// `equipment.powered_off` (`{customer_id, observed_at?}`). Unsigned, badly
/// signed or stale: 401, nothing applied. A replayed `webhook-id` is
/// acknowledged and applies nothing; a confirmation out of turn is a 409.
pub fn webhook(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    webhooks::receive(
        ctx,
        "partner_webhook_secrets",
        "partners",
        webhooks::Refusals::Answer,
        |db, _, event| {
            let by = match event.kind.as_str() {
                "engineering.confirmed" => Confirmation::Engineering,
                "provisioning.confirmed" => Confirmation::Provisioning,
                "equipment.powered_off" => {
                    let service = crate::service::powered_off_event(ctx, db, event)?;
                    return Ok(Some(("service", service)));
                }
                _ => return Ok(None),
            };
            let data: OrderConfirmed = event.data()?;
            Ok(Some(("order", confirmed(db, data.order_id, by, ctx.now)?)))
        },
    )
}

/// Applies a confirmation to order `id`, guarded by the stage read.
fn confirmed(
    db: &Db,
    id: i64,
    by: Confirmation,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, Problem> {
    let row = load(db, id)?;
    let stage: OrderStage = parse_enum(text(&row, 8)?)?;
    let to = confirm(stage, by).map_err(|r| {
        Problem::conflict(
            "invalid-order-transition",
            "The confirmation does not apply to the order",
            format!("service order {id}: {r}"),
        )
    })?;
    let actor = match by {
        Confirmation::Engineering => "partner:engineering",
        Confirmation::Provisioning => "partner:provisioning",
    };
    let moved = db.first(
        "UPDATE service_orders SET stage = ?1, updated_at = ?2, updated_by = ?3,
                engineering_at = CASE WHEN ?1 = 'provisioning' THEN ?2 ELSE engineering_at END,
                call_next_at = CASE WHEN ?1 = 'provisioning' THEN ?2 ELSE NULL END,
                closed_at = CASE WHEN ?1 = 'closed' THEN ?2 ELSE closed_at END
         WHERE id = ?4 AND stage = ?5 RETURNING 1",
        &[
            Value::Text(to.as_str().into()),
            timestamp(now),
            Value::Text(actor.into()),
            Value::Integer(id),
            Value::Text(stage.as_str().into()),
        ],
    )?;
    if moved.is_none() {
        return Err(Problem::conflict(
            "concurrent-change",
            "The order changed meanwhile",
            format!(
                "service order {id} moved on while this confirmation was applied; read it again"
            ),
        ));
    }
    view(&load(db, id)?)
}
