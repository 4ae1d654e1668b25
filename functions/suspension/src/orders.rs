//! `vip_suspension` orders: opened once per service move that orders
//! something (`vip_domain::suspension::ordered_by`), called through to the
//! provisioning system with retries, and moved on by the partners' signed
//! confirmations (`vip_domain::suspension::confirm`).

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::{CustomerId, ServiceDelivery};
use vip_domain::suspension::{
    confirm, first_stage, ordered_by, Confirmation, OrderStage, SuspensionProgram,
};
use vip_kit::db::{timestamp_text, Db};
use vip_kit::outbound::Tally;
use vip_kit::{webhooks, Ctx, Problem};
use vip_store::service::{self as store, NewOrder, Order};

fn view(order: &Order) -> serde_json::Value {
    json!({
        "id": order.id,
        "customer_id": order.customer.as_str(),
        "ticket_type": order.ticket_type,
        "action": order.action.as_str(),
        "delivery": order.delivery.as_str(),
        "ordered_by": {
            "status": order.status.as_str(),
            "at": timestamp_text(order.status_at),
            "why": order.why,
        },
        "stage": order.stage.as_str(),
        "opened_at": timestamp_text(order.opened_at),
        "engineering_confirmed_at": order.engineering_at.map(timestamp_text),
        "provisioning_call": {
            "attempts": order.call_attempts,
            "next_at": order.call_next_at.map(timestamp_text),
            "accepted_at": order.call_sent_at.map(timestamp_text),
            "last_error": order.call_last_error,
        },
        "closed_at": order.closed_at.map(timestamp_text),
        "updated_at": timestamp_text(order.updated_at),
    })
}

/// Order `id`, which must exist.
fn load(db: &Db, id: i64) -> Result<Order, Problem> {
    store::order(db, id)?
        .ok_or_else(|| Problem::not_found(format!("there is no service order {id}")))
}

/// A customer's latest orders, newest first.
pub fn of_customer(db: &Db, customer: &CustomerId) -> Result<Vec<serde_json::Value>, Problem> {
    Ok(store::orders_of(db, customer)?.iter().map(view).collect())
}

/// `GET /api/v1/service-orders/{order}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("order", "service order")?;
    Ok(vip_kit::json(200, &view(&load(&Db::open()?, id)?)))
}

/// Opens an order for every service move (of `customer`, or of everyone)
/// that orders one and has none yet; the number opened. A third-party
/// service's order goes to engineering; a direct one's provisioning call is
/// due at once. An unknown delivery is treated as third-party: a person
/// (engineering) looks before anything is switched.
pub fn open(
    db: &Db,
    program: &SuspensionProgram,
    customer: Option<&CustomerId>,
    as_of: DateTime<Utc>,
    actor: &str,
) -> Result<u64, Problem> {
    let mut opened = 0;
    loop {
        let before = opened;
        for service_move in store::moves_to_order(db, customer)? {
            let delivery = service_move.delivery.unwrap_or(ServiceDelivery::ThirdParty);
            let Some(action) = ordered_by(service_move.status, delivery) else {
                continue;
            };
            let stage = first_stage(delivery);
            let inserted = store::open_order(
                db,
                &NewOrder {
                    service_move: &service_move,
                    action,
                    delivery,
                    notify: &program.notice_list,
                    stage,
                    call_due: (stage == OrderStage::Provisioning).then_some(as_of),
                    opened_at: as_of,
                    opened_by: actor,
                },
            )?;
            opened += u64::from(inserted);
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
    store::call_provisioning(
        db,
        ("provisioning_url", "provisioning_webhook_secret"),
        &program.retry,
        as_of,
        now,
        |endpoint, order| {
            let body = json!({
                "type": format!("service_order.{}", order.action.as_str()),
                "timestamp": timestamp_text(now),
                "data": {
                    "order_id": order.id,
                    "customer_id": order.customer.as_str(),
                    "action": order.action.as_str(),
                    "delivery": order.delivery.as_str(),
                    "status": order.status.as_str(),
                },
            });
            endpoint.post(
                &format!("order-{}", order.id),
                body.to_string().as_bytes(),
                now,
                program.call_timeout(),
            )
        },
    )
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
    let stage = load(db, id)?.stage;
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
    if !store::confirm_order(db, id, stage, to, now, actor)? {
        return Err(Problem::conflict(
            "concurrent-change",
            "The order changed meanwhile",
            format!(
                "service order {id} moved on while this confirmation was applied; read it again"
            ),
        ));
    }
    Ok(view(&load(db, id)?))
}
