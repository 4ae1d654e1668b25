//! `GET /api/v1/reports/collections`: invoices by payment outcome,
//! commitments, dunning steps, service orders, disconnections, days to pay
//! and the suspension orders' cycle time.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use spin_sdk::http::Response;
use vip_domain::figures::{commitment_outcome, spread, Line, Tally, Unit, ALL, TOTAL};
use vip_domain::reports::Row;
use vip_domain::zone::Zone;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::reports as facts;

use crate::ask::{answer, ask, Want};

pub const BREAKDOWNS: &[&str] = &["outcome", "action", "days", "delivery"];

pub const DEFINITIONS: &[(&str, &str)] = &[
    ("invoices", "Invoices issued in the row (issued_at), by outcome at as_of: paid_by_due (paid in full before the end of the due day, programme zone), paid_late, unpaid."),
    ("invoices_paid_by_due", "Of the invoices issued in the row, the share paid in full by the end of their due day."),
    ("commitments", "Payment commitments made in the row, by outcome at as_of: kept (the invoice paid in full before the end of the pay-by day), broken (that day ended unpaid), pending."),
    ("dunning_steps", "Dunning steps whose due day falls in the row (programme zone), recorded by as_of, by action: remind, suspension_notice, suspend, pickup."),
    ("service_orders", "Service orders opened in the row, by action: suspend, reconnect, uninstall, reassign_capacity."),
    ("disconnections", "Customers whose retention case closed as disconnected in the row."),
    ("days_to_pay", "Invoices paid in full in the row, by whole days (24 h) from issue to payment: 0-7, 8-15, 16-30, 31-60, 61+."),
    ("suspension_cycle_minutes_median", "Median (nearest rank) of minutes from opening to confirmation of the suspension orders confirmed in the row; in total and by delivery (direct, third_party)."),
    ("suspension_cycle_minutes_p90", "90th percentile (nearest rank) of the same."),
];

pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let ask = ask(ctx, &db, BREAKDOWNS, DEFINITIONS)?;
    let mut lines = Vec::new();
    for row in &ask.periods.rows {
        lines.extend(row_lines(
            &db,
            ask.program.zone,
            row,
            ask.as_of,
            ask.want(),
        )?);
    }
    answer("collections", &ask, &lines, DEFINITIONS)
}

/// The band of whole days to pay.
fn days_band(days: i64) -> &'static str {
    match days {
        ..=7 => "0-7",
        8..=15 => "8-15",
        16..=30 => "16-30",
        31..=60 => "31-60",
        _ => "61+",
    }
}

/// The collections lines of one row, as known at `as_of`.
pub fn row_lines(
    db: &Db,
    zone: Zone,
    row: &Row,
    as_of: DateTime<Utc>,
    want: Want<'_>,
) -> Result<Vec<Line>, Problem> {
    let w = &row.window;
    let day_end = |d: chrono::NaiveDate| zone.start_of(d.succ_opt().unwrap_or(d));
    let mut lines = Vec::new();
    if want.any(&["invoices", "invoices_paid_by_due"]) {
        let mut invoices = Tally::new("invoices", Unit::Count, &["outcome"]);
        let (mut issued, mut by_due) = (0, 0);
        for o in facts::invoices(db, w, as_of, day_end)? {
            invoices.add(vec!["paid_by_due".into()], o.paid_by_due);
            invoices.add(vec!["paid_late".into()], o.paid_late);
            invoices.add(vec!["unpaid".into()], o.unpaid);
            issued += o.issued;
            by_due += o.paid_by_due;
        }
        lines.extend(invoices.lines(row));
        lines.push(Line::ratio(
            row,
            "invoices_paid_by_due",
            TOTAL,
            "all",
            by_due,
            issued,
        ));
    }
    if want.any(&["commitments"]) {
        let mut commitments = Tally::new("commitments", Unit::Count, &["outcome"]);
        for c in facts::commitments(db, w)? {
            commitments.add(
                vec![commitment_outcome(c.paid_at, day_end(c.pay_by), as_of).into()],
                1,
            );
        }
        lines.extend(commitments.lines(row));
    }
    if want.any(&["dunning_steps"]) {
        let first_day = zone.date_of(w.from);
        let last_day = zone.date_of(w.to - Duration::milliseconds(1));
        let mut steps = Tally::new("dunning_steps", Unit::Count, &["action"]);
        if w.from < w.to {
            for (action, n) in facts::dunning_steps(db, first_day, last_day, as_of)? {
                steps.add(vec![action], n);
            }
        }
        lines.extend(steps.lines(row));
    }
    if want.any(&["service_orders"]) {
        let mut orders = Tally::new("service_orders", Unit::Count, &["action"]);
        for (action, n) in facts::orders_opened(db, w)? {
            orders.add(vec![action], n);
        }
        lines.extend(orders.lines(row));
    }
    if want.any(&["disconnections"]) {
        lines.push(Line::total(
            row,
            "disconnections",
            Unit::Count,
            facts::disconnections(db, w)?,
        ));
    }
    if want.any(&["days_to_pay"]) {
        let mut days = Tally::new("days_to_pay", Unit::Count, &["days"]);
        for (d, n) in facts::days_to_pay(db, w)? {
            days.add(vec![days_band(d).into()], n);
        }
        lines.extend(days.lines(row));
    }
    if want.any(&[
        "suspension_cycle_minutes_median",
        "suspension_cycle_minutes_p90",
    ]) {
        lines.extend(cycle_lines(db, row)?);
    }
    Ok(lines)
}

/// The suspension orders' cycle times, in total and by delivery path.
fn cycle_lines(db: &Db, row: &Row) -> Result<Vec<Line>, Problem> {
    let mut cycles: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for c in facts::suspension_cycles(db, &row.window)? {
        let m = (c.confirmed_at - c.opened_at).num_minutes();
        cycles.entry(ALL.into()).or_default().push(m);
        cycles.entry(c.delivery).or_default().push(m);
    }
    Ok(spread(
        row,
        "suspension_cycle_minutes_median",
        "suspension_cycle_minutes_p90",
        "delivery",
        cycles,
    ))
}
