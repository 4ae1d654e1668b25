//! Memberships and their tiers: purchases and tier changes (docs/domain.md §1).
//!
//! A tier change is one conditional INSERT into `tier_changes`, guarded by
//! the tier (and since when) the caller read and keyed by its cause, so two
//! requests never both move a member and a replayed event moves nobody; its
//! trigger moves the membership.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use vip_domain::customer::CustomerId;
use vip_domain::membership::{not_active_because, MembershipEvent, MembershipState, StateRecord};
use vip_domain::money::{Currency, Money};
use vip_domain::service::ServiceStatus;
use vip_domain::tiers::{default_tier_program, Purchase, PurchaseId, TierChange, TierProgram};
use vip_kit::db::{parse_timestamp, timestamp, Db, Row, Value};
use vip_kit::settings::{Document, InUse};
use vip_kit::{Ctx, Problem};

use crate::effects::Effect;

/// The tier ladder. It may not drop a tier a member holds.
pub const TIERS: Document<TierProgram> = Document {
    name: "tiers",
    key: "ladder",
    default: default_tier_program,
    validate: TierProgram::validate,
    in_use: Some(InUse {
        sql: "SELECT DISTINCT tier AS value FROM memberships
              WHERE tier NOT IN (SELECT json_extract(value, '$.id') FROM json_each(?1, '$.tiers'))
              ORDER BY 1",
        field: "tiers",
        slug: "tier-in-use",
        title: "A tier the new ladder drops is held by members",
        detail: "keep the tier, or move its members first",
    }),
};

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "purchases_audit",
        table: "purchases",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a recorded purchase",
    },
    Effect {
        trigger: "tier_changes_apply",
        table: "tier_changes",
        on: "INSERT",
        writes: &["audit_events", "card_orders", "memberships", "notice_outbox"],
        does: "moves the membership to the new tier, audits it, tells the member and orders a card with the new tier",
    },
    Effect {
        trigger: "membership_state_changed",
        table: "membership_state_changes",
        on: "INSERT",
        writes: &["audit_events", "cards", "notice_outbox"],
        does: "audits a membership's suspension, reactivation, exit or revocation, tells the member and moves their card in use the same way",
    },
];

/// Records purchase `purchase_id` of `customer` once: whether this call
/// wrote it (`false`: already recorded, nothing written). Fires
/// `purchases_audit`: its audit row.
pub fn record_purchase(
    db: &Db,
    ctx: &Ctx<'_>,
    customer: &CustomerId,
    purchase_id: &PurchaseId,
    purchase: &Purchase,
) -> Result<bool, Problem> {
    Ok(db
        .one(
            "INSERT INTO purchases (customer_id, purchase_id, amount_minor, currency, at, special_price, recorded_at, recorded_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (customer_id, purchase_id) DO NOTHING RETURNING 1",
            &[
                Value::Text(customer.as_str().into()),
                Value::Text(purchase_id.as_str().into()),
                Value::Integer(purchase.amount.minor()),
                Value::Text(purchase.amount.currency().to_string()),
                timestamp(purchase.at),
                Value::Integer(i64::from(purchase.special_price)),
                timestamp(ctx.now),
                Value::Text(ctx.actor()),
            ],
            |_| Ok(()),
        )?
        .is_some())
}

/// Records `change` of `customer` at `at`, keyed by `cause`, if the member
/// still holds `held.tier` since `held.since_text`: whether this call wrote
/// it (`false`: moved meanwhile, or this cause was recorded before). Fires
/// `tier_changes_apply`: the membership moves to the new tier from `at`, the
/// change is audited, the member told and a card with the new tier ordered.
pub fn record_change(
    db: &Db,
    ctx: &Ctx<'_>,
    customer: &CustomerId,
    held: &Membership,
    change: &TierChange,
    at: DateTime<Utc>,
    cause: &str,
) -> Result<bool, Problem> {
    let direction = serde_json::to_value(change.direction).map_err(Problem::internal)?;
    Ok(db
        .one(
            "INSERT INTO tier_changes (customer_id, at, from_tier, to_tier, direction, reason, cause, actor, recorded_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9
             WHERE EXISTS (SELECT 1 FROM memberships WHERE customer_id = ?1 AND tier = ?3 AND tier_since = ?10)
             ON CONFLICT (customer_id, cause) DO NOTHING RETURNING id",
            &[
                Value::Text(customer.as_str().into()),
                timestamp(at),
                Value::Text(change.from.clone()),
                Value::Text(change.to.clone()),
                Value::Text(direction.as_str().unwrap_or_default().into()),
                Value::Text(change.reason.clone()),
                Value::Text(cause.into()),
                Value::Text(ctx.actor()),
                timestamp(ctx.now),
                Value::Text(held.since_text.clone()),
            ],
            |_| Ok(()),
        )?
        .is_some())
}

