//! The `notices` component (docs/domain.md "Notices"): every feature writes
//! its notices to the outbox in the statement that causes them (SQL
//! triggers, declared in `vip_store`'s `EFFECTS`); this component delivers
//! them, at least once, with the notice's id as `webhook-id` (`outbox`):
//! staff notices to the notification webhook, member notices rendered from
//! the programme's templates (`templates`) in the member's language over the
//! channels they prefer (`preferences`). `POST /api/v1/notices/runs?as_of=` and the
//! cron event every minute run the same delivery; it is idempotent, so a
//! run fired twice or cut short and run again neither loses nor repeats.

mod broadcasts;
mod outbox;
mod preferences;
mod templates;
mod undelivered;

use serde::Serialize;
use spin_sdk::http::{IncomingRequest, IntoResponse, Response};
use spin_sdk::http_component;
use vip_kit::db::Db;
use vip_kit::{api, Binding, Ctx, Problem};
use vip_store::service::PROGRAM;

/// This component's handlers for its operations in `vip_kit::api::OPERATIONS`.
const HANDLERS: &[Binding] = &[
    (&api::POST_NOTICES_RUNS, run),
    (&api::GET_PROGRAM_NOTICE_TEMPLATES, templates::get),
    (&api::PUT_PROGRAM_NOTICE_TEMPLATES, templates::put),
    (&api::POST_NOTICE_TEMPLATE_PREVIEW, templates::preview),
    (&api::GET_CUSTOMER_NOTICE_PREFERENCES, preferences::get),
    (&api::PUT_CUSTOMER_NOTICE_PREFERENCES, preferences::put),
    (&api::GET_ME_NOTICE_PREFERENCES, preferences::get),
    (&api::PUT_ME_NOTICE_PREFERENCES, preferences::put),
    (&api::GET_PROGRAM_BROADCASTS, broadcasts::program),
    (&api::PUT_PROGRAM_BROADCASTS, broadcasts::replace_program),
    (&api::POST_BROADCASTS, broadcasts::create),
    (&api::GET_BROADCAST, broadcasts::get),
    (&api::GET_NOTICES_UNDELIVERED, undelivered::list),
];

/// What one run did.
#[derive(Debug, Serialize)]
struct Run {
    as_of: String,
    notices: vip_store::notices::Delivery,
}

/// `POST /api/v1/notices/runs?as_of=`: delivers every notice due, for
/// external schedulers, catch-up, and this component's cron event.
fn run(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let as_of = ctx.as_of()?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let notices = outbox::deliver(&db, &program, as_of, ctx.now)?;
    Ok(vip_kit::json(
        200,
        &Run {
            as_of: vip_kit::db::timestamp_text(as_of),
            notices,
        },
    ))
}

#[http_component]
async fn handle(req: IncomingRequest) -> impl IntoResponse {
    vip_kit::serve(req, "notices", HANDLERS, vip_store::ownership::owner_of).await
}

vip_kit::cron_component!(HANDLERS, |event| event.call(&api::POST_NOTICES_RUNS, ""));

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_a_handler_and_every_handler_an_operation() {
        vip_kit::router::assert_bound("notices", super::HANDLERS);
    }
}
