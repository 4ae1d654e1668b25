//! A member's notice preferences: the language they read and the channels
//! to try, in order (docs/domain.md "Notices"). Set by the member (portal,
//! web form, chat bot) or by staff for them; audited.

use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::notices::Preferences;
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::notices::{self, TEMPLATES};

fn customer(ctx: &Ctx<'_>, db: &Db) -> Result<CustomerId, Problem> {
    let id = CustomerId::parse(ctx.param("id")).map_err(|m| Problem::field("id", m))?;
    notices::reach(db, &id)?
        .map(|_| id.clone())
        .ok_or_else(|| Problem::not_found(format!("no customer `{}`", id.as_str())))
}

fn view(db: &Db, ctx: &Ctx<'_>, id: &CustomerId) -> Result<serde_json::Value, Problem> {
    let templates = TEMPLATES.load(db, ctx.now)?.document;
    let preferences = notices::preferences(db, id, &templates)?;
    Ok(json!({
        "customer_id": id.as_str(),
        "language": preferences.language,
        "channels": preferences.channels,
    }))
}

/// `GET /api/v1/customers/{id}/notice-preferences` (and `/me/…`).
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let id = customer(ctx, &db)?;
    Ok(vip_kit::json(200, &view(&db, ctx, &id)?))
}

/// `PUT /api/v1/customers/{id}/notice-preferences` (and `/me/…`):
/// `{language, channels}`.
pub fn put(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let preferences: Preferences = read_json(ctx.req)?;
    preferences.validate().map_err(Problem::validation)?;
    let db = Db::open()?;
    let id = customer(ctx, &db)?;
    notices::set_preferences(&db, &id, &preferences, ctx.now, &ctx.actor())?;
    Ok(vip_kit::json(200, &view(&db, ctx, &id)?))
}
