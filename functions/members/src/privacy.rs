//! Privacy rights (seed 004, DOMAIN §8): consents per purpose, kept with
//! their history; a member's data, exported or erased on request, by the
//! member (`/api/v1/me/export`, `/me/erasure`) or by staff for them
//! (`/api/v1/customers/{id}/export`, `…/erasure`). Every export and erasure
//! is audited.

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
    vip_store::audit::record(&db, ctx, "customer.exported", ("customer", id.as_str()))?;
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

/// Erases the customer's personal data and ends their sessions; a second
/// erasure answers the first one's time and changes nothing
/// (`vip_store::privacy::erase`).
pub fn erase(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let raw = ctx.param("id").to_string();
    let missing = || Problem::not_found(format!("there is no customer `{raw}`"));
    let id = CustomerId::parse(&raw).map_err(|_| missing())?;
    let db = Db::open()?;
    if !vip_store::customers::exists(&db, &id)? {
        return Err(missing());
    }
    let erased_at = vip_store::privacy::erase(&db, ctx, &id)?;
    vip_kit::member::revoke_all(id.as_str(), ctx.now)?;
    Ok(vip_kit::json(
        200,
        &serde_json::json!({
            "customer_id": id.as_str(),
            "erased_at": erased_at,
            "kept": "points ledger, purchases, redemptions, invoices, payments and the audit stay under this id, without name or contact: accounting records are kept",
        }),
    ))
}

/// The member's consents: the one in force per purpose, and every change.
fn consents_view(db: &Db, id: &CustomerId) -> Result<serde_json::Value, Problem> {
    let history = vip_store::consents::history(db, id)?;
    let mut current = serde_json::Map::new();
    for purpose in vip_store::consents::PURPOSES {
        let latest = history.iter().rev().find(|c| c.purpose == *purpose);
        current.insert((*purpose).into(), latest.is_some_and(|c| c.granted).into());
    }
    Ok(serde_json::json!({ "customer_id": id.as_str(), "current": current, "history": history }))
}

/// `GET /api/v1/me/consents`.
pub fn consents(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = CustomerId::parse(ctx.param("id")).map_err(Problem::internal)?;
    Ok(vip_kit::json(200, &consents_view(&Db::open()?, &id)?))
}

/// `PUT /api/v1/me/consents`: gives or withdraws consent per purpose
/// (`{"marketing": false}`); a purpose left out stays as it is, and only a
/// change is recorded. Seed 004: shared with third parties only with consent.
pub fn put_consents(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let wanted: std::collections::BTreeMap<String, bool> = vip_kit::body::read_json(ctx.req)?;
    let mut errors = vip_domain::validation::Errors::new();
    for purpose in wanted.keys() {
        if !vip_store::consents::PURPOSES.contains(&purpose.as_str()) {
            errors.add(
                purpose.clone(),
                format!(
                    "is not a purpose; one of {}",
                    vip_store::consents::PURPOSES.join(", ")
                ),
            );
        }
    }
    errors.finish(()).map_err(Problem::validation)?;
    let id = CustomerId::parse(ctx.param("id")).map_err(Problem::internal)?;
    let db = Db::open()?;
    for (purpose, granted) in &wanted {
        vip_store::consents::set(&db, &id, purpose, *granted, ctx.now, &ctx.actor())?;
    }
    Ok(vip_kit::json(200, &consents_view(&db, &id)?))
}
