//! The points ledger's shell, shared by every component that writes it: the
//! purchase route credits points (eligibility), redemptions spend them
//! (rewards), and the expiry run (HTTP in rewards, and the `points-expiry`
//! cron component) expires them. The rules are `vip_domain::points`; here are
//! the sums they read and the guarded statements that write.

use crate::effects::Effect;
use chrono::{DateTime, Utc};
use serde::Serialize;
use vip_domain::points::{default_points_program, expiring, Earning, PointsProgram, Standing};
use vip_domain::tiers::Purchase;

use vip_kit::db::{int, text, timestamp, Db, Value};
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
        does: "audits grants and adjustments by staff",
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

/// A member's points now: available, reserved, and earned since today began.
pub fn standing(
    db: &Db,
    customer: &str,
    program: &PointsProgram,
    now: DateTime<Utc>,
) -> Result<Standing, Problem> {
    let row = db
        .first(
            "SELECT COALESCE(SUM(points), 0), COALESCE(SUM(held), 0),
                    COALESCE(SUM(CASE WHEN kind = 'earn' AND at >= ?2 THEN points ELSE 0 END), 0)
             FROM points_ledger WHERE customer_id = ?1",
            &[
                Value::Text(customer.into()),
                timestamp(program.today_starts(now)),
            ],
        )?
        .ok_or_else(|| Problem::internal("an aggregate returned no row"))?;
    Ok(Standing {
        available: int(&row, 0)?,
        reserved: int(&row, 1)?,
        earned_today: int(&row, 2)?,
    })
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
    let stored = db.first(
        "SELECT points, reason FROM points_ledger WHERE customer_id = ? AND source = ?",
        &[Value::Text(customer.into()), Value::Text(source)],
    )?;
    Ok(match stored {
        Some(row) => Earning {
            points: int(&row, 0)?,
            reason: text(&row, 1)?,
        },
        None => earning,
    })
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
/// overdrawn (that member is recomputed in the next pass).
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
        let rows = db.exec(
            "SELECT customer_id,
                    SUM(CASE WHEN expires_at IS NOT NULL THEN points ELSE 0 END),
                    SUM(CASE WHEN expires_at <= ?1 THEN points ELSE 0 END),
                    SUM(points), MAX(id)
             FROM points_ledger
             WHERE customer_id IN (SELECT DISTINCT customer_id FROM points_ledger WHERE expires_at <= ?1)
             GROUP BY customer_id",
            &[timestamp(as_of)],
        )?;
        if pass == 0 {
            run.members_with_credits_due = rows.rows.len();
        }
        let mut due = Vec::new();
        for row in &rows.rows {
            let n = expiring(int(row, 1)?, int(row, 2)?, int(row, 3)?);
            if n > 0 {
                due.push(serde_json::json!({ "c": text(row, 0)?, "n": n, "last": int(row, 4)? }));
            }
        }
        if due.is_empty() {
            break;
        }
        for chunk in due.chunks(BATCH) {
            let written = db.exec(
                "INSERT INTO points_ledger (customer_id, kind, points, at, source, reason, actor, recorded_at)
                 SELECT json_extract(j.value, '$.c'), 'expire', -json_extract(j.value, '$.n'), ?1, ?2, ?3, ?4, ?5
                 FROM json_each(?6) j
                 WHERE (SELECT MAX(id) FROM points_ledger WHERE customer_id = json_extract(j.value, '$.c'))
                       = json_extract(j.value, '$.last')
                 ON CONFLICT (customer_id, source) DO NOTHING
                 RETURNING -points",
                &[
                    timestamp(as_of),
                    Value::Text(format!("expiry:{day}")),
                    Value::Text(reason.clone()),
                    Value::Text(actor.into()),
                    timestamp(now),
                    Value::Text(serde_json::Value::from(chunk.to_vec()).to_string()),
                ],
            )?;
            run.members_expired += written.rows.len();
            for row in &written.rows {
                run.points_expired += int(row, 0)?;
            }
        }
    }
    Ok(run)
}

/// The tier of a member, or 404: points belong to memberships.
pub fn member_tier(db: &Db, customer: &str) -> Result<String, Problem> {
    db.first(
        "SELECT tier FROM memberships WHERE customer_id = ?",
        &[Value::Text(customer.into())],
    )?
    .map(|row| text(&row, 0))
    .transpose()?
    .ok_or_else(|| {
        Problem::not_found(format!(
            "customer `{customer}` holds no membership (points belong to approved members)"
        ))
    })
}
