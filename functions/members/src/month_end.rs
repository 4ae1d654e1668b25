//! `POST /api/v1/eligibility/month-end?month=YYYY-MM` evaluates every customer
//! at the month's close and records who became and who stopped being VIP;
//! `GET` lists those changes, paged.
//!
//! Running a month twice changes nothing: a finished month answers with its
//! recorded run. Each customer's previous status is derived from the changes
//! recorded for earlier months, the changes are written with
//! `ON CONFLICT DO NOTHING`, and the run row (the completion marker) last, so a
//! run interrupted half-way re-runs to exactly the list it would have produced.

use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::month_end::{self, Month};
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::customers;

const MAX_PER_PAGE: i64 = 1000;

fn month(ctx: &Ctx<'_>) -> Result<Month, Problem> {
    let text = ctx
        .query("month")
        .ok_or_else(|| Problem::field("month", "is required, like ?month=2026-01"))?;
    Month::parse(text).map_err(|m| Problem::field("month", m))
}

pub fn post(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let month = month(ctx)?;
    if month.close() > ctx.now {
        return Err(Problem::conflict(
            "month-not-closed",
            "The month has not closed yet",
            format!("{month} closes at {}", month.close().to_rfc3339()),
        ));
    }
    let db = Db::open()?;
    if let Some(run) = customers::month_end_run(&db, &month)? {
        return Ok(vip_kit::json(200, &run));
    }
    if let Some(later) = customers::closed_after(&db, &month)? {
        return Err(Problem::conflict(
            "month-end-out-of-order",
            "A later month has already been closed",
            format!("{later} was closed already; months close in order"),
        ));
    }
    let rules = customers::RULES.load(&db, ctx.now)?;
    let all = customers::all_facts(&db)?;
    // Status before this close: the latest change recorded for an earlier month.
    let previous = customers::vip_before(&db, &month)?;
    let result = month_end::evaluate(
        &rules.document,
        all.iter().map(|(id, facts)| (id.as_str(), facts)),
        |id| previous.get(id).copied().unwrap_or(false),
    );
    customers::record_month_end_changes(
        &db,
        &month,
        result.became_vip.iter().chain(&result.stopped_being_vip),
    )?;
    customers::close_month(&db, ctx, &month, rules.version, &result)?;
    let run = customers::month_end_run(&db, &month)?
        .ok_or_else(|| Problem::internal("month-end run missing after insert"))?;
    Ok(vip_kit::json(201, &run))
}

pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let month = month(ctx)?;
    let page = ctx.int_query("page", 1, i64::from(u32::MAX))?.unwrap_or(1);
    let per_page = ctx.int_query("per_page", 1, MAX_PER_PAGE)?.unwrap_or(100);
    let db = Db::open()?;
    let run = customers::month_end_run(&db, &month)?.ok_or_else(|| {
        Problem::not_found(format!("month {month} has not been closed; POST it first"))
    })?;
    let items: Vec<_> =
        customers::month_end_changes(&db, &month, per_page, (page - 1).saturating_mul(per_page))?
            .into_iter()
            .map(|c| {
                json!({
                    "customer_id": c.customer_id,
                    "change": if c.vip { "became_vip" } else { "stopped_being_vip" },
                    "matched_rules": c.matched_rules,
                    "summary": c.summary,
                })
            })
            .collect();
    let total = run.became_vip + run.stopped_being_vip;
    Ok(vip_kit::json(
        200,
        &json!({ "run": run, "page": page, "per_page": per_page, "total": total, "items": items }),
    ))
}
