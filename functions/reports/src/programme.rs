//! `GET /api/v1/reports/programme`: members by tier, joins, tier changes,
//! exits, cohort retention, onboarding, purchases and qualifying spend.

use std::collections::HashMap;

use chrono::{DateTime, Months, Utc};
use spin_sdk::http::Response;
use vip_domain::figures::{change_while_member, Line, Tally, Unit, TOTAL};
use vip_domain::reports::{Grain, Row, Window};
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::reports as facts;

use crate::ask::{answer, ask, Ask, Want};

pub const BREAKDOWNS: &[&str] = &["tier", "direction", "how", "cohort", "currency", "task"];

pub const DEFINITIONS: &[(&str, &str)] = &[
    ("vip_members", "Members at the end of the row: joined before it and not gone before it (erased, disconnected by a retention case closed as disconnected, exited or revoked); by the tier held then (the last tier change before the end, else the tier the next change started from, else the tier held since joining)."),
    ("joins", "Memberships whose joined_at falls in the row, by the tier they joined at."),
    ("tier_changes", "Tier changes (tier_changes.at) in the row, by direction (upgrade, downgrade) and by the tier moved to."),
    ("exits", "Members who stopped being VIP in the row, by how: erased (privacy erasure), disconnected (retention case closed as disconnected), exited (the member asked to leave) or revoked (misconduct); a member counts once, at the first."),
    ("retention", "Per joining month (programme zone) of the twelve months before the window's end: members still VIP at the window's end, of those who joined that month."),
    ("onboarding_opened", "Onboarding cases opened in the row."),
    ("onboarding_approved", "Onboarding cases approved in the row (decided_at)."),
    ("onboarding_rejected", "Onboarding cases rejected in the row (decided_at)."),
    ("onboarding_within_target", "Of the cases approved in the row, those approved by their due time (opened_at + the onboarding target, 24 h by default)."),
    ("tasks_due", "Follow-through tasks (the approval's SOP-001 tasks, the promotion call) due in the row (member_tasks.due_at), by task."),
    ("tasks_late", "Of the tasks due in the row, those not completed by their due time (completed later, or still open), by task."),
    ("purchases", "Purchases by members made in the row (purchases.at, not before joining), by the tier held at the purchase."),
    ("qualifying_spend", "Sum of those purchases' amounts in minor units, special prices excluded, by currency and by currency and tier; never summed across currencies, so it has no total line."),
];

pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let ask = ask(ctx, &db, BREAKDOWNS, DEFINITIONS)?;
    let mut lines = rows_lines(&db, &ask.periods.rows, ask.want())?;
    if ask.want().any(&["retention"]) {
        lines.extend(retention(&db, &ask)?);
    }
    answer("programme", &ask, &lines, DEFINITIONS)
}

/// The programme's lines of contiguous `rows`. Members by tier are counted
/// once, at the first row's start, and carried through the rows by the
/// joins, exits and tier changes in each; the members who left are read
/// once.
pub fn rows_lines(db: &Db, rows: &[Row], want: Want<'_>) -> Result<Vec<Line>, Problem> {
    let counted = want.any(&["vip_members"]);
    let mut members: Vec<(String, i64)> = match rows.first() {
        Some(first) if counted => facts::members_by_tier(db, first.window.from)?,
        _ => Vec::new(),
    };
    members.sort();
    let left = if counted || want.any(&["exits"]) {
        facts::left_members(db)?
    } else {
        Vec::new()
    };
    let left_at: HashMap<&str, DateTime<Utc>> = left
        .iter()
        .map(|l| (l.customer.as_str(), l.left_at))
        .collect();
    let mut lines = Vec::new();
    for row in rows {
        let w = &row.window;
        let joins = if counted || want.any(&["joins"]) {
            facts::joins(db, w)?
        } else {
            Vec::new()
        };
        let exits: Vec<&facts::Left> = left
            .iter()
            .filter(|l| w.contains(l.left_at) && l.joined_at <= l.left_at)
            .collect();
        if counted {
            // Joins add a member at the tier joined at, exits take one away
            // at the tier held when leaving, changes move one across.
            let mut moves: Vec<(String, i64)> = joins.clone();
            moves.extend(exits.iter().map(|l| (l.tier.clone(), -1)));
            for c in facts::tier_changes(db, w)? {
                let left = left_at.get(c.customer.as_str()).copied();
                if change_while_member(c.joined_at, left, c.at) {
                    moves.extend([(c.from_tier, -1), (c.to_tier, 1)]);
                }
            }
            for (tier, n) in moves {
                match members.iter_mut().find(|(t, _)| *t == tier) {
                    Some((_, m)) => *m += n,
                    None => members.push((tier, n)),
                }
            }
            let mut tally = Tally::new("vip_members", Unit::Count, &["tier"]);
            for (tier, n) in &members {
                tally.add(vec![tier.clone()], *n);
            }
            lines.extend(tally.lines(row));
        }
        if want.any(&["joins"]) {
            let mut t = Tally::new("joins", Unit::Count, &["tier"]);
            for (tier, n) in joins {
                t.add(vec![tier], n);
            }
            lines.extend(t.lines(row));
        }
        if want.any(&["exits"]) {
            let mut t = Tally::new("exits", Unit::Count, &["how"]);
            for l in &exits {
                t.add(vec![l.how.clone()], 1);
            }
            lines.extend(t.lines(row));
        }
        lines.extend(row_lines(db, row, want)?);
    }
    Ok(lines)
}

