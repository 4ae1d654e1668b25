//! The points ledger and redemptions (docs/domain.md §3). Purchases credit
//! points (members), redemptions reserve, commit and release them, staff
//! adjust them and the daily run expires them (rewards). The rules are
//! `vip_domain::points` and `vip_domain::rewards`; here are the sums they
//! read and the guarded statements that write.
//!
//! A redemption request is one guarded INSERT, written only if the reward
//! (at the version checked) still has a unit left and the member still has
//! the redeemable points, so two requests never take the same points or the
//! last unit. Each later move is one guarded UPDATE. The row carries its
//! move's `Settlement`, which its trigger applies to the ledger and the stock
//! in the same statement.

use crate::effects::Effect;
use crate::rewards::Reward;
use chrono::{DateTime, Utc};
use serde::Serialize;
use vip_domain::customer::CustomerId;
use vip_domain::points::{default_points_program, expiring, Earning, Lot, PointsProgram, Standing};
use vip_domain::rewards::{Approval, Decision, FulfilmentTarget, RedemptionState, Settlement};
use vip_domain::tiers::Purchase;

use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::settings::Document;
use vip_kit::Ctx;
use vip_kit::Problem;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "points_ledger_audit",
        table: "points_ledger",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits staff adjustments and expiries",
    },
    Effect {
        trigger: "redemptions_requested",
        table: "redemptions",
        on: "INSERT",
        writes: &["audit_events", "points_ledger", "rewards"],
        does: "applies the request's settlement: the reserve entry, the unit held, the audit row",
    },
    Effect {
        trigger: "redemptions_moved",
        table: "redemptions",
        on: "UPDATE OF state",
        writes: &["audit_events", "notice_outbox", "points_ledger", "rewards"],
        does: "applies a decision's settlement (commit or release entry, stock), audits it and tells the member",
    },
];

/// The points programme: earning rate, expiry, zone, review and fulfilment targets.
pub const PROGRAM: Document<PointsProgram> = Document {
    name: "points",
    key: "program",
    default: default_points_program,
    validate: PointsProgram::validate,
    in_use: None,
};

/// A request `vip_domain::rewards::check_redemption` accepted.
pub struct NewRedemption<'a> {
    /// The caller and their Idempotency-Key: a retry finds the first request.
    pub request_key: &'a str,
    pub customer: &'a CustomerId,
    /// The reward as the check read it (its version guards the INSERT).
    pub reward: &'a Reward,
    pub decision: &'a Decision,
    /// What the request holds (`Settlement::reserve`).
    pub settlement: Settlement,
    /// The start of today (programme zone): points earned since are not redeemable.
    pub today_starts: DateTime<Utc>,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

/// Writes the request if the reward is unchanged with a unit left, the
/// membership is still active (not suspended, exited or revoked meanwhile)
/// and the member can still pay; answers its id, `None` if the guard or the request
/// key (a retry) stopped it. Fires `redemptions_requested`: the reserve
/// entry, the unit held and the audit row, in this statement.
pub fn request_redemption(db: &Db, new: &NewRedemption<'_>) -> Result<Option<i64>, Problem> {
    let (s, d) = (&new.settlement, new.decision);
    let approval = match d.approval {
        Approval::Automatic => "automatic",
        Approval::Manual => "manual",
    };
    db.one(
        &format!(
            "INSERT INTO redemptions (request_key, customer_id, reward_id, cost, limited_stock, state, approval,
            approval_reason, fulfilment, requested_at, requested_by, review_due_at, updated_at, updated_by,
            settle_entry, settle_points, settle_held, settle_stock_left, settle_stock_held)
         SELECT ?1, ?2, ?3, ?4, ?5, 'requested', ?6, ?7, ?8, ?9, ?10, ?11, ?9, ?10, ?12, ?13, ?14, ?15, ?16
         WHERE EXISTS (SELECT 1 FROM rewards WHERE id = ?3 AND version = ?17 AND (stock_left IS NULL OR stock_left >= 1))
           AND {} = 'active'
           AND (SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE customer_id = ?2)
             - (SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE customer_id = ?2 AND kind = 'earn' AND at >= ?18) >= ?4
         ON CONFLICT (request_key) DO NOTHING
         RETURNING id",
            crate::memberships::state_sql("?2")
        ),
        &[
            Value::Text(new.request_key.into()),
            Value::Text(new.customer.as_str().into()),
            Value::Integer(new.reward.id),
            Value::Integer(i64::from(new.reward.spec.cost)),
            Value::Integer(i64::from(new.reward.limited())),
            Value::Text(approval.into()),
            Value::Text(d.why.clone()),
            Value::Text(serde_json::to_string(&d.fulfilment).map_err(Problem::internal)?),
            timestamp(new.at),
            Value::Text(new.actor.into()),
            timestamp(d.review_due),
            Value::Text(s.entry.unwrap_or("reserve").into()),
            Value::Integer(s.points),
            Value::Integer(s.held),
            Value::Integer(s.stock_left),
            Value::Integer(s.stock_held),
            Value::Integer(new.reward.version),
            timestamp(new.today_starts),
        ],
        |row| row.int("id"),
    )
}

