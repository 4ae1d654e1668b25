//! A member's points: what they hold, what is reserved, what expires next and
//! the statement; staff adjustments; the expiry run for schedulers; the
//! points programme document.

use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::points::{next_expiry, Lot};
use vip_kit::body::read_json;
use vip_kit::db::{int, opt_text, parse_timestamp, text, timestamp, timestamp_text, Db, Value};
use vip_kit::{Ctx, Problem};
use vip_store::points::{member_tier, run_expiry, standing, PROGRAM};

/// Statement lines per page unless `?limit=` says otherwise (at most 200).
const PAGE: i64 = 50;

pub fn program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.get(ctx)
}

pub fn replace_program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.put(ctx)
}

fn member(ctx: &Ctx<'_>) -> Result<CustomerId, Problem> {
    CustomerId::parse(ctx.param("id")).map_err(|m| Problem::field("id", m))
}

/// `GET /api/v1/members/{id}/points?limit=&before=`: the balance, what is
/// reserved and redeemable, the soonest expiry, and the statement (newest
/// first; `next_before` pages back).
pub fn show(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = member(ctx)?;
    let limit = ctx.int_query("limit", 1, 200)?.unwrap_or(PAGE);
    let before = ctx.int_query("before", 1, i64::MAX)?.unwrap_or(i64::MAX);
    let db = Db::open()?;
    let tier = member_tier(&db, id.as_str())?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let now = standing(&db, id.as_str(), &program, ctx.now)?;
    let mut lots = Vec::new();
    for row in &db
        .exec(
            "SELECT points, expires_at FROM points_ledger WHERE customer_id = ? AND expires_at IS NOT NULL",
            &[Value::Text(id.as_str().into())],
        )?
        .rows
    {
        lots.push(Lot {
            points: int(row, 0)?,
            expires_at: parse_timestamp(&text(row, 1)?)?,
        });
    }
    let credited: i64 = lots.iter().map(|l| l.points).sum();
    let soonest = next_expiry(&lots, credited - now.available).map(|(points, at)| {
        json!({ "points": points, "at": timestamp_text(at), "on": program.zone.date_of(at) })
    });
    let rows = db.exec(
        "SELECT id, kind, points, held, at, expires_at, source, reason, actor, recorded_at
         FROM points_ledger WHERE customer_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
        &[
            Value::Text(id.as_str().into()),
            Value::Integer(before),
            Value::Integer(limit + 1),
        ],
    )?;
    let mut entries = Vec::new();
    for row in rows.rows.iter().take(usize::try_from(limit).unwrap_or(0)) {
        entries.push(json!({
            "id": int(row, 0)?,
            "kind": text(row, 1)?,
            "points": int(row, 2)?,
            "reserved": int(row, 3)?,
            "at": text(row, 4)?,
            "expires_at": opt_text(row, 5),
            "source": text(row, 6)?,
            "reason": opt_text(row, 7),
            "actor": text(row, 8)?,
            "recorded_at": text(row, 9)?,
        }));
    }
    let next_before = if rows.rows.len() > entries.len() {
        entries.last().and_then(|e| e["id"].as_i64())
    } else {
        None
    };
    Ok(vip_kit::json(
        200,
        &json!({
            "customer_id": id.as_str(),
            "tier": tier,
            "balance": now.available,
            "reserved": now.reserved,
            "redeemable": now.redeemable(),
            "earned_today": now.earned_today,
            "rules": {
                "earn": format!("{} point(s) per 1.00 of regular-price spend × the tier's multiplier; special-price purchases earn nothing", program.points_per_unit),
                "same_day": "points earned today become redeemable tomorrow",
                "expiry": format!("credits expire {} months after they are earned, oldest first", program.expiry_months),
                "zone": program.zone,
            },
            "expiring_soonest": soonest,
            "statement": { "entries": entries, "next_before": next_before },
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdjustBody {
    /// Points to grant (positive) or deduct (negative).
    points: i64,
    reason: String,
}

/// `POST /api/v1/members/{id}/points/adjustments`: a staff correction with
/// its reason. A grant is a credit that expires like earned points; a
/// deduction never takes the balance below zero (the guard is in the INSERT).
pub fn adjust(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = member(ctx)?;
    let body: AdjustBody = read_json(ctx.req)?;
    if body.points == 0 || body.points.abs() > 10_000_000 {
        return Err(Problem::field(
            "points",
            "must be a non-zero whole number within ±10,000,000",
        ));
    }
    let reason = body.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Problem::field(
            "reason",
            "is required (1 to 500 characters): the audit says why",
        ));
    }
    let db = Db::open()?;
    member_tier(&db, id.as_str())?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    // A retry under the same Idempotency-Key is the same adjustment.
    let source = match ctx.header("idempotency-key") {
        Some(key) => format!("adjustment:{}:{}", ctx.actor(), key.trim()),
        None => format!("adjustment:{}:{}", ctx.actor(), ctx.now.timestamp_micros()),
    };
    let expires = (body.points > 0).then(|| timestamp(program.expires_at(ctx.now)));
    let written = db.first(
        "INSERT INTO points_ledger (customer_id, kind, points, at, expires_at, source, reason, actor, recorded_at)
         SELECT ?1, 'adjust', ?2, ?3, ?4, ?5, ?6, ?7, ?3
         WHERE ?2 > 0 OR (SELECT COALESCE(SUM(points), 0) FROM points_ledger WHERE customer_id = ?1) + ?2 >= 0
         ON CONFLICT (customer_id, source) DO NOTHING
         RETURNING id",
        &[
            Value::Text(id.as_str().into()),
            Value::Integer(body.points),
            timestamp(ctx.now),
            expires.unwrap_or(Value::Null),
            Value::Text(source.clone()),
            Value::Text(reason.into()),
            Value::Text(ctx.actor()),
        ],
    )?;
    let after = standing(&db, id.as_str(), &program, ctx.now)?;
    let (status, row) = match written {
        Some(row) => (201, Some(row)),
        // The same adjustment again (a retry under its key): the first one stands.
        None => (
            200,
            db.first(
                "SELECT id FROM points_ledger WHERE customer_id = ? AND source = ?",
                &[Value::Text(id.as_str().into()), Value::Text(source)],
            )?,
        ),
    };
    let Some(row) = row else {
        return Err(Problem::conflict(
            "insufficient-points",
            "The deduction would take the balance below zero",
            format!(
                "{} points are available; at most that many can be deducted",
                after.available
            ),
        ));
    };
    Ok(vip_kit::json(
        status,
        &json!({
            "customer_id": id.as_str(),
            "ledger_id": int(&row, 0)?,
            "points": body.points,
            "reason": reason,
            "balance": after.available,
            "reserved": after.reserved,
        }),
    ))
}

/// `POST /api/v1/points/expiry?as_of=`: the daily expiry (the
/// `points-expiry` cron runs the same code). Idempotent per day.
pub fn expire(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let as_of = ctx.as_of()?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let run = run_expiry(&db, &program, as_of, &ctx.actor(), ctx.now)?;
    Ok(vip_kit::json(200, &run))
}
