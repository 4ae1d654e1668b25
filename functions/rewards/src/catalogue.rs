//! The reward catalogue (staff): create, list, read, replace, restock.
//! Rewards are never deleted, since redemptions refer to them: a reward is
//! retired with `"active": false`.

use serde::Deserialize;
use serde_json::{json, Map};
use spin_sdk::http::Response;
use vip_domain::rewards::RewardSpec;
use vip_kit::body::{from_value, read_json};
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::memberships::TIERS;
use vip_store::rewards::{self, Reward, MAX_STOCK};

fn view(reward: &Reward) -> serde_json::Value {
    json!({
        "id": reward.id,
        "version": reward.version,
        "reward": reward.spec,
        "stock": {
            "unlimited": reward.stock_left.is_none(),
            "left": reward.stock_left,
            "held_by_open_requests": reward.stock_held,
        },
    })
}

fn validated(db: &Db, ctx: &Ctx<'_>, spec: &RewardSpec) -> Result<(), Problem> {
    let ladder = TIERS.load(db, ctx.now)?.document;
    spec.validate(|t| ladder.has_tier(t))
        .map_err(Problem::validation)
}

/// `POST /api/v1/rewards`: the reward's fields plus `stock` (a number of
/// units, or `null` / absent for unlimited).
pub fn create(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let mut fields: Map<String, serde_json::Value> = read_json(ctx.req)?;
    let stock = match fields.remove("stock") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .filter(|n| (0..=MAX_STOCK).contains(n))
                .ok_or_else(|| {
                    Problem::field(
                        "stock",
                        "must be a whole number of units (0 or more), or null for unlimited",
                    )
                })?,
        ),
    };
    let spec: RewardSpec = from_value(serde_json::Value::Object(fields))?;
    let db = Db::open()?;
    validated(&db, ctx, &spec)?;
    let reward = rewards::create(&db, &spec, stock, &ctx.actor(), ctx.now)?;
    Ok(vip_kit::json(201, &view(&reward)))
}

/// `GET /api/v1/rewards?active=true`: the catalogue.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let active = ctx.bool_query("active")?;
    let db = Db::open()?;
    let catalogue: Vec<_> = rewards::list(&db, active)?.iter().map(view).collect();
    Ok(vip_kit::json(200, &json!({ "rewards": catalogue })))
}

/// `GET /api/v1/rewards/{reward}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let reward = rewards::load(&Db::open()?, ctx.id_param("reward", "reward")?)?;
    Ok(vip_kit::json(200, &view(&reward)))
}

/// `PUT /api/v1/rewards/{reward}`: replaces the reward's fields (not its
/// stock), under `If-Match: "<version>"` when given. Open redemptions keep the
/// cost they were requested at.
pub fn replace(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("reward", "reward")?;
    let spec: RewardSpec = read_json(ctx.req)?;
    let expected = ctx.if_match()?;
    let db = Db::open()?;
    let current = rewards::load(&db, id)?;
    validated(&db, ctx, &spec)?;
    let version = expected.unwrap_or(current.version);
    match rewards::replace(&db, id, &spec, version, &ctx.actor(), ctx.now)? {
        Some(reward) => Ok(vip_kit::json(200, &view(&reward))),
        None => Err(Problem::new(
            412,
            "version-mismatch",
            "The reward changed since you read it",
            format!(
                "version {} is in force; read it again",
                rewards::load(&db, id)?.version
            ),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RestockBody {
    /// Units added (positive) or written off (negative).
    change: i64,
    reason: String,
}

/// `POST /api/v1/rewards/{reward}/stock`: adds or writes off units of a
/// limited reward; never below the units left.
pub fn restock(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("reward", "reward")?;
    let body: RestockBody = read_json(ctx.req)?;
    if body.change == 0 || body.change.abs() > MAX_STOCK {
        return Err(Problem::field(
            "change",
            "must be a non-zero number of units",
        ));
    }
    if body.reason.trim().is_empty() {
        return Err(Problem::field("reason", "is required: the audit says why"));
    }
    let db = Db::open()?;
    let current = rewards::load(&db, id)?;
    if current.stock_left.is_none() {
        return Err(Problem::conflict(
            "unlimited-stock",
            "The reward has unlimited stock",
            "only a reward created with a number of units has stock to change",
        ));
    }
    let reason = body.reason.trim();
    match rewards::restock(&db, id, body.change, reason, &ctx.actor(), ctx.now)? {
        Some(reward) => Ok(vip_kit::json(200, &view(&reward))),
        None => Err(Problem::conflict(
            "out-of-stock",
            "Not that many units are left",
            format!(
                "{} units are left; at most that many can be written off",
                rewards::load(&db, id)?.stock_left.unwrap_or(0)
            ),
        )),
    }
}