/// One move of a redemption (`vip_domain::rewards::transition`).
pub struct RedemptionMove<'a> {
    pub id: i64,
    /// The state the move was judged from: the guard.
    pub from: RedemptionState,
    pub to: RedemptionState,
    /// What the move does to points and stock (`Settlement::of`).
    pub settlement: Settlement,
    /// On approval, when the reward is due; `None` keeps what is stored.
    pub fulfil_by: Option<DateTime<Utc>>,
    pub reason: Option<&'a str>,
    pub actor: &'a str,
    pub at: DateTime<Utc>,
}

/// Moves the redemption if it is still in `from`; answers whether it moved.
/// Fires `redemptions_moved`: the commit or release entry, the stock, the
/// audit row and the member's notice, in this statement.
pub fn move_redemption(db: &Db, m: &RedemptionMove<'_>) -> Result<bool, Problem> {
    let s = &m.settlement;
    let moved = db.one(
        "UPDATE redemptions SET state = ?1, reason = ?2, updated_at = ?3, updated_by = ?4,
                decided_at = CASE WHEN ?1 IN ('approved', 'rejected') THEN ?3 ELSE decided_at END,
                fulfil_by = COALESCE(?5, fulfil_by),
                fulfilled_at = CASE WHEN ?1 = 'fulfilled' THEN ?3 ELSE fulfilled_at END,
                settle_entry = ?6, settle_points = ?7, settle_held = ?8,
                settle_stock_left = ?9, settle_stock_held = ?10
         WHERE id = ?11 AND state = ?12 RETURNING id",
        &[
            Value::Text(m.to.as_str().into()),
            m.reason.map_or(Value::Null, |x| Value::Text(x.into())),
            timestamp(m.at),
            Value::Text(m.actor.into()),
            m.fulfil_by.map_or(Value::Null, timestamp),
            s.entry.map_or(Value::Null, |e| Value::Text(e.into())),
            Value::Integer(s.points),
            Value::Integer(s.held),
            Value::Integer(s.stock_left),
            Value::Integer(s.stock_held),
            Value::Integer(m.id),
            Value::Text(m.from.as_str().into()),
        ],
        |row| row.int("id"),
    )?;
    Ok(moved.is_some())
}

