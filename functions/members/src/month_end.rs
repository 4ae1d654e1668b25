//! `POST /api/v1/eligibility/month-end?month=YYYY-MM` evaluates every customer
//! at the month's close and records who became and who stopped being VIP;
//! `GET` lists those changes, paged.
//!
//! Running a month twice changes nothing: a finished month answers with its
//! recorded run. Each customer's previous status is derived from the changes
//! recorded for earlier months, the changes are written with
//! `ON CONFLICT DO NOTHING`, and the run row (the completion marker) last, so a
//! run interrupted half-way re-runs to exactly the list it would have produced.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerFacts;
use vip_domain::month_end::{self, Month};
use vip_kit::db::{int, json_column, text, timestamp, Db, Value};
use vip_kit::{Ctx, Problem};

use crate::program;

/// Rows per multi-row INSERT.
const BATCH: usize = 200;
const MAX_PER_PAGE: i64 = 1000;

fn month(ctx: &Ctx<'_>) -> Result<Month, Problem> {
    let text = ctx
        .query("month")
        .ok_or_else(|| Problem::field("month", "is required, like ?month=2026-01"))?;
    Month::parse(text).map_err(|m| Problem::field("month", m))
}

#[derive(Serialize)]
struct Run {
    month: String,
    run_at: String,
    requested_by: String,
    rules_version: i64,
    evaluated: i64,
    vip: i64,
    became_vip: i64,
    stopped_being_vip: i64,
    not_evaluated: serde_json::Value,
}

fn load_run(db: &Db, month: &Month) -> Result<Option<Run>, Problem> {
    let Some(row) = db.first(
        "SELECT run_at, requested_by, rules_version, evaluated, vip, became_vip, stopped_being_vip, not_evaluated
         FROM month_end_runs WHERE month = ?",
        &[Value::Text(month.to_string())],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(Run {
        month: month.to_string(),
        run_at: text(&row, 0)?,
        requested_by: text(&row, 1)?,
        rules_version: int(&row, 2)?,
        evaluated: int(&row, 3)?,
        vip: int(&row, 4)?,
        became_vip: int(&row, 5)?,
        stopped_being_vip: int(&row, 6)?,
        not_evaluated: json_column(&row, 7)?,
    }))
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
    if let Some(run) = load_run(&db, &month)? {
        return Ok(vip_kit::json(200, &run));
    }
    if let Some(later) = db.first(
        "SELECT month FROM month_end_runs WHERE month > ? ORDER BY month LIMIT 1",
        &[Value::Text(month.to_string())],
    )? {
        return Err(Problem::conflict(
            "month-end-out-of-order",
            "A later month has already been closed",
            format!(
                "{} was closed already; months close in order",
                text(&later, 0)?
            ),
        ));
    }
    let rules = program::RULES.load(&db, ctx.now)?;
    let customers: Vec<(String, CustomerFacts)> = db
        .exec("SELECT id, facts FROM customers ORDER BY id", &[])?
        .rows
        .iter()
        .map(|row| Ok((text(row, 0)?, json_column(row, 1)?)))
        .collect::<Result<_, Problem>>()?;
    // Status before this close: the latest change recorded for an earlier month.
    let previous: HashMap<String, bool> = db
        .exec(
            "SELECT c.customer_id, c.vip FROM month_end_changes c
             WHERE c.month = (SELECT MAX(p.month) FROM month_end_changes p
                              WHERE p.customer_id = c.customer_id AND p.month < ?)",
            &[Value::Text(month.to_string())],
        )?
        .rows
        .iter()
        .map(|row| Ok((text(row, 0)?, int(row, 1)? == 1)))
        .collect::<Result<_, Problem>>()?;
    let result = month_end::evaluate(
        &rules.document,
        customers.iter().map(|(id, facts)| (id.as_str(), facts)),
        |id| previous.get(id).copied().unwrap_or(false),
    );
    let changes: Vec<_> = result
        .became_vip
        .iter()
        .chain(result.stopped_being_vip.iter())
        .collect();
    for chunk in changes.chunks(BATCH) {
        let placeholders = vec!["(?, ?, ?, ?, ?)"; chunk.len()].join(", ");
        let mut params = Vec::with_capacity(chunk.len() * 5);
        for c in chunk {
            params.push(Value::Text(month.to_string()));
            params.push(Value::Text(c.customer_id.clone()));
            params.push(Value::Integer(i64::from(c.vip)));
            params.push(Value::Text(
                serde_json::to_string(&c.matched_rules).map_err(Problem::internal)?,
            ));
            params.push(Value::Text(c.summary.clone()));
        }
        db.exec(
            &format!(
                "INSERT INTO month_end_changes (month, customer_id, vip, matched_rules, summary)
                 VALUES {placeholders} ON CONFLICT (month, customer_id) DO NOTHING"
            ),
            &params,
        )?;
    }
    let count = |n: usize| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    db.exec(
        "INSERT INTO month_end_runs (month, run_at, requested_by, rules_version, evaluated, vip,
                                     became_vip, stopped_being_vip, not_evaluated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (month) DO NOTHING",
        &[
            Value::Text(month.to_string()),
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
            Value::Integer(rules.version),
            count(result.evaluated),
            count(result.vip),
            count(result.became_vip.len()),
            count(result.stopped_being_vip.len()),
            Value::Text(serde_json::to_string(&result.not_evaluated).map_err(Problem::internal)?),
        ],
    )?;
    let run = load_run(&db, &month)?
        .ok_or_else(|| Problem::internal("month-end run missing after insert"))?;
    Ok(vip_kit::json(201, &run))
}

pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let month = month(ctx)?;
    let page = ctx.int_query("page", 1, i64::from(u32::MAX))?.unwrap_or(1);
    let per_page = ctx.int_query("per_page", 1, MAX_PER_PAGE)?.unwrap_or(100);
    let db = Db::open()?;
    let run = load_run(&db, &month)?.ok_or_else(|| {
        Problem::not_found(format!("month {month} has not been closed; POST it first"))
    })?;
    let rows = db.exec(
        "SELECT customer_id, vip, matched_rules, summary FROM month_end_changes
         WHERE month = ? ORDER BY customer_id LIMIT ? OFFSET ?",
        &[
            Value::Text(month.to_string()),
            Value::Integer(per_page),
            Value::Integer((page - 1).saturating_mul(per_page)),
        ],
    )?;
    let items = rows
        .rows
        .iter()
        .map(|row| {
            Ok(json!({
                "customer_id": text(row, 0)?,
                "change": if int(row, 1)? == 1 { "became_vip" } else { "stopped_being_vip" },
                "matched_rules": json_column::<serde_json::Value>(row, 2)?,
                "summary": text(row, 3)?,
            }))
        })
        .collect::<Result<Vec<_>, Problem>>()?;
    let total = run.became_vip + run.stopped_being_vip;
    Ok(vip_kit::json(
        200,
        &json!({ "run": run, "page": page, "per_page": per_page, "total": total, "items": items }),
    ))
}
