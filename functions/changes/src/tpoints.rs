//! A customer's T-Points: packs bought (staff), the balance with its
//! latest entries (staff, customer success, the member), and the expiry of
//! what is left of packs past their date (scheduler).

use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::tpoints::{expiring, PackInput, TPoints};
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::change_requests::PROGRAM;
use vip_store::{customers, tpoints};

const ENTRIES_SHOWN: i64 = 100;

/// The customer the path or the member token names, known to exist.
fn customer(ctx: &Ctx<'_>, db: &Db) -> Result<CustomerId, Problem> {
    let raw = ctx.member().unwrap_or_else(|| ctx.param("id"));
    let id = CustomerId::parse(raw).map_err(|m| Problem::field("id", m))?;
    if !customers::exists(db, &id)? {
        return Err(Problem::not_found(format!("no customer {raw}")));
    }
    Ok(id)
}

/// `customer`'s balance and latest entries.
fn view(db: &Db, customer: &str, pack_id: Option<i64>) -> Result<serde_json::Value, Problem> {
    Ok(json!({
        "customer_id": customer,
        "balance": tpoints::balance(db, customer)?,
        "entries": tpoints::entries(db, customer, ENTRIES_SHOWN)?,
        "pack_id": pack_id,
    }))
}

/// `GET /api/v1/customers/{id}/tpoints`, `GET /api/v1/me/tpoints`.
pub fn balance(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let id = customer(ctx, &db)?;
    Ok(vip_kit::json(200, &view(&db, id.as_str(), None)?))
}

/// `POST /api/v1/customers/{id}/tpoints/packs` `{points, price_minor,
/// currency, bought_at, expires_at?, reference?}`: 201 with the balance.
pub fn buy(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let input: PackInput = read_json(ctx.req)?;
    let db = Db::open()?;
    let id = customer(ctx, &db)?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let pack = input
        .check(program.step(), ctx.now)
        .map_err(Problem::validation)?;
    let pack_id = tpoints::record_pack(&db, &id, &pack, ctx.now, &ctx.actor())?;
    Ok(vip_kit::json(201, &view(&db, id.as_str(), Some(pack_id))?))
}

/// `POST /api/v1/tpoints/expiry-runs?as_of=` (scheduler, and the `changes`
/// cron entry): what is left of each pack past its expiry, taken soonest
/// expiring first (`vip_domain::tpoints::expiring`), expires, once.
pub fn expire(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let as_of = ctx.as_of()?;
    let db = Db::open()?;
    let actor = ctx.actor();
    let (mut packs, mut lost) = (0, TPoints::ZERO);
    for customer in tpoints::with_expired_packs(&db, as_of)? {
        let (lots, used) = tpoints::lots(&db, &customer)?;
        for (pack, amount) in expiring(&lots, used, as_of) {
            let before = lots
                .iter()
                .find(|l| l.pack_id == pack)
                .map_or(TPoints::ZERO, |l| l.expired);
            if tpoints::expire(&db, &customer, pack, amount, before, as_of, &actor)? {
                packs += 1;
                lost = lost.saturating_add(amount);
            }
        }
    }
    Ok(vip_kit::json(
        200,
        &json!({"as_of": vip_kit::db::timestamp_text(as_of), "packs": packs, "points": lost}),
    ))
}
