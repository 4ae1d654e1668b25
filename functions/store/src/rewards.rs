//! The rewards catalogue and its stock (docs/domain.md §3). Rewards are
//! never deleted, since redemptions refer to them; redemptions move their
//! stock through their own triggers (`crate::points`).

use chrono::{DateTime, Utc};
use vip_domain::rewards::RewardSpec;
use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::Problem;

use crate::effects::Effect;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "rewards_audit_insert",
        table: "rewards",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a new reward",
    },
    Effect {
        trigger: "rewards_audit_update",
        table: "rewards",
        on: "UPDATE OF spec",
        writes: &["audit_events"],
        does: "audits a change to a reward",
    },
    Effect {
        trigger: "rewards_audit_restock",
        table: "rewards",
        on: "UPDATE OF restocks",
        writes: &["audit_events"],
        does: "audits a restock",
    },
];

/// Largest stock a reward may hold.
pub const MAX_STOCK: i64 = 1_000_000_000;

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
    /// Whether it has a stock (a redemption then holds a unit).
    pub fn limited(&self) -> bool {
        self.stock_left.is_some()
    }
}

const COLUMNS: &str = "id, spec, version, stock_left, stock_held";

fn reward(row: Row<'_>) -> Result<Reward, Problem> {
    Ok(Reward {
        id: row.int("id")?,
        spec: row.json("spec")?,
        version: row.int("version")?,
        stock_left: row.opt_int("stock_left")?,
        stock_held: row.int("stock_held")?,
    })
}

fn spec_text(spec: &RewardSpec) -> Result<Value, Problem> {
    Ok(Value::Text(
        serde_json::to_string(spec).map_err(Problem::internal)?,
    ))
}

/// Adds a reward with `stock` units (`None`: unlimited). Fires
/// `rewards_audit_insert`.
pub fn create(
    db: &Db,
    spec: &RewardSpec,
    stock: Option<i64>,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Reward, Problem> {
    db.one(
        &format!(
            "INSERT INTO rewards (spec, stock_left, created_at, updated_at, updated_by)
             VALUES (?1, ?2, ?3, ?3, ?4) RETURNING {COLUMNS}"
        ),
        &[
            spec_text(spec)?,
            stock.map_or(Value::Null, Value::Integer),
            timestamp(at),
            Value::Text(actor.into()),
        ],
        reward,
    )?
    .ok_or_else(|| Problem::internal("the reward was not stored"))
}

/// Replaces the reward's fields (not its stock) if it is still at
/// `version`; `None` if it is not. Fires `rewards_audit_update`.
pub fn replace(
    db: &Db,
    id: i64,
    spec: &RewardSpec,
    version: i64,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Option<Reward>, Problem> {
    db.one(
        &format!(
            "UPDATE rewards SET spec = ?1, version = version + 1, updated_at = ?2, updated_by = ?3
             WHERE id = ?4 AND version = ?5 RETURNING {COLUMNS}"
        ),
        &[
            spec_text(spec)?,
            timestamp(at),
            Value::Text(actor.into()),
            Value::Integer(id),
            Value::Integer(version),
        ],
        reward,
    )
}

/// Adds (or, negative, writes off) `change` units if the stock stays
/// within 0 and [`MAX_STOCK`]; `None` if it would not. Fires
/// `rewards_audit_restock`.
pub fn restock(
    db: &Db,
    id: i64,
    change: i64,
    reason: &str,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Option<Reward>, Problem> {
    db.one(
        &format!(
            "UPDATE rewards SET stock_left = stock_left + ?1, restocks = restocks + 1, restock_reason = ?2,
                    updated_at = ?3, updated_by = ?4
             WHERE id = ?5 AND stock_left + ?1 BETWEEN 0 AND ?6 RETURNING {COLUMNS}"
        ),
        &[
            Value::Integer(change),
            Value::Text(reason.into()),
            timestamp(at),
            Value::Text(actor.into()),
            Value::Integer(id),
            Value::Integer(MAX_STOCK),
        ],
        reward,
    )
}

/// A reward by id, or 404.
pub fn load(db: &Db, id: i64) -> Result<Reward, Problem> {
    db.one(
        &format!("SELECT {COLUMNS} FROM rewards WHERE id = ?"),
        &[Value::Integer(id)],
        reward,
    )?
    .ok_or_else(|| Problem::not_found(format!("there is no reward {id}")))
}

/// The catalogue in id order; `active` filters on the rewards' flag.
pub fn list(db: &Db, active: Option<bool>) -> Result<Vec<Reward>, Problem> {
    db.all(
        &format!(
            "SELECT {COLUMNS} FROM rewards
             WHERE ?1 IS NULL OR json_extract(spec, '$.active') = ?1 ORDER BY id"
        ),
        &[active.map_or(Value::Null, |a| Value::Integer(i64::from(a)))],
        reward,
    )
}