/// A stored redemption, with its reward's name and kind.
pub struct StoredRedemption {
    pub id: i64,
    pub customer_id: CustomerId,
    pub reward_id: i64,
    pub reward_name: Option<String>,
    pub reward_kind: Option<String>,
    pub cost: u32,
    /// Holds a unit of limited stock.
    pub limited: bool,
    pub state: RedemptionState,
    pub approval: Approval,
    pub approval_reason: String,
    pub fulfilment: FulfilmentTarget,
    pub requested_at: DateTime<Utc>,
    pub requested_by: String,
    pub review_due_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub fulfil_by: Option<DateTime<Utc>>,
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// Why of the last move.
    pub reason: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

const REDEMPTION: &str = "SELECT r.id, r.customer_id, r.reward_id,
    json_extract(w.spec, '$.name') AS reward_name, json_extract(w.spec, '$.kind') AS reward_kind,
    r.cost, r.limited_stock, r.state, r.approval, r.approval_reason, r.fulfilment, r.requested_at, r.requested_by,
    r.review_due_at, r.decided_at, r.fulfil_by, r.fulfilled_at, r.reason, r.updated_at, r.updated_by
    FROM redemptions r JOIN rewards w ON w.id = r.reward_id";

fn redemption_of(row: Row<'_>) -> Result<StoredRedemption, Problem> {
    Ok(StoredRedemption {
        id: row.int("id")?,
        customer_id: CustomerId::parse(&row.text("customer_id")?).map_err(Problem::internal)?,
        reward_id: row.int("reward_id")?,
        reward_name: row.opt_text("reward_name")?,
        reward_kind: row.opt_text("reward_kind")?,
        cost: u32::try_from(row.int("cost")?).map_err(Problem::internal)?,
        limited: row.flag("limited_stock")?,
        state: RedemptionState::parse(&row.text("state")?).map_err(Problem::internal)?,
        approval: row.parse("approval")?,
        approval_reason: row.text("approval_reason")?,
        fulfilment: row.json("fulfilment")?,
        requested_at: row.time("requested_at")?,
        requested_by: row.text("requested_by")?,
        review_due_at: row.time("review_due_at")?,
        decided_at: row.opt_time("decided_at")?,
        fulfil_by: row.opt_time("fulfil_by")?,
        fulfilled_at: row.opt_time("fulfilled_at")?,
        reason: row.opt_text("reason")?,
        updated_at: row.time("updated_at")?,
        updated_by: row.text("updated_by")?,
    })
}

/// The redemption `id`, if any.
pub fn redemption(db: &Db, id: i64) -> Result<Option<StoredRedemption>, Problem> {
    db.one(
        &format!("{REDEMPTION} WHERE r.id = ?"),
        &[Value::Integer(id)],
        redemption_of,
    )
}

/// The redemption a request key wrote, if any.
pub fn redemption_by_key(db: &Db, request_key: &str) -> Result<Option<StoredRedemption>, Problem> {
    db.one(
        &format!("{REDEMPTION} WHERE r.request_key = ?"),
        &[Value::Text(request_key.into())],
        redemption_of,
    )
}

/// Which redemptions to list.
pub struct RedemptionQuery<'a> {
    pub customer: Option<&'a CustomerId>,
    pub state: Option<RedemptionState>,
    /// Only those past their review or fulfilment target at `now`, oldest due
    /// first (the review queue); otherwise newest first.
    pub overdue: bool,
    pub now: DateTime<Utc>,
    pub limit: i64,
}

/// The redemptions `query` asks for.
pub fn redemptions(db: &Db, query: &RedemptionQuery<'_>) -> Result<Vec<StoredRedemption>, Problem> {
    let order = if query.overdue {
        "COALESCE(CASE WHEN r.state = 'requested' THEN r.review_due_at ELSE r.fulfil_by END, '') , r.id"
    } else {
        "r.id DESC"
    };
    db.all(
        &format!(
            "{REDEMPTION}
             WHERE (?1 IS NULL OR r.customer_id = ?1) AND (?2 IS NULL OR r.state = ?2)
               AND (?3 = 0 OR (r.state = 'requested' AND r.review_due_at < ?4)
                           OR (r.state = 'approved' AND r.fulfil_by < ?4))
             ORDER BY {order} LIMIT ?5"
        ),
        &[
            query
                .customer
                .map_or(Value::Null, |c| Value::Text(c.as_str().into())),
            query
                .state
                .map_or(Value::Null, |s| Value::Text(s.as_str().into())),
            Value::Integer(i64::from(query.overdue)),
            timestamp(query.now),
            Value::Integer(query.limit),
        ],
        redemption_of,
    )
}

/// The tier of a member, or 404: points belong to memberships.
pub fn member_tier(db: &Db, customer: &CustomerId) -> Result<String, Problem> {
    crate::memberships::tier_of(db, customer)?.ok_or_else(|| {
        Problem::not_found(format!(
            "customer `{}` holds no membership (points belong to approved members)",
            customer.as_str()
        ))
    })
}

/// A member's points now: available, reserved, and earned since today began.
pub fn standing(
    db: &Db,
    customer: &CustomerId,
    program: &PointsProgram,
    now: DateTime<Utc>,
) -> Result<Standing, Problem> {
    db.one(
        "SELECT COALESCE(SUM(points), 0) AS available, COALESCE(SUM(held), 0) AS reserved,
                COALESCE(SUM(CASE WHEN kind = 'earn' AND at >= ?2 THEN points ELSE 0 END), 0) AS earned_today
         FROM points_ledger WHERE customer_id = ?1",
        &[
            Value::Text(customer.as_str().into()),
            timestamp(program.today_starts(now)),
        ],
        |row| {
            Ok(Standing {
                available: row.int("available")?,
                reserved: row.int("reserved")?,
                earned_today: row.int("earned_today")?,
            })
        },
    )?
    .ok_or_else(|| Problem::internal("an aggregate returned no row"))
}

