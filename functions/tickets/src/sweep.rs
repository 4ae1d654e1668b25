//! `POST /api/v1/tickets/sla-sweep?as_of=`: the SLA sweep for external
//! schedulers and catch-up after downtime (this component's cron entry calls
//! this operation every minute).

use spin_sdk::http::Response;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::sla_sweep;
use vip_store::tickets::PROGRAM;

pub fn run(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let as_of = ctx.as_of()?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let run = sla_sweep::run(&db, &program, as_of, &ctx.actor(), ctx.now)?;
    Ok(vip_kit::json(200, &run))
}
