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

use chrono::{DateTime, SubsecRound, Utc};
use serde::Deserialize;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::money::Money;
use vip_domain::tiers::{Purchase, PurchaseError, PurchaseId, TierChange, TierError, TierProgram};
use vip_domain::validation::FieldError;
use vip_kit::body::read_json;
use vip_kit::db::{parse_timestamp, timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::cards::{fulfil_pending, Fulfilment};
use vip_store::memberships::TIERS;
use vip_store::memberships::{self, Found, Membership};

use crate::customers::parse_id;

/// How often a tier change is retried when another request moved the member first.
const ATTEMPTS: usize = 3;

/// The membership of `id`, or 404.
fn membership(db: &Db, id: &CustomerId) -> Result<Membership, Problem> {
    match memberships::membership(db, id)? {
        Found::Member(m) => Ok(m),
        Found::NotAMember => Err(Problem::not_found(format!(
            "customer `{}` is not a member (no approved onboarding)",
            id.as_str()
        ))),
        Found::NoCustomer => Err(Problem::not_found(format!("no customer `{}`", id.as_str()))),
    }
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
    Ok(
        memberships::record_change(db, ctx, id, m, change, at, cause)?
            || memberships::change_by(db, id, cause)?.is_some(),
    )
}

/// Upgrades the member if this purchase, with every purchase on record up to
/// `now`, crossed a threshold (idempotent per purchase), starting from
/// membership `m` as read; re-read only on a retry.
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
    let to = ctx.now.max(purchase.at);
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            m = membership(db, id)?;
        }
        let history = memberships::purchases(db, id, from, to)?;
        let Some(up) = ladder
            .after_purchase(&m.tier, &history, purchase)
            .map_err(tier_problem)?
        else {
            return Ok(());
        };
        // A promotion's trigger opens the congratulation call from this document.
        vip_store::member_tasks::TASKS.load(db, ctx.now)?;
        if record_change(db, ctx, id, &m, &up.change, up.at, cause)? {
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
    // A member who is not active earns nothing; a replay of a purchase
    // recorded before answers as it did.
    if memberships::recorded_purchase(&db, &id, &purchase_id)?.is_none() {
        memberships::require_active(&db, &id)?;
    }
    // A purchase dated before the membership began counts like any other (the
    // ladder is about the last months' spend, as the eligibility rules are);
    // the answer says so plainly.
    let before_membership = purchase.at < parse_timestamp(&member.joined_at)?;
    let inserted = memberships::record_purchase(&db, ctx, &id, &purchase_id, &purchase)?;
    if !inserted {
        let stored = memberships::recorded_purchase(&db, &id, &purchase_id)?
            .ok_or_else(|| Problem::internal("purchase vanished"))?;
        if stored != purchase {
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
            "before_membership": before_membership,
            "points": earning,
            "replayed": !inserted,
            "tier_change": memberships::change_by(&db, &id, &cause)?,
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
    let history = memberships::purchases(db, id, from, now)?;
    let status = ladder
        .status(&m.tier, m.since, &history, now)
        .map_err(tier_problem)?;
    let last_change = memberships::last_change(db, id)?;
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
    let members = memberships::above(&db, &lowest)?;
    let from = ladder.history_start(as_of).map_err(tier_problem)?;
    let history = memberships::purchases_above(&db, &lowest, from, as_of)?;
    let cause = format!("review:{}", as_of.format("%Y-%m-%d"));
    let cards = Fulfilment::new(&db, ctx)?;
    let mut downgraded = Vec::new();
    for (id, m) in &members {
        let spend = history.get(id.as_str()).map_or(&[][..], Vec::as_slice);
        let Some(change) = ladder
            .review(&m.tier, m.since, spend, as_of)
            .map_err(tier_problem)?
        else {
            continue;
        };
        if record_change(&db, ctx, id, m, &change, as_of, &cause)? {
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
            "members_above_lowest_tier": members.len(),
            "downgraded": downgraded,
        }),
    ))
}
