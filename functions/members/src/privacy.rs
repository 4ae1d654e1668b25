//! Privacy rights (seed 004, DOMAIN §8): a member's data, exported on
//! request, by the member (`GET /api/v1/me/export`) or by staff for them
//! (`GET /api/v1/customers/{id}/export`). Every export is audited.

use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};

/// Everything held about the customer, as JSON, to download.
pub fn export(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let raw = ctx.param("id").to_string();
    let missing = || Problem::not_found(format!("there is no customer `{raw}`"));
    let id = CustomerId::parse(&raw).map_err(|_| missing())?;
    let db = Db::open()?;
    let sections = vip_store::privacy::export(&db, &id)?.ok_or_else(missing)?;
    vip_store::audit::record(
        &db,
        &timestamp_text(ctx.now),
        &ctx.actor(),
        "customer.exported",
        ("customer", id.as_str()),
        ctx.change_reason(),
        &serde_json::json!({}),
    )?;
    let body = serde_json::json!({
        "customer_id": id.as_str(),
        "exported_at": timestamp_text(ctx.now),
        "sections": sections,
    });
    let mut response = vip_kit::json(200, &body);
    response.set_header(
        "content-disposition",
        format!("attachment; filename=\"vip-data-{}.json\"", id.as_str()),
    );
    Ok(response)
}