/// The tier `customer` holds, if a member.
pub fn tier_of(db: &Db, customer: &CustomerId) -> Result<Option<String>, Problem> {
    db.one(
        "SELECT tier FROM memberships WHERE customer_id = ?",
        &[Value::Text(customer.as_str().into())],
        |row| row.text("tier"),
    )
}

/// A member's place on the tier ladder.
pub struct Membership {
    pub tier: String,
    pub since: DateTime<Utc>,
    /// `tier_since` exactly as stored: the guard of a conditional change.
    pub since_text: String,
    pub joined_at: String,
}

impl Membership {
    fn read(row: &Row<'_>) -> Result<Self, Problem> {
        let since_text = row.text("tier_since")?;
        Ok(Membership {
            tier: row.text("tier")?,
            since: parse_timestamp(&since_text)?,
            since_text,
            joined_at: row.text("joined_at")?,
        })
    }
}

/// What a customer id finds among memberships.
pub enum Found {
    Member(Membership),
    /// A stored customer with no membership (no approved onboarding).
    NotAMember,
    NoCustomer,
}

/// The membership of `customer`, or why there is none (one read).
pub fn membership(db: &Db, customer: &CustomerId) -> Result<Found, Problem> {
    db.one(
        "SELECT m.tier, m.tier_since, m.joined_at, c.id IS NOT NULL AS known
         FROM (SELECT ?1 AS id) q LEFT JOIN memberships m ON m.customer_id = q.id
         LEFT JOIN customers c ON c.id = q.id",
        &[Value::Text(customer.as_str().into())],
        |row| {
            Ok(if row.opt_text("tier")?.is_some() {
                Found::Member(Membership::read(&row)?)
            } else if row.opt_int("known")? == Some(1) {
                Found::NotAMember
            } else {
                Found::NoCustomer
            })
        },
    )?
    .ok_or_else(|| Problem::internal("membership lookup returned no row"))
}

/// Every member not at tier `lowest`, in customer order.
pub fn above(db: &Db, lowest: &str) -> Result<Vec<(CustomerId, Membership)>, Problem> {
    db.all(
        "SELECT customer_id, tier, tier_since, joined_at FROM memberships WHERE tier <> ? ORDER BY customer_id",
        &[Value::Text(lowest.into())],
        |row| {
            let id = CustomerId::parse(&row.text("customer_id")?).map_err(Problem::internal)?;
            Ok((id, Membership::read(&row)?))
        },
    )
}

fn purchase(row: &Row<'_>) -> Result<Purchase, Problem> {
    let currency = Currency::parse(&row.text("currency")?).map_err(Problem::internal)?;
    Ok(Purchase {
        amount: Money::from_minor(row.int("amount_minor")?, currency),
        at: row.time("at")?,
        special_price: row.int("special_price")? == 1,
    })
}

/// Purchase `purchase_id` of `customer` as recorded, if it was.
pub fn recorded_purchase(
    db: &Db,
    customer: &CustomerId,
    purchase_id: &PurchaseId,
) -> Result<Option<Purchase>, Problem> {
    db.one(
        "SELECT amount_minor, currency, at, special_price FROM purchases
         WHERE customer_id = ? AND purchase_id = ?",
        &[
            Value::Text(customer.as_str().into()),
            Value::Text(purchase_id.as_str().into()),
        ],
        |row| purchase(&row),
    )
}

/// The purchases of `customer` in `(from, to]`, oldest first.
pub fn purchases(
    db: &Db,
    customer: &CustomerId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Purchase>, Problem> {
    db.all(
        "SELECT amount_minor, currency, at, special_price FROM purchases
         WHERE customer_id = ? AND at > ? AND at <= ? ORDER BY at",
        &[
            Value::Text(customer.as_str().into()),
            timestamp(from),
            timestamp(to),
        ],
        |row| purchase(&row),
    )
}

/// The purchases in `(from, to]` of every member not at tier `lowest`, by
/// customer id (the tier review's history, in one read).
pub fn purchases_above(
    db: &Db,
    lowest: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<HashMap<String, Vec<Purchase>>, Problem> {
    let mut history: HashMap<String, Vec<Purchase>> = HashMap::new();
    for (customer, p) in db.all(
        "SELECT p.customer_id, p.amount_minor, p.currency, p.at, p.special_price
         FROM purchases p JOIN memberships m ON m.customer_id = p.customer_id
         WHERE m.tier <> ? AND p.at > ? AND p.at <= ?",
        &[Value::Text(lowest.into()), timestamp(from), timestamp(to)],
        |row| Ok((row.text("customer_id")?, purchase(&row)?)),
    )? {
        history.entry(customer).or_default().push(p);
    }
    Ok(history)
}

/// A recorded tier change, as answered to callers.
#[derive(Serialize)]
pub struct RecordedChange {
    pub at: String,
    pub from: String,
    pub to: String,
    pub direction: String,
    pub reason: String,
    pub cause: String,
}

const CHANGE_COLUMNS: &str = "at, from_tier, to_tier, direction, reason, cause";

fn recorded(row: &Row<'_>) -> Result<RecordedChange, Problem> {
    Ok(RecordedChange {
        at: row.text("at")?,
        from: row.text("from_tier")?,
        to: row.text("to_tier")?,
        direction: row.text("direction")?,
        reason: row.text("reason")?,
        cause: row.text("cause")?,
    })
}

/// The change `cause` made to `customer`'s tier, if any.
pub fn change_by(
    db: &Db,
    customer: &CustomerId,
    cause: &str,
) -> Result<Option<RecordedChange>, Problem> {
    db.one(
        &format!("SELECT {CHANGE_COLUMNS} FROM tier_changes WHERE customer_id = ? AND cause = ?"),
        &[
            Value::Text(customer.as_str().into()),
            Value::Text(cause.into()),
        ],
        |row| recorded(&row),
    )
}

/// The latest change to `customer`'s tier, if any.
pub fn last_change(db: &Db, customer: &CustomerId) -> Result<Option<RecordedChange>, Problem> {
    db.one(
        &format!(
            "SELECT {CHANGE_COLUMNS} FROM tier_changes WHERE customer_id = ? ORDER BY id DESC LIMIT 1"
        ),
        &[Value::Text(customer.as_str().into())],
        |row| recorded(&row),
    )
}

/// SQL for the membership state of the customer whose id is the SQL
/// expression `customer`: the latest move's, `active` if none.
pub(crate) fn state_sql(customer: &str) -> String {
    format!(
        "COALESCE((SELECT to_state FROM membership_state_changes WHERE customer_id = {customer}
                   ORDER BY id DESC LIMIT 1), 'active')"
    )
}

