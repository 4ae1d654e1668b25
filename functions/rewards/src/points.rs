//! A member's points: what they hold, what is reserved, what expires next and
//! the statement; staff adjustments; the expiry run for schedulers; the
//! points programme document.

use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::points::next_expiry;
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::points::{self, Adjustment, PROGRAM};

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
    let tier = points::member_tier(&db, &id)?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let now = points::standing(&db, &id, &program, ctx.now)?;
    let lots = points::credits(&db, &id)?;
    let credited: i64 = lots.iter().map(|l| l.points).sum();
    let soonest = next_expiry(&lots, credited - now.available).map(|(points, at)| {
        json!({ "points": points, "at": timestamp_text(at), "on": program.zone.date_of(at) })
    });
    // One entry more than the page says whether another page follows.
    let lines = points::statement(&db, &id, before, limit + 1)?;
    let entries: Vec<_> = lines
        .iter()
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|e| {
            json!({
                "id": e.id,
                "kind": e.kind,
                "points": e.points,
                "reserved": e.held,
                "at": timestamp_text(e.at),
                "expires_at": e.expires_at.map(timestamp_text),
                "source": e.source,
                "reason": e.reason,
                "actor": e.actor,
                "recorded_at": timestamp_text(e.recorded_at),
            })
        })
        .collect();
    let next_before = if lines.len() > entries.len() {
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
/// deduction never takes the balance below zero (the INSERT's guard,
/// `vip_store::points::adjust`).
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
    points::member_tier(&db, &id)?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    // A retry under the same Idempotency-Key is the same adjustment.
    let source = match ctx.header("idempotency-key") {
        Some(key) => format!("adjustment:{}:{}", ctx.actor(), key.trim()),
        None => format!("adjustment:{}:{}", ctx.actor(), ctx.now.timestamp_micros()),
    };
    let adjustment = Adjustment {
        points: body.points,
        expires_at: (body.points > 0).then(|| program.expires_at(ctx.now)),
        source: &source,
        reason,
    };
    let written = points::adjust(&db, &id, &adjustment, &ctx.actor(), ctx.now)?;
    let after = points::standing(&db, &id, &program, ctx.now)?;
    let (status, entry) = match written {
        Some(entry) => (201, Some(entry)),
        // The same adjustment again (a retry under its key): the first one stands.
        None => (200, points::entry_id(&db, &id, &source)?),
    };
    let Some(entry) = entry else {
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
            "ledger_id": entry,
            "points": body.points,
            "reason": reason,
            "balance": after.available,
            "reserved": after.reserved,
        }),
    ))
}

/// `POST /api/v1/points/expiry?as_of=`: the daily expiry (this component's
/// cron entry calls it). Idempotent per day.
pub fn expire(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let as_of = ctx.as_of()?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let run = points::run_expiry(&db, &program, as_of, &ctx.actor(), ctx.now)?;
    Ok(vip_kit::json(200, &run))
}