/// Credits the points a purchase earns, once per purchase (a replay writes
/// nothing and reports what the first call credited).
pub fn credit_purchase(
    db: &Db,
    ctx: &Ctx<'_>,
    customer: &str,
    purchase_id: &str,
    purchase: &Purchase,
    tier: &str,
    multiplier_hundredths: u32,
) -> Result<Earning, Problem> {
    let (now, actor) = (ctx.now, ctx.actor());
    let program = PROGRAM.load(db, now)?.document;
    let earning = program.earn(purchase, tier, multiplier_hundredths);
    let source = format!("purchase:{purchase_id}");
    if earning.points > 0 {
        db.exec(
            "INSERT INTO points_ledger (customer_id, kind, points, at, expires_at, source, reason, actor, recorded_at)
             VALUES (?, 'earn', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id, source) DO NOTHING",
            &[
                Value::Text(customer.into()),
                Value::Integer(earning.points),
                timestamp(purchase.at),
                timestamp(program.expires_at(purchase.at)),
                Value::Text(source.clone()),
                Value::Text(earning.reason.clone()),
                Value::Text(actor),
                timestamp(now),
            ],
        )?;
    }
    let stored = db.one(
        "SELECT points, reason FROM points_ledger WHERE customer_id = ? AND source = ?",
        &[Value::Text(customer.into()), Value::Text(source)],
        |row| {
            Ok(Earning {
                points: row.int("points")?,
                reason: row.text("reason")?,
            })
        },
    )?;
    Ok(stored.unwrap_or(earning))
}

/// A staff correction.
pub struct Adjustment<'a> {
    /// Points granted (positive) or deducted (negative).
    pub points: i64,
    /// A grant's expiry; `None` for a deduction.
    pub expires_at: Option<DateTime<Utc>>,
    /// The adjustment's identity: the same source is the same adjustment.
    pub source: &'a str,
    pub reason: &'a str,
}

/// Writes the adjustment unless a deduction would take the balance below
/// zero or its source was written before; answers the new entry's id.
/// Fires `points_ledger_audit`.
pub fn adjust(
    db: &Db,
    customer: &CustomerId,
    a: &Adjustment<'_>,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Option<i64>, Problem> {
    db.one(
        "INSERT INTO points_ledger (customer_id, kind, points, at, expires_at, source, reason, actor, recorded_at)
         SELECT ?1, 'adjust', ?2, ?3, ?4, ?5, ?6, ?7, ?3
         WHERE ?2 > 0 OR (SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE customer_id = ?1) + ?2 >= 0
         ON CONFLICT (customer_id, source) DO NOTHING
         RETURNING id",
        &[
            Value::Text(customer.as_str().into()),
            Value::Integer(a.points),
            timestamp(at),
            a.expires_at.map_or(Value::Null, timestamp),
            Value::Text(a.source.into()),
            Value::Text(a.reason.into()),
            Value::Text(actor.into()),
        ],
        |row| row.int("id"),
    )
}

/// The id of the entry `source` wrote to `customer`'s ledger, if any.
pub fn entry_id(db: &Db, customer: &CustomerId, source: &str) -> Result<Option<i64>, Problem> {
    db.one(
        "SELECT id FROM points_ledger WHERE customer_id = ? AND source = ?",
        &[
            Value::Text(customer.as_str().into()),
            Value::Text(source.into()),
        ],
        |row| row.int("id"),
    )
}

/// Every credit of `customer` (earned or granted) with its expiry.
pub fn credits(db: &Db, customer: &CustomerId) -> Result<Vec<Lot>, Problem> {
    db.all(
        "SELECT points, expires_at FROM points_ledger WHERE customer_id = ? AND expires_at IS NOT NULL",
        &[Value::Text(customer.as_str().into())],
        |row| {
            Ok(Lot {
                points: row.int("points")?,
                expires_at: row.time("expires_at")?,
            })
        },
    )
}

/// One line of a member's statement.
pub struct LedgerEntry {
    pub id: i64,
    pub kind: String,
    pub points: i64,
    /// Change to the points redemptions hold.
    pub held: i64,
    pub at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub source: String,
    pub reason: Option<String>,
    pub actor: String,
    pub recorded_at: DateTime<Utc>,
}