/// The programme's lines of one row, but members by tier, joins and exits.
fn row_lines(db: &Db, row: &Row, want: Want<'_>) -> Result<Vec<Line>, Problem> {
    let w = &row.window;
    let mut lines = Vec::new();
    if want.any(&["tier_changes"]) {
        let mut moves = Tally::new("tier_changes", Unit::Count, &["direction", "tier"]);
        for (direction, tier, n) in facts::tier_moves(db, w)? {
            moves.add(vec![direction, tier], n);
        }
        lines.extend(moves.lines(row));
    }
    if want.any(&[
        "onboarding_opened",
        "onboarding_approved",
        "onboarding_rejected",
        "onboarding_within_target",
    ]) {
        lines.extend(onboarding_lines(db, row)?);
    }
    if want.any(&["tasks_due", "tasks_late"]) {
        let mut due = Tally::new("tasks_due", Unit::Count, &["task"]);
        let mut late = Tally::new("tasks_late", Unit::Count, &["task"]);
        for t in facts::tasks(db, w)? {
            due.add(vec![t.key.clone()], t.due);
            late.add(vec![t.key], t.late);
        }
        lines.extend(due.lines(row));
        lines.extend(late.lines(row));
    }
    if want.any(&["purchases", "qualifying_spend"]) {
        lines.extend(purchase_lines(db, row)?);
    }
    Ok(lines)
}

fn onboarding_lines(db: &Db, row: &Row) -> Result<Vec<Line>, Problem> {
    let mut lines = Vec::new();
    let o = facts::onboarding(db, &row.window)?;
    lines.push(Line::total(row, "onboarding_opened", Unit::Count, o.opened));
    lines.push(Line::total(
        row,
        "onboarding_approved",
        Unit::Count,
        o.approved,
    ));
    lines.push(Line::total(
        row,
        "onboarding_rejected",
        Unit::Count,
        o.rejected,
    ));
    lines.push(Line::ratio(
        row,
        "onboarding_within_target",
        TOTAL,
        "all",
        o.approved_within_target,
        o.approved,
    ));
    Ok(lines)
}

fn purchase_lines(db: &Db, row: &Row) -> Result<Vec<Line>, Problem> {
    let w = &row.window;
    let mut lines = Vec::new();
    let mut purchases = Tally::new("purchases", Unit::Count, &["tier"]);
    let mut spend = Tally::new("qualifying_spend", Unit::MinorUnits, &["currency", "tier"]);
    for p in facts::purchases(db, w)? {
        purchases.add(vec![p.tier.clone()], p.count);
        spend.add(
            vec![p.currency.clone(), format!("{} {}", p.currency, p.tier)],
            p.qualifying_minor,
        );
    }
    lines.extend(purchases.lines(row));
    lines.extend(
        spend
            .lines(row)
            .into_iter()
            .filter(|l| l.breakdown != TOTAL),
    );
    Ok(lines)
}

/// Retention by joining month, at the end of the window.
fn retention(db: &Db, ask: &Ask) -> Result<Vec<Line>, Problem> {
    let zone = ask.program.zone;
    let end = ask.periods.window.to;
    let last = Grain::Month.start(zone.date_of(end));
    let whole = ask.whole();
    let mut lines = Vec::new();
    for back in (0..12).rev() {
        let Some(first) = last.checked_sub_months(Months::new(back)) else {
            continue;
        };
        let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
        let joined = Window {
            from: zone.start_of(first),
            to: zone.start_of(next).min(end),
        };
        let (count, still) = facts::cohort(db, &joined, end)?;
        if count > 0 {
            lines.push(Line::ratio(
                &whole,
                "retention",
                "cohort",
                first.format("%Y-%m").to_string(),
                still,
                count,
            ));
        }
    }
    Ok(lines)
}
