//! `GET /api/v1/reports/points`: the ledger's moves, outstanding points,
//! redemptions by kind, state and approval, review and fulfilment against
//! their targets, and stock alerts.

use std::collections::BTreeMap;

use spin_sdk::http::Response;
use vip_domain::figures::{redemption_state_at, spread, Line, Tally, Unit, TOTAL};
use vip_domain::reports::Row;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::reports as facts;

use crate::ask::{answer, ask, Want};

pub const BREAKDOWNS: &[&str] = &["reward_kind", "state", "approval", "reward"];

pub const DEFINITIONS: &[(&str, &str)] = &[
    ("points_earned", "Sum of earn entries of the points ledger whose time (the purchase's) falls in the row."),
    ("points_adjusted", "Net sum of staff adjustments in the row."),
    ("points_redeemed", "Points committed to redemptions approved in the row (commit entries), less points given back in the row by cancelling approved redemptions (release entries that hold nothing)."),
    ("points_expired", "Points that expired in the row (expire entries)."),
    ("outstanding_points", "The programme's liability at the end of the row: every member's available and reserved points, summed over the ledger up to then."),
    ("redemptions", "Redemptions requested in the row, by reward kind, by state at as_of (fulfilled, rejected, cancelled, approved or still requested, from the times of their moves) and by approval (automatic or manual)."),
    ("redemptions_reviewed_on_time", "Of the redemptions requested in the row that were decided by as_of, those decided by their review due time; by reward kind."),
    ("redemptions_fulfilled_on_time", "Of the redemptions requested in the row that were fulfilled by as_of, those fulfilled by their fulfilment target; by reward kind."),
    ("minutes_to_decision_median", "Median (nearest rank) of the minutes from request to decision of the row's decided redemptions; by reward kind."),
    ("minutes_to_decision_p90", "90th percentile (nearest rank) of the same."),
    ("minutes_to_fulfilment_median", "Median (nearest rank) of the minutes from request to fulfilment of the row's fulfilled redemptions; by reward kind."),
    ("minutes_to_fulfilment_p90", "90th percentile (nearest rank) of the same."),
    ("stock_left", "Limited rewards with at most the programme's low-stock units left, now (stock is not kept as history): one line per reward (id, name, kind)."),
];

pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let ask = ask(ctx, &db, BREAKDOWNS, DEFINITIONS)?;
    let mut lines = rows_lines(&db, &ask.periods.rows, ask.as_of, ask.want())?;
    let whole = ask.whole();
    let alerts = if ask.want().any(&["stock_left"]) {
        facts::low_stock(&db, ask.program.low_stock_units)?
    } else {
        Vec::new()
    };
    for r in alerts {
        lines.push(Line::amount(
            &whole,
            "stock_left",
            "reward",
            format!("{} {} ({})", r.reward_id, r.name, r.kind),
            Unit::Count,
            Some(r.stock_left),
        ));
    }
    answer("points", &ask, &lines, DEFINITIONS)
}

/// The breakdown a per-kind key belongs to: `all` is the total.
fn by_kind(key: &str) -> (&'static str, &str) {
    if key == "all" {
        (TOTAL, key)
    } else {
        ("reward_kind", key)
    }
}

/// Minutes from `a` to `b`.
fn minutes(a: chrono::DateTime<chrono::Utc>, b: chrono::DateTime<chrono::Utc>) -> i64 {
    (b - a).num_minutes()
}

/// The points lines of contiguous `rows`, as known at `as_of`. The points
/// outstanding are summed once, at the first row's start, and carried
/// through the rows by each row's ledger moves.
pub fn rows_lines(
    db: &Db,
    rows: &[Row],
    as_of: chrono::DateTime<chrono::Utc>,
    want: Want<'_>,
) -> Result<Vec<Line>, Problem> {
    let ledger = want.any(&[
        "points_earned",
        "points_adjusted",
        "points_redeemed",
        "points_expired",
        "outstanding_points",
    ]);
    let mut outstanding = match rows.first() {
        Some(first) if want.any(&["outstanding_points"]) => {
            facts::outstanding(db, first.window.from)?
        }
        _ => 0,
    };
    let mut lines = Vec::new();
    for row in rows {
        if ledger {
            let m = facts::ledger_moves(db, &row.window)?;
            outstanding += m.net;
            lines.extend([
                Line::total(row, "points_earned", Unit::Points, m.earned),
                Line::total(row, "points_adjusted", Unit::Points, m.adjusted),
                Line::total(row, "points_redeemed", Unit::Points, m.redeemed),
                Line::total(row, "points_expired", Unit::Points, m.expired),
                Line::total(row, "outstanding_points", Unit::Points, outstanding),
            ]);
        }
        if want.any(REDEMPTION_FIGURES) {
            lines.extend(redemption_lines(db, row, as_of)?);
        }
    }
    Ok(lines)
}

/// The figures read from the redemptions requested in a row.
const REDEMPTION_FIGURES: &[&str] = &[
    "redemptions",
    "redemptions_reviewed_on_time",
    "redemptions_fulfilled_on_time",
    "minutes_to_decision_median",
    "minutes_to_decision_p90",
    "minutes_to_fulfilment_median",
    "minutes_to_fulfilment_p90",
];

/// The redemption lines of one row, as known at `as_of`.
fn redemption_lines(
    db: &Db,
    row: &Row,
    as_of: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Line>, Problem> {
    let w = &row.window;
    let mut lines = Vec::new();
    let mut counts = Tally::new(
        "redemptions",
        Unit::Count,
        &["reward_kind", "state", "approval"],
    );
    // Per kind (and "all"): (decided, on time), (fulfilled, on time), waits.
    let mut reviewed: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut fulfilled: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut to_decision: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut to_fulfilment: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in facts::redemptions(db, w)? {
        let state =
            redemption_state_at(&r.state, r.decided_at, r.fulfilled_at, r.updated_at, as_of);
        counts.add(vec![r.kind.clone(), state.into(), r.approval.clone()], 1);
        for key in [r.kind.as_str(), "all"] {
            if let Some(d) = r.decided_at.filter(|d| *d <= as_of) {
                let e = reviewed.entry(key.into()).or_default();
                e.0 += 1;
                e.1 += i64::from(d <= r.review_due_at);
                to_decision
                    .entry(key.into())
                    .or_default()
                    .push(minutes(r.requested_at, d));
            }
            if let Some(f) = r.fulfilled_at.filter(|f| *f <= as_of) {
                let e = fulfilled.entry(key.into()).or_default();
                e.0 += 1;
                e.1 += i64::from(r.fulfil_by.is_none_or(|by| f <= by));
                to_fulfilment
                    .entry(key.into())
                    .or_default()
                    .push(minutes(r.requested_at, f));
            }
        }
    }
    lines.extend(counts.lines(row));
    for (figure, tally) in [
        ("redemptions_reviewed_on_time", &reviewed),
        ("redemptions_fulfilled_on_time", &fulfilled),
    ] {
        if !tally.contains_key("all") {
            lines.push(Line::ratio(row, figure, TOTAL, "all", 0, 0));
        }
        for (k, (whole, on_time)) in tally {
            let (b, key) = by_kind(k);
            lines.push(Line::ratio(row, figure, b, key, *on_time, *whole));
        }
    }
    lines.extend(spread(
        row,
        "minutes_to_decision_median",
        "minutes_to_decision_p90",
        "reward_kind",
        to_decision,
    ));
    lines.extend(spread(
        row,
        "minutes_to_fulfilment_median",
        "minutes_to_fulfilment_p90",
        "reward_kind",
        to_fulfilment,
    ));
    Ok(lines)
}
