//! Members and their tiers (docs/domain.md §1 "Tiered membership"; seeds 000 §3,
//! 004): purchases that count, an upgrade the moment a threshold is crossed,
//! downgrades only at a review, and "what keeps my tier".
//!
//! A tier change is one conditional INSERT into `tier_changes`, guarded by
//! the tier (and since when) this request read and keyed by its cause
//! (`purchase:<id>`, `review:<date>`), so two requests never both move a
//! member and a replayed event moves nobody. Its SQL trigger moves the
//! membership, audits, notifies and orders the re-issued card; this module
//! then fulfils that order. A member holds a new tier from the purchase that
//! earned it (its `at`), which is also where the review window starts.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::money::{Currency, Money};
use vip_domain::tiers::{Purchase, PurchaseError, PurchaseId, TierChange, TierError, TierProgram};
use vip_domain::validation::FieldError;
use vip_kit::body::read_json;
use vip_kit::db::{int, parse_timestamp, text, timestamp, timestamp_text, Db, Value};
use vip_kit::settings::TIERS;
use vip_kit::{Ctx, Problem};
use vip_store::cards::{fulfil_pending, Fulfilment};

use crate::customers::parse_id;

/// How often a tier change is retried when another request moved the member first.
const ATTEMPTS: usize = 3;

struct Membership {
    tier: String,
    since: DateTime<Utc>,
    /// `tier_since` exactly as stored: the guard of a conditional change.
    since_text: String,
    joined_at: String,
}

impl Membership {
    /// From `tier, tier_since, joined_at` at column `at`.
    fn from_row(row: &spin_sdk::sqlite::RowResult, at: usize) -> Result<Self, Problem> {
        let since_text = text(row, at + 1)?;
        Ok(Membership {
            tier: text(row, at)?,
            since: parse_timestamp(&since_text)?,
            since_text,
            joined_at: text(row, at + 2)?,
        })
    }
}

fn membership(db: &Db, id: &CustomerId) -> Result<Membership, Problem> {
    let row = db
        .first(
            "SELECT m.tier, m.tier_since, m.joined_at, c.id IS NOT NULL
             FROM (SELECT ?1 AS id) q LEFT JOIN memberships m ON m.customer_id = q.id
             LEFT JOIN customers c ON c.id = q.id",
            &[Value::Text(id.as_str().into())],
        )?
        .ok_or_else(|| Problem::internal("membership lookup returned no row"))?;
    if row.get::<&str>(0).is_none() {
        let known = row.get::<i64>(3) == Some(1);
        return Err(Problem::not_found(if known {
            format!(
                "customer `{}` is not a member (no approved onboarding)",
                id.as_str()
            )
        } else {
            format!("no customer `{}`", id.as_str())
        }));
    };
    Membership::from_row(&row, 0)
}

fn purchase_from(row: &spin_sdk::sqlite::RowResult, offset: usize) -> Result<Purchase, Problem> {
    let currency = Currency::parse(&text(row, offset + 1)?).map_err(Problem::internal)?;
    Ok(Purchase {
        amount: Money::from_minor(int(row, offset)?, currency),
        at: parse_timestamp(&text(row, offset + 2)?)?,
        special_price: int(row, offset + 3)? == 1,
    })
}

