//! The `suspension` component (docs/domain.md §6; seed 001), HTTP and cron in one
//! component (docs/architecture.md): it executes what a customer's
//! service moves order.
//!
//! - Orders: every move to `suspended`, to a reconnection status or to
//!   `disconnected` opens one `vip_suspension` order (`orders`); a direct
//!   service's goes to provisioning at once, a third-party service's to
//!   engineering first. The provisioning system is called with a signed
//!   webhook (`outbound`), retried with backoff until it accepts; its
//!   confirmation (and engineering's) arrive as signed webhooks and close
//!   the order, which tells the department list.
//! - Service: reconnection on a payment, a dispute or a plan; disconnection
//!   requests and equipment powered off, with the sales and recovery windows
//!   on a business calendar (`service`).
//!
//! The run (`POST /api/v1/suspension/runs?as_of=`, and the cron event every
//! minute) does all of it in order: windows that passed, orders to open,
//! balances to hand to legal (`legal`), calls due. (Notices these moves write are delivered by `notices`.) Each part is idempotent, so a run fired twice or
//! cut short and run again neither loses nor repeats anything. (No
//! `forbid(unsafe_code)`: the export macros emit the component's `unsafe`
//! ABI glue; this crate's own code has none.)

mod legal;
mod orders;
mod service;

use serde::Serialize;
use spin_sdk::http::{IncomingRequest, IntoResponse, Response};
use spin_sdk::http_component;
use vip_kit::db::Db;
use vip_kit::outbound::Tally;
use vip_kit::{api, Binding, Ctx, Problem};
use vip_store::service::PROGRAM;

/// This component's handlers for its operations in `vip_kit::api::OPERATIONS`.
const HANDLERS: &[Binding] = &[
    (&api::GET_PROGRAM_SUSPENSION, program),
    (&api::PUT_PROGRAM_SUSPENSION, replace_program),
    (&api::GET_CUSTOMER_SERVICE, service::get),
    (&api::GET_ME_SERVICE, service::get),
    (&api::POST_CUSTOMER_SERVICE_RECONNECTION, service::reconnect),
    (
        &api::POST_CUSTOMER_SERVICE_DISCONNECTION,
        service::request_disconnection,
    ),
    (
        &api::POST_CUSTOMER_SERVICE_POWERED_OFF,
        service::powered_off,
    ),
    (&api::POST_CUSTOMER_SERVICE_RETAINED, service::retained),
    (&api::GET_DISCONNECTION_REQUESTS, service::pending_requests),
    (&api::GET_LEGAL_HANDOFFS, legal::list),
    (&api::POST_LEGAL_HANDOFF_CLOSURE, legal::close),
    (&api::GET_SERVICE_ORDER, orders::get),
    (&api::POST_SUSPENSION_RUNS, run),
    (&api::POST_WEBHOOKS_SERVICE_ORDERS, orders::webhook),
];

fn program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.get(ctx)
}

fn replace_program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.put(ctx)
}

/// What one run did.
#[derive(Debug, Serialize)]
struct Run {
    as_of: String,
    retention_moves: u64,
    orders_opened: u64,
    legal_handoffs: u64,
    calls: Tally,
}

/// `POST /api/v1/suspension/runs?as_of=`: the run, for external schedulers,
/// catch-up, and this component's cron event (every minute).
fn run(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let as_of = ctx.as_of()?;
    let actor = ctx.actor();
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let retention_moves = service::lapse_windows(&db, &program, as_of, &actor)?;
    let orders_opened = orders::open(&db, &program, None, as_of, &actor)?;
    let legal_handoffs = legal::open_due(&db, &program, as_of, &actor)?;
    let calls = orders::call_provisioning(&db, &program, as_of, ctx.now)?;
    Ok(vip_kit::json(
        200,
        &Run {
            as_of: vip_kit::db::timestamp_text(as_of),
            retention_moves,
            orders_opened,
            legal_handoffs,
            calls,
        },
    ))
}

#[http_component]
async fn handle(req: IncomingRequest) -> impl IntoResponse {
    vip_kit::serve(req, "suspension", HANDLERS, vip_store::ownership::owner_of).await
}

vip_kit::cron_component!(HANDLERS, |event| event.call(&api::POST_SUSPENSION_RUNS, ""));

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_a_handler_and_every_handler_an_operation() {
        vip_kit::router::assert_bound("suspension", super::HANDLERS);
    }
}
