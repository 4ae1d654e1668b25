//! What staff see of notices that did not go out: those given up (no
//! channel could reach the member, or every channel refused them) and those
//! failing for now, each with its last error.

use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};

/// `GET /api/v1/notices/undelivered?state=given_up|failing&customer_id=`
/// (default given up): newest first, at most 500.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let given_up = match ctx.query("state").unwrap_or("given_up") {
        "given_up" => true,
        "failing" => false,
        _ => return Err(Problem::field("state", "given_up or failing")),
    };
    let customer = ctx
        .query("customer_id")
        .map(|c| CustomerId::parse(c).map_err(|m| Problem::field("customer_id", m)))
        .transpose()?;
    let db = Db::open()?;
    let notices = vip_store::notices::undelivered(&db, given_up, customer.as_ref(), 500)?;
    Ok(vip_kit::json(200, &json!({ "notices": notices })))
}