/// A member's purchases in `(from, to]`.
fn purchases(
    db: &Db,
    id: &CustomerId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Purchase>, Problem> {
    db.exec(
        "SELECT amount_minor, currency, at, special_price FROM purchases
         WHERE customer_id = ? AND at > ? AND at <= ? ORDER BY at",
        &[
            Value::Text(id.as_str().into()),
            timestamp(from),
            timestamp(to),
        ],
    )?
    .rows
    .iter()
    .map(|row| purchase_from(row, 0))
    .collect()
}

fn tier_problem(e: TierError) -> Problem {
    match e {
        TierError::Date(m) => Problem::field("at", m),
        TierError::Money(m) => {
            Problem::unprocessable("amount-out-of-range", "Amounts out of range", m.to_string())
        }
        TierError::UnknownTier(t) => Problem::internal(format!("unknown tier {t}")),
    }
}

fn purchase_problem(e: PurchaseError) -> Problem {
    match e {
        PurchaseError::Invalid(errors) => Problem::validation(errors),
        PurchaseError::CurrencyMismatch { expected, got } => Problem {
            errors: vec![FieldError {
                field: "amount.currency".into(),
                message: format!("must be the tier ladder's currency {expected}"),
            }],
            ..Problem::unprocessable(
                "currency-mismatch",
                "Currencies do not match",
                format!("the purchase is in {got}; tier thresholds are in {expected}"),
            )
        },
    }
}

/// Records `change` if the member still holds `m.tier` since `m.since_text`;
/// whether this cause has moved the member (now or before).
fn record_change(
    db: &Db,
    ctx: &Ctx<'_>,
    id: &CustomerId,
    m: &Membership,
    change: &TierChange,
    at: DateTime<Utc>,
    cause: &str,
) -> Result<bool, Problem> {
    let direction = serde_json::to_value(change.direction).map_err(Problem::internal)?;
    let inserted = db.first(
        "INSERT INTO tier_changes (customer_id, at, from_tier, to_tier, direction, reason, cause, actor, recorded_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9
         WHERE EXISTS (SELECT 1 FROM memberships WHERE customer_id = ?1 AND tier = ?3 AND tier_since = ?10)
         ON CONFLICT (customer_id, cause) DO NOTHING RETURNING id",
        &[
            Value::Text(id.as_str().into()),
            timestamp(at),
            Value::Text(change.from.clone()),
            Value::Text(change.to.clone()),
            Value::Text(direction.as_str().unwrap_or_default().into()),
            Value::Text(change.reason.clone()),
            Value::Text(cause.into()),
            Value::Text(ctx.actor()),
            timestamp(ctx.now),
            Value::Text(m.since_text.clone()),
        ],
    )?;
    Ok(inserted.is_some() || recorded_change(db, id, cause)?.is_some())
}

#[derive(Serialize)]
struct ChangeView {
    at: String,
    from: String,
    to: String,
    direction: String,
    reason: String,
    cause: String,
}

fn change_view(row: &spin_sdk::sqlite::RowResult) -> Result<ChangeView, Problem> {
    Ok(ChangeView {
        at: text(row, 0)?,
        from: text(row, 1)?,
        to: text(row, 2)?,
        direction: text(row, 3)?,
        reason: text(row, 4)?,
        cause: text(row, 5)?,
    })
}

const CHANGE_COLUMNS: &str = "at, from_tier, to_tier, direction, reason, cause";

fn recorded_change(db: &Db, id: &CustomerId, cause: &str) -> Result<Option<ChangeView>, Problem> {
    db.first(
        &format!("SELECT {CHANGE_COLUMNS} FROM tier_changes WHERE customer_id = ? AND cause = ?"),
        &[Value::Text(id.as_str().into()), Value::Text(cause.into())],
    )?
    .map(|r| change_view(&r))
    .transpose()
}

/// Upgrades the member if this purchase crossed a threshold (idempotent per
/// purchase), starting from membership `m` as read; re-read only on a retry.
fn upgrade(
    db: &Db,
    ctx: &Ctx<'_>,
    id: &CustomerId,
    ladder: &TierProgram,
    purchase: &Purchase,
    cause: &str,
    mut m: Membership,
) -> Result<(), Problem> {
    let from = ladder.history_start(purchase.at).map_err(tier_problem)?;
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            m = membership(db, id)?;
        }
        let history = purchases(db, id, from, purchase.at)?;
        let Some(change) = ladder
            .after_purchase(&m.tier, &history, purchase)
            .map_err(tier_problem)?
        else {
            return Ok(());
        };
        if record_change(db, ctx, id, &m, &change, purchase.at, cause)? {
            return Ok(());
        }
    }
    Err(Problem::conflict(
        "concurrent-change",
        "The member's tier changed meanwhile",
        "retry the request",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PurchaseBody {
    purchase_id: String,
    amount: Money,
    at: DateTime<Utc>,
    #[serde(default)]
    special_price: bool,
}

/// `POST /api/v1/members/{id}/purchases`: records a spend event (201; the
/// same `purchase_id` again is 200 and changes nothing) and upgrades the
/// member at once if it crossed a threshold.
pub fn record_purchase(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = parse_id(ctx)?;
    let body: PurchaseBody = read_json(ctx.req)?;
    let purchase_id =
        PurchaseId::parse(&body.purchase_id).map_err(|m| Problem::field("purchase_id", m))?;
    let purchase = Purchase {
        amount: body.amount,
        // Stored to the millisecond; a replay must compare equal to what is stored.
        at: body.at.trunc_subsecs(3),
        special_price: body.special_price,
    };
    let db = Db::open()?;
    let ladder = TIERS.load(&db, ctx.now)?.document;
    ladder
        .check_purchase(&purchase, ctx.now)
        .map_err(purchase_problem)?;
    let member = membership(&db, &id)?;
    let inserted = db
        .first(
            "INSERT INTO purchases (customer_id, purchase_id, amount_minor, currency, at, special_price, recorded_at, recorded_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (customer_id, purchase_id) DO NOTHING RETURNING 1",
            &[
                Value::Text(id.as_str().into()),
                Value::Text(purchase_id.as_str().into()),
                Value::Integer(purchase.amount.minor()),
                Value::Text(purchase.amount.currency().to_string()),
                timestamp(purchase.at),
                Value::Integer(i64::from(purchase.special_price)),
                timestamp(ctx.now),
                Value::Text(ctx.actor()),
            ],
        )?
        .is_some();
    if !inserted {
        let stored = db
            .first(
                "SELECT amount_minor, currency, at, special_price FROM purchases
                 WHERE customer_id = ? AND purchase_id = ?",
                &[
                    Value::Text(id.as_str().into()),
                    Value::Text(purchase_id.as_str().into()),
                ],
            )?
            .ok_or_else(|| Problem::internal("purchase vanished"))?;
        if purchase_from(&stored, 0)? != purchase {
            return Err(Problem::unprocessable(
                "purchase-id-reused",
                "This purchase id was recorded with other details",
                format!(
                    "purchase `{}` is recorded with another amount, time or price flag",
                    purchase_id.as_str()
                ),
            ));
        }
    }
    // Also on a replay: a crash after the purchase and before its points or
    // its upgrade is completed here. Points are earned at the tier held when
    // the purchase is recorded, before any upgrade it causes.
    let earning = vip_store::points::credit_purchase(
        &db,
        ctx,
        id.as_str(),
        purchase_id.as_str(),
        &purchase,
        &member.tier,
        ladder.multiplier_of(&member.tier),
    )?;
    let cause = format!("purchase:{}", purchase_id.as_str());
    upgrade(&db, ctx, &id, &ladder, &purchase, &cause, member)?;
    fulfil_pending(&db, ctx, id.as_str())?;
    let status = tier_status(&db, &id, &ladder, ctx.now)?;
    Ok(vip_kit::json(
        if inserted { 201 } else { 200 },
        &serde_json::json!({
            "customer_id": id.as_str(),
            "purchase_id": purchase_id.as_str(),
            "amount": purchase.amount,
            "at": timestamp_text(purchase.at),
            "special_price": purchase.special_price,
            "qualifies": !purchase.special_price,
            "points": earning,
            "replayed": !inserted,
            "tier_change": recorded_change(&db, &id, &cause)?,
            "tier": status,
        }),
    ))
}

fn tier_status(
    db: &Db,
    id: &CustomerId,
    ladder: &TierProgram,
    now: DateTime<Utc>,
) -> Result<serde_json::Value, Problem> {
    let m = membership(db, id)?;
    let from = ladder.history_start(now).map_err(tier_problem)?;
    let history = purchases(db, id, from, now)?;
    let status = ladder
        .status(&m.tier, m.since, &history, now)
        .map_err(tier_problem)?;
    let last_change = db
        .first(
            &format!(
                "SELECT {CHANGE_COLUMNS} FROM tier_changes WHERE customer_id = ? ORDER BY id DESC LIMIT 1"
            ),
            &[Value::Text(id.as_str().into())],
        )?
        .map(|r| change_view(&r))
        .transpose()?;
    let mut view = serde_json::to_value(status).map_err(Problem::internal)?;
    if let Some(object) = view.as_object_mut() {
        object.insert("customer_id".into(), id.as_str().into());
        object.insert("member_since".into(), m.joined_at.into());
        object.insert(
            "last_change".into(),
            serde_json::to_value(last_change).map_err(Problem::internal)?,
        );
    }
    Ok(view)
}

/// `GET /api/v1/members/{id}/tier`: "what keeps my tier".
pub fn tier(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = parse_id(ctx)?;
    let db = Db::open()?;
    let ladder = TIERS.load(&db, ctx.now)?.document;
    Ok(vip_kit::json(
        200,
        &tier_status(&db, &id, &ladder, ctx.now)?,
    ))
}

/// `POST /api/v1/members/tier-review?as_of=…`: the scheduled review. Every
/// member above the lowest tier whose review date has come and whose spend
/// over the review window stayed under the maintenance threshold moves down.
/// Re-running it for the same day changes nothing.
pub fn review(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let as_of = ctx.as_of()?;
    let db = Db::open()?;
    let ladder = TIERS.load(&db, ctx.now)?.document;
    let lowest = ladder.lowest().map(|t| t.id.clone()).unwrap_or_default();
    let members = db.exec(
        "SELECT customer_id, tier, tier_since, joined_at FROM memberships WHERE tier <> ? ORDER BY customer_id",
        &[Value::Text(lowest.clone())],
    )?;
    let from = ladder.history_start(as_of).map_err(tier_problem)?;
    let mut history: HashMap<String, Vec<Purchase>> = HashMap::new();
    for row in &db
        .exec(
            "SELECT p.customer_id, p.amount_minor, p.currency, p.at, p.special_price
             FROM purchases p JOIN memberships m ON m.customer_id = p.customer_id
             WHERE m.tier <> ? AND p.at > ? AND p.at <= ?",
            &[Value::Text(lowest), timestamp(from), timestamp(as_of)],
        )?
        .rows
    {
        history
            .entry(text(row, 0)?)
            .or_default()
            .push(purchase_from(row, 1)?);
    }
    let cause = format!("review:{}", as_of.format("%Y-%m-%d"));
    let cards = Fulfilment::new(&db, ctx)?;
    let mut downgraded = Vec::new();
    for row in &members.rows {
        let id = CustomerId::parse(&text(row, 0)?).map_err(Problem::internal)?;
        let m = Membership::from_row(row, 1)?;
        let spend = history.get(id.as_str()).map_or(&[][..], Vec::as_slice);
        let Some(change) = ladder
            .review(&m.tier, m.since, spend, as_of)
            .map_err(tier_problem)?
        else {
            continue;
        };
        if record_change(&db, ctx, &id, &m, &change, as_of, &cause)? {
            cards.pending(id.as_str())?;
            downgraded.push(serde_json::json!({
                "customer_id": id.as_str(), "from": change.from, "to": change.to, "reason": change.reason,
            }));
        }
    }
    Ok(vip_kit::json(
        200,
        &serde_json::json!({
            "as_of": timestamp_text(as_of),
            "members_above_lowest_tier": members.rows.len(),
            "downgraded": downgraded,
        }),
    ))
}
