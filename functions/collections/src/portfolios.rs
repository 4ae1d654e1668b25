//! Collector portfolios (docs/domain.md §5 "Portfolios"; seed 001: the VIP
//! portfolio is assigned to collectors, who follow up their customers'
//! invoices): one collector per customer, every (re)assignment audited, and
//! each collector's "my customers" view.

use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::collections as store;

/// A collector's name: 1 to 100 characters of letters, digits, `.`, `_`, `-`, `@`.
fn collector(text: &str, field: &str) -> Result<String, Problem> {
    let ok = !text.is_empty()
        && text.len() <= 100
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(text.to_string())
    } else {
        Err(Problem::field(
            field,
            "1 to 100 of letters, digits, `.`, `_`, `-`, `@`",
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Assignment {
    collector: String,
}

/// `PUT /api/v1/customers/{id}/collector` `{collector}`.
pub fn assign(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = CustomerId::parse(ctx.param("id")).map_err(|m| Problem::field("id", m))?;
    let body: Assignment = read_json(ctx.req)?;
    let name = collector(body.collector.trim(), "collector")?;
    let db = Db::open()?;
    vip_store::service::status_of(&db, &id)?
        .ok_or_else(|| Problem::not_found(format!("there is no customer `{}`", id.as_str())))?;
    store::assign_collector(&db, &id, &name, ctx.now, &ctx.actor())?;
    Ok(vip_kit::json(
        200,
        &json!({"customer_id": id.as_str(), "collector": store::collector_of(&db, &id)?}),
    ))
}

/// `GET /api/v1/collectors/{collector}/customers`: the collector's
/// customers, the oldest unpaid invoice first.
pub fn customers(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let name = collector(ctx.param("collector"), "collector")?;
    let db = Db::open()?;
    Ok(vip_kit::json(
        200,
        &json!({"collector": name, "customers": store::portfolio(&db, &name)?}),
    ))
}