/// A membership's last recorded state change (`None`: active since joining).
pub fn state(db: &Db, customer: &CustomerId) -> Result<Option<StateRecord>, Problem> {
    db.one(
        "SELECT to_state, at, reason FROM membership_state_changes
         WHERE customer_id = ? ORDER BY id DESC LIMIT 1",
        &[Value::Text(customer.as_str().into())],
        |row| {
            Ok(StateRecord {
                state: row.parse("to_state")?,
                since: row.time("at")?,
                reason: row.opt_text("reason")?,
            })
        },
    )
}

/// A membership move as recorded.
#[derive(Serialize)]
pub struct StateChange {
    pub event: MembershipEvent,
    pub from: MembershipState,
    pub to: MembershipState,
    pub reason: Option<String>,
    pub at: String,
    pub by: String,
}

/// Every move of `customer`'s membership, oldest first.
pub fn state_changes(db: &Db, customer: &CustomerId) -> Result<Vec<StateChange>, Problem> {
    db.all(
        "SELECT event, from_state, to_state, reason, at, by FROM membership_state_changes
         WHERE customer_id = ? ORDER BY id",
        &[Value::Text(customer.as_str().into())],
        |row| {
            Ok(StateChange {
                event: row.parse("event")?,
                from: row.parse("from_state")?,
                to: row.parse("to_state")?,
                reason: row.opt_text("reason")?,
                at: row.text("at")?,
                by: row.text("by")?,
            })
        },
    )
}

/// A membership move to write.
pub struct NewStateChange<'a> {
    pub customer: &'a CustomerId,
    pub event: MembershipEvent,
    pub from: MembershipState,
    pub to: MembershipState,
    pub reason: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// Records a membership move if the state is still `from`; whether it was
/// written. Fires `membership_state_changed`: audit, notice, cards.
pub fn change_state(db: &Db, change: &NewStateChange<'_>) -> Result<bool, Problem> {
    Ok(db
        .one(
            &format!(
                "INSERT INTO membership_state_changes (customer_id, event, from_state, to_state, reason, at, by)
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE {} = ?3 RETURNING id",
                state_sql("?1")
            ),
            &[
                Value::Text(change.customer.as_str().into()),
                Value::Text(change.event.as_str().into()),
                Value::Text(change.from.as_str().into()),
                Value::Text(change.to.as_str().into()),
                change.reason.map_or(Value::Null, |r| Value::Text(r.into())),
                timestamp(change.at),
                Value::Text(change.by.into()),
            ],
            |_| Ok(()),
        )?
        .is_some())
}

/// Why `customer` may not earn or redeem now (their membership's state, or
/// their service's), or `None` if they may.
pub fn not_active(db: &Db, customer: &CustomerId) -> Result<Option<String>, Problem> {
    let record = state(db, customer)?;
    let service = crate::service::status_of(db, customer)?.unwrap_or(ServiceStatus::Active);
    Ok(not_active_because(record.as_ref(), service))
}

/// 409 `membership-not-active` with the reason, unless `customer` may earn
/// and redeem.
pub fn require_active(db: &Db, customer: &CustomerId) -> Result<(), Problem> {
    match not_active(db, customer)? {
        None => Ok(()),
        Some(why) => Err(Problem::conflict(
            "membership-not-active",
            "The membership is not active",
            format!(
                "customer `{}`: {why}; points are neither earned nor redeemed",
                customer.as_str()
            ),
        )),
    }
}