/// Up to `limit` entries of `customer`'s ledger with ids below `before`, newest first.
pub fn statement(
    db: &Db,
    customer: &CustomerId,
    before: i64,
    limit: i64,
) -> Result<Vec<LedgerEntry>, Problem> {
    db.all(
        "SELECT id, kind, points, held, at, expires_at, source, reason, actor, recorded_at
         FROM points_ledger WHERE customer_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
        &[
            Value::Text(customer.as_str().into()),
            Value::Integer(before),
            Value::Integer(limit),
        ],
        |row| {
            Ok(LedgerEntry {
                id: row.int("id")?,
                kind: row.text("kind")?,
                points: row.int("points")?,
                held: row.int("held")?,
                at: row.time("at")?,
                expires_at: row.opt_time("expires_at")?,
                source: row.text("source")?,
                reason: row.opt_text("reason")?,
                actor: row.text("actor")?,
                recorded_at: row.time("recorded_at")?,
            })
        },
    )
}

/// What one expiry run did.
#[derive(Debug, Serialize)]
pub struct ExpiryRun {
    pub as_of: String,
    pub members_with_credits_due: usize,
    pub members_expired: usize,
    pub points_expired: i64,
}

/// Members per INSERT: one statement expires a batch, each member guarded.
const BATCH: usize = 500;
/// Passes over members whose ledger moved while the run computed.
const PASSES: usize = 3;

/// Expires, for every member, what is left of the credits due by `as_of`
/// (FIFO). One entry per member and day (`expiry:<date>`), so a second run
/// the same day writes nothing; each entry is written only if the member's
/// ledger did not move since it was read, so a concurrent redemption is never
/// overdrawn (that member is recomputed in the next pass). Each entry fires
/// `points_ledger_audit`.
pub fn run_expiry(
    db: &Db,
    program: &PointsProgram,
    as_of: DateTime<Utc>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ExpiryRun, Problem> {
    let day = program.zone.date_of(as_of);
    let reason = format!(
        "credits not spent within {} months expire, oldest first (run as of {day})",
        program.expiry_months
    );
    let mut run = ExpiryRun {
        as_of: vip_kit::db::timestamp_text(as_of),
        members_with_credits_due: 0,
        members_expired: 0,
        points_expired: 0,
    };
    for pass in 0..PASSES {
        let members = db.all(
            "SELECT customer_id,
                    SUM(CASE WHEN expires_at IS NOT NULL THEN points ELSE 0 END) AS credited,
                    SUM(CASE WHEN expires_at <= ?1 THEN points ELSE 0 END) AS credited_due,
                    SUM(points) AS available, MAX(id) AS last
             FROM points_ledger
             WHERE customer_id IN (SELECT DISTINCT customer_id FROM points_ledger WHERE expires_at <= ?1)
             GROUP BY customer_id",
            &[timestamp(as_of)],
            |row| {
                let n = expiring(
                    row.int("credited")?,
                    row.int("credited_due")?,
                    row.int("available")?,
                );
                Ok((row.text("customer_id")?, n, row.int("last")?))
            },
        )?;
        if pass == 0 {
            run.members_with_credits_due = members.len();
        }
        let due: Vec<serde_json::Value> = members
            .into_iter()
            .filter(|(_, n, _)| *n > 0)
            .map(|(c, n, last)| serde_json::json!({ "c": c, "n": n, "last": last }))
            .collect();
        if due.is_empty() {
            break;
        }
        for chunk in due.chunks(BATCH) {
            let expired = db.all(
                "INSERT INTO points_ledger (customer_id, kind, points, at, source, reason, actor, recorded_at)
                 SELECT json_extract(j.value, '$.c'), 'expire', -json_extract(j.value, '$.n'), ?1, ?2, ?3, ?4, ?5
                 FROM json_each(?6) j
                 WHERE (SELECT MAX(id) FROM points_ledger WHERE customer_id = json_extract(j.value, '$.c'))
                       = json_extract(j.value, '$.last')
                 ON CONFLICT (customer_id, source) DO NOTHING
                 RETURNING -points AS expired",
                &[
                    timestamp(as_of),
                    Value::Text(format!("expiry:{day}")),
                    Value::Text(reason.clone()),
                    Value::Text(actor.into()),
                    timestamp(now),
                    Value::Text(serde_json::Value::from(chunk.to_vec()).to_string()),
                ],
                |row| row.int("expired"),
            )?;
            run.members_expired += expired.len();
            run.points_expired += expired.iter().sum::<i64>();
        }
    }
    Ok(run)
}
