//! The `collections` component (docs/domain.md §5; seed 001): monthly invoices
//! (issued for every member, or one by staff), the collector's receipt
//! confirmation, payments from staff and from the payment processor's
//! signed webhook (idempotent by payment id, partial payments add up),
//! payment commitments, the month preview ("what happens on which date if
//! nothing is paid"), and the dunning run for schedulers (the `dunning` cron
//! component runs the same `vip_store::collections::run` daily). (No
//! `forbid(unsafe_code)`: spin-sdk's export macro emits the component's
//! `unsafe` ABI glue; this crate's own code has none.)

mod invoices;
mod payments;
mod portfolios;

use spin_sdk::http::{IncomingRequest, IntoResponse, Response};
use spin_sdk::http_component;
use vip_kit::db::Db;
use vip_kit::{api, Binding, Ctx, Problem};
use vip_store::collections::PROGRAM;

/// This component's handlers for its operations in `vip_kit::api::OPERATIONS`.
const HANDLERS: &[Binding] = &[
    (&api::GET_PROGRAM_COLLECTIONS, program),
    (&api::PUT_PROGRAM_COLLECTIONS, replace_program),
    (&api::POST_INVOICES, invoices::create),
    (&api::POST_INVOICES_ISSUE, invoices::issue),
    (&api::GET_INVOICE, invoices::get),
    (&api::POST_INVOICE_RECEIPT, invoices::receipt),
    (&api::POST_INVOICE_PAYMENTS, payments::by_staff),
    (&api::POST_INVOICE_COMMITMENTS, payments::commit),
    (&api::GET_ME_INVOICE, invoices::get),
    (&api::GET_ME_INVOICES, invoices::mine),
    (&api::POST_ME_INVOICE_COMMITMENTS, payments::commit),
    (&api::GET_CUSTOMER_COLLECTIONS_PREVIEW, invoices::preview),
    (&api::POST_DUNNING_RUNS, run),
    (&api::POST_WEBHOOKS_PAYMENTS, payments::webhook),
    (&api::PUT_CUSTOMER_COLLECTOR, portfolios::assign),
    (&api::GET_COLLECTOR_CUSTOMERS, portfolios::customers),
];

fn program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.get(ctx)
}

fn replace_program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.put(ctx)
}

/// `POST /api/v1/dunning/runs?as_of=`: the daily dunning run, for external
/// schedulers and catch-up.
fn run(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let as_of = ctx.as_of()?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let run = vip_store::collections::run(&db, &program, as_of, &ctx.actor(), ctx.now)?;
    Ok(vip_kit::json(200, &run))
}

#[http_component]
async fn handle(req: IncomingRequest) -> impl IntoResponse {
    vip_kit::serve(req, "collections", HANDLERS, vip_store::ownership::owner_of).await
}

// Daily: the month's invoices once its issue day has come (idempotent, so
// later days catch up), then the dunning run.
vip_kit::cron_component!(HANDLERS, |event| {
    let db = Db::open()?;
    let program = PROGRAM.load(&db, vip_kit::now())?.document;
    if let Some(month) = program.month_to_issue(program.zone.date_of(event.as_of)) {
        event.call(
            &api::POST_INVOICES_ISSUE,
            &format!("month={}", month.format("%Y-%m")),
        )?;
    }
    event.call(&api::POST_DUNNING_RUNS, "")
});

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_a_handler_and_every_handler_an_operation() {
        vip_kit::router::assert_bound("collections", super::HANDLERS);
    }
}
