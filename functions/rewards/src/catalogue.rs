//! The reward catalogue (staff): create, list, read, replace, restock.
//! Rewards are never deleted, since redemptions refer to them: a reward is
//! retired with `"active": false`.

use serde::Deserialize;
use serde_json::{json, Map};
use spin_sdk::http::Response;
use vip_domain::rewards::RewardSpec;
use vip_kit::body::{from_value, read_json};
use vip_kit::db::{int, json_column, timestamp, Db, Value};
use vip_kit::settings::TIERS;
use vip_kit::{Ctx, Problem};

/// Largest stock a reward may hold.
const MAX_STOCK: i64 = 1_000_000_000;

/// A stored reward.
pub struct Reward {
    pub id: i64,
    pub spec: RewardSpec,
    pub version: i64,
    /// Units left to redeem; `None`: unlimited.
    pub stock_left: Option<i64>,
    pub stock_held: i64,
}

impl Reward {
    pub fn view(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "version": self.version,
            "reward": self.spec,
            "stock": {
                "unlimited": self.stock_left.is_none(),
                "left": self.stock_left,
                "held_by_open_requests": self.stock_held,
            },
        })
    }
}

const COLUMNS: &str = "id, spec, version, stock_left, stock_held";

fn from_row(row: &spin_sdk::sqlite::RowResult) -> Result<Reward, Problem> {
    Ok(Reward {
        id: int(row, 0)?,
        spec: json_column(row, 1)?,
        version: int(row, 2)?,
        stock_left: row.get::<i64>(3),
        stock_held: int(row, 4)?,
    })
}

/// A reward by id, or 404.
pub fn load(db: &Db, id: i64) -> Result<Reward, Problem> {
    db.first(
        &format!("SELECT {COLUMNS} FROM rewards WHERE id = ?"),
        &[Value::Integer(id)],
    )?
    .map(|row| from_row(&row))
    .transpose()?
    .ok_or_else(|| Problem::not_found(format!("there is no reward {id}")))
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
    let row = db
        .first(
            &format!(
                "INSERT INTO rewards (spec, stock_left, created_at, updated_at, updated_by)
                 VALUES (?1, ?2, ?3, ?3, ?4) RETURNING {COLUMNS}"
            ),
            &[
                Value::Text(serde_json::to_string(&spec).map_err(Problem::internal)?),
                stock.map_or(Value::Null, Value::Integer),
                timestamp(ctx.now),
                Value::Text(ctx.actor()),
            ],
        )?
        .ok_or_else(|| Problem::internal("the reward was not stored"))?;
    Ok(vip_kit::json(201, &from_row(&row)?.view()))
}

/// `GET /api/v1/rewards?active=true`: the catalogue.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let active = ctx.bool_query("active")?;
    let db = Db::open()?;
    let rows = db.exec(
        &format!(
            "SELECT {COLUMNS} FROM rewards
             WHERE ?1 IS NULL OR json_extract(spec, '$.active') = ?1 ORDER BY id"
        ),
        &[active.map_or(Value::Null, |a| Value::Integer(i64::from(a)))],
    )?;
    let rewards = rows
        .rows
        .iter()
        .map(|r| from_row(r).map(|r| r.view()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(vip_kit::json(200, &json!({ "rewards": rewards })))
}

/// `GET /api/v1/rewards/{reward}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let reward = load(&Db::open()?, ctx.id_param("reward", "reward")?)?;
    Ok(vip_kit::json(200, &reward.view()))
}

/// `PUT /api/v1/rewards/{reward}`: replaces the reward's fields (not its
/// stock), under `If-Match: "<version>"` when given. Open redemptions keep the
/// cost they were requested at.
pub fn replace(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("reward", "reward")?;
    let spec: RewardSpec = read_json(ctx.req)?;
    let expected = ctx.if_match()?;
    let db = Db::open()?;
    let current = load(&db, id)?;
    validated(&db, ctx, &spec)?;
    let updated = db.first(
        &format!(
            "UPDATE rewards SET spec = ?1, version = version + 1, updated_at = ?2, updated_by = ?3
             WHERE id = ?4 AND version = ?5 RETURNING {COLUMNS}"
        ),
        &[
            Value::Text(serde_json::to_string(&spec).map_err(Problem::internal)?),
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
            Value::Integer(id),
            Value::Integer(expected.unwrap_or(current.version)),
        ],
    )?;
    match updated {
        Some(row) => Ok(vip_kit::json(200, &from_row(&row)?.view())),
        None => Err(Problem::new(
            412,
            "version-mismatch",
            "The reward changed since you read it",
            format!(
                "version {} is in force; read it again",
                load(&db, id)?.version
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
    let current = load(&db, id)?;
    if current.stock_left.is_none() {
        return Err(Problem::conflict(
            "unlimited-stock",
            "The reward has unlimited stock",
            "only a reward created with a number of units has stock to change",
        ));
    }
    let updated = db.first(
        &format!(
            "UPDATE rewards SET stock_left = stock_left + ?1, restocks = restocks + 1, restock_reason = ?2,
                    updated_at = ?3, updated_by = ?4
             WHERE id = ?5 AND stock_left + ?1 BETWEEN 0 AND ?6 RETURNING {COLUMNS}"
        ),
        &[
            Value::Integer(body.change),
            Value::Text(body.reason.trim().into()),
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
            Value::Integer(id),
            Value::Integer(MAX_STOCK),
        ],
    )?;
    match updated {
        Some(row) => Ok(vip_kit::json(200, &from_row(&row)?.view())),
        None => Err(Problem::conflict(
            "out-of-stock",
            "Not that many units are left",
            format!(
                "{} units are left; at most that many can be written off",
                load(&db, id)?.stock_left.unwrap_or(0)
            ),
        )),
    }
}
