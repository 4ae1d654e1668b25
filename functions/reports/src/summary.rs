//! The executive summary: the key figures of the last complete week, month
//! or quarter against the one before and against the programme's targets,
//! with the alerts; and its weekly run, which queues the summary as a
//! notice to the programme manager once per week.

use chrono::{DateTime, Utc};
use serde::Serialize;
use spin_sdk::http::Response;
use vip_domain::figures::{previous_window, KeyFigure, Line, ReportsProgram, TOTAL};
use vip_domain::reports::{Grain, Row, Window};
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::calendars::Schedules;
use vip_store::reports::PROGRAM;

use crate::ask::Want;
use crate::{collections, points, programme, support};

/// The figures the summary shows (only these are computed).
const KEY_FIGURES: &[&str] = &[
    "vip_members",
    "joins",
    "exits",
    "onboarding_within_target",
    "points_earned",
    "points_redeemed",
    "outstanding_points",
    "redemptions",
    "redemptions_reviewed_on_time",
    "tickets_opened",
    "first_response_sla",
    "resolution_sla",
    "backlog",
    "invoices_paid_by_due",
    "disconnections",
];

/// A key figure's target (whole percent), if it has one.
fn target(program: &ReportsProgram, figure: &str) -> Option<u32> {
    let t = &program.targets;
    match figure {
        "onboarding_within_target" => Some(t.onboarding_within_target_percent),
        "redemptions_reviewed_on_time" => Some(t.redemptions_reviewed_on_time_percent),
        "first_response_sla" => Some(t.first_response_sla_percent),
        "resolution_sla" => Some(t.resolution_sla_percent),
        "invoices_paid_by_due" => Some(t.invoices_paid_by_due_percent),
        _ => None,
    }
}

#[derive(Serialize)]
pub struct Summary {
    pub period: String,
    pub as_of: String,
    pub zone: &'static str,
    pub from: String,
    pub to: String,
    pub previous_from: String,
    pub previous_to: String,
    pub figures: Vec<KeyFigure>,
    /// The alerts of the figures that crossed their threshold.
    pub alerts: Vec<String>,
}

/// Every report's total lines for two contiguous windows, `before` then
/// `now`, computed as two rows so what is carried from row to row (members
/// by tier, outstanding points) is counted once.
fn totals(
    db: &Db,
    program: &ReportsProgram,
    before: &Window,
    now: &Window,
    as_of: DateTime<Utc>,
    clock: DateTime<Utc>,
) -> Result<Vec<Line>, Problem> {
    let rows = [
        Row {
            label: PREVIOUS.into(),
            window: before.clone(),
        },
        Row {
            label: CURRENT.into(),
            window: now.clone(),
        },
    ];
    let mut schedules = Schedules::new(db, clock);
    let want = Want::only(KEY_FIGURES);
    let mut lines = programme::rows_lines(db, &rows, want)?;
    lines.extend(points::rows_lines(db, &rows, as_of, want)?);
    for row in &rows {
        lines.extend(support::row_lines(
            db,
            &mut schedules,
            program,
            row,
            as_of,
            want,
        )?);
        lines.extend(collections::row_lines(db, program.zone, row, as_of, want)?);
    }
    lines.retain(|l| l.breakdown == TOTAL);
    Ok(lines)
}

/// The rows' names inside `totals`.
const PREVIOUS: &str = "previous";
const CURRENT: &str = "current";

/// The summary of `window` (a whole `grain`) against the one before.
pub fn summarise(
    db: &Db,
    program: &ReportsProgram,
    label: String,
    grain: Grain,
    window: &Window,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Summary, Problem> {
    let before = previous_window(grain, window, program.zone);
    let lines = totals(db, program, &before, window, as_of, now)?;
    let find = |period: &str, figure: &str| {
        lines
            .iter()
            .find(|l| l.period == period && l.figure == figure)
    };
    let figures: Vec<KeyFigure> = KEY_FIGURES
        .iter()
        .filter_map(|figure| {
            Some(KeyFigure::compare(
                find(CURRENT, figure)?,
                find(PREVIOUS, figure),
                target(program, figure),
            ))
        })
        .collect();
    Ok(Summary {
        period: label,
        as_of: timestamp_text(as_of),
        zone: program.zone.name(),
        from: timestamp_text(window.from),
        to: timestamp_text(window.to),
        previous_from: timestamp_text(before.from),
        previous_to: timestamp_text(before.to),
        alerts: figures.iter().filter_map(|f| f.alert.clone()).collect(),
        figures,
    })
}

/// `GET /api/v1/reports/summary?period=week|month|quarter&as_of=`: the last
/// complete period before `as_of`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let as_of = ctx.as_of()?;
    let grain = match ctx.query("period") {
        None => Grain::Week,
        Some(p) => match Grain::parse(p) {
            Some(g) if g != Grain::Day => g,
            _ => return Err(Problem::field("period", "must be week, month or quarter")),
        },
    };
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let zone = program.zone;
    let this = grain.start(zone.date_of(as_of));
    let first = grain.start(this.pred_opt().unwrap_or(this));
    let window = Window {
        from: zone.start_of(first),
        to: zone.start_of(this),
    };
    let label = grain.label(first);
    let summary = summarise(&db, &program, label, grain, &window, as_of, ctx.now)?;
    Ok(vip_kit::json(200, &summary))
}

#[derive(Serialize)]
struct Run {
    as_of: String,
    /// The week summarised (ISO week), if one is due.
    week: Option<String>,
    /// Whether this run queued it (a repeat finds it queued).
    queued: bool,
}

/// `POST /api/v1/reports/summary/runs?as_of=`: queues the weekly summary
/// due at `as_of` (the cron event calls it hourly; the notice id makes a
/// repeat a no-op).
pub fn run(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let as_of = ctx.as_of()?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let Some((week, window)) = program.weekly_summary_due(as_of) else {
        return Ok(vip_kit::json(
            200,
            &Run {
                as_of: timestamp_text(as_of),
                week: None,
                queued: false,
            },
        ));
    };
    let id = format!("reports.weekly_summary:{week}");
    let queued = if vip_store::notices::exists(&db, &id)? {
        false
    } else {
        let summary = summarise(
            &db,
            &program,
            week.clone(),
            Grain::Week,
            &window,
            as_of,
            ctx.now,
        )?;
        let payload = serde_json::json!({ "to": "program_manager", "summary": summary });
        vip_store::notices::enqueue_staff(&db, &id, "reports.weekly_summary", &payload, ctx.now)?
    };
    Ok(vip_kit::json(
        200,
        &Run {
            as_of: timestamp_text(as_of),
            week: Some(week),
            queued,
        },
    ))
}
