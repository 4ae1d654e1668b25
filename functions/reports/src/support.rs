//! `GET /api/v1/reports/support`: tickets opened, SLA compliance, backlog
//! by age, follow-ups and escalations, reopens, business time to first
//! response and to resolution.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use spin_sdk::http::Response;
use vip_domain::calendar::Clock;
use vip_domain::figures::{
    age_bands, spread, Compliance, Line, ReportsProgram, Tally, Unit, TOTAL,
};
use vip_domain::reports::Row;
use vip_domain::sla::{merge_pauses, SlaClock};
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::calendars::Schedules;
use vip_store::reports::{self as facts, Ticket};

use crate::ask::{answer, ask, Want};

pub const BREAKDOWNS: &[&str] = &[
    "channel",
    "kind",
    "priority",
    "plan",
    "team",
    "outcome",
    "plan_priority",
    "age",
    "event",
];

pub const DEFINITIONS: &[(&str, &str)] = &[
    ("tickets_opened", "Tickets opened in the row, by channel, kind, SLA priority, support plan and team (the assigned team; unassigned if none)."),
    ("first_response_outcomes", "The row's tickets by first-response outcome at as_of: met (responded by the due time), breached (responded late, or a first_response.breach clock event recorded), open_on_time (not responded, not due), overdue (not responded, past due); by outcome, by plan/priority/outcome and by team/outcome."),
    ("resolution_outcomes", "The same for resolution (the first time the ticket was resolved; a reopen does not undo it)."),
    ("first_response_sla", "Of the row's tickets whose first response is settled (met or breached), the share met; in total, by priority, by plan/priority and by team."),
    ("resolution_sla", "The same for resolution."),
    ("backlog", "Tickets open at the end of the row (opened before it, not resolved by it), by age band (hours since opened; bands are programme data)."),
    ("clock_events", "Follow-ups and escalations that fell due in the row: SLA clock events by kind (follow_up.N, first_response.breach, resolution.breach, ...), from ticket_clock_events."),
    ("escalations", "Tickets escalated in the row: by the SLA clock (a clock event that moved the ticket to escalated), by a person (an escalate message), or at intake (formal complaints)."),
    ("reopen_rate", "Of the row's tickets resolved by as_of, those reopened by as_of."),
    ("first_response_minutes_median", "Median (nearest rank) of business minutes from opening to first response of the row's tickets responded by as_of: the ticket's calendar (24x7 for natural-time priorities), waits on the customer excluded; in total and by priority."),
    ("first_response_minutes_p90", "90th percentile (nearest rank) of the same."),
    ("resolution_minutes_median", "Median (nearest rank) of business minutes from opening to the first resolution, measured the same way; in total and by priority."),
    ("resolution_minutes_p90", "90th percentile (nearest rank) of the same."),
];

pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let ask = ask(ctx, &db, BREAKDOWNS, DEFINITIONS)?;
    let mut schedules = Schedules::new(&db, ctx.now);
    let mut lines = Vec::new();
    for row in &ask.periods.rows {
        lines.extend(row_lines(
            &db,
            &mut schedules,
            &ask.program,
            row,
            ask.as_of,
            ask.want(),
        )?);
    }
    answer("support", &ask, &lines, DEFINITIONS)
}

/// One clock's outcome tallies and its compliance ratios.
struct Clocks {
    outcomes: Tally,
    /// (priority, plan/priority, team or all) → (met, settled).
    settled: BTreeMap<(&'static str, String), (i64, i64)>,
    minutes: BTreeMap<String, Vec<i64>>,
}

impl Clocks {
    fn new(figure: &'static str) -> Clocks {
        Clocks {
            outcomes: Tally::new(figure, Unit::Count, &["outcome", "plan_priority", "team"]),
            settled: BTreeMap::new(),
            minutes: BTreeMap::new(),
        }
    }

    fn add(&mut self, t: &Ticket, outcome: Compliance, used: Option<i64>) {
        let pp = format!("{}/{}", t.plan, t.priority);
        self.outcomes.add(
            vec![
                outcome.as_str().into(),
                format!("{pp}/{}", outcome.as_str()),
                format!("{}/{}", t.team, outcome.as_str()),
            ],
            1,
        );
        if let Some(kept) = outcome.settled() {
            for key in [
                (TOTAL, "all".to_string()),
                ("priority", t.priority.clone()),
                ("plan_priority", pp.clone()),
                ("team", t.team.clone()),
            ] {
                let e = self.settled.entry(key).or_default();
                e.0 += i64::from(kept);
                e.1 += 1;
            }
        }
        if let Some(m) = used {
            for key in ["all", t.priority.as_str()] {
                self.minutes.entry(key.into()).or_default().push(m);
            }
        }
    }

    fn lines(
        mut self,
        row: &Row,
        ratio: &'static str,
        median: &'static str,
        p90: &'static str,
    ) -> Vec<Line> {
        let mut out = self.outcomes.lines(row);
        self.settled.entry((TOTAL, "all".into())).or_default();
        for ((b, key), (met, settled)) in &self.settled {
            out.push(Line::ratio(row, ratio, b, key.clone(), *met, *settled));
        }
        out.extend(spread(row, median, p90, "priority", self.minutes));
        out
    }
}

/// Business minutes from a ticket's opening to each of `met` (first
/// response, resolution), waits on the customer excluded, on its calendar;
/// `None` where a time is not met.
fn business_minutes(
    schedules: &mut Schedules<'_>,
    t: &Ticket,
    met: [Option<DateTime<Utc>>; 2],
) -> Result<[Option<i64>; 2], Problem> {
    if met.iter().all(Option::is_none) {
        return Ok([None, None]);
    }
    let clock = Clock::on(t.natural_time, schedules.of(&t.calendar_id)?);
    let used = SlaClock {
        started: t.opened_at,
        pauses: merge_pauses(t.pauses.clone()),
        target: Duration::zero(),
    };
    Ok(met.map(|m| m.map(|m| used.used(&clock, m).num_minutes())))
}

/// How tickets opened are broken down.
const OPENED_BY: &[&str] = &["channel", "kind", "priority", "plan", "team"];

/// The figures read ticket by ticket from the tickets opened in a row.
const TICKET_FIGURES: &[&str] = &[
    "first_response_outcomes",
    "resolution_outcomes",
    "first_response_sla",
    "resolution_sla",
    "reopen_rate",
    "first_response_minutes_median",
    "first_response_minutes_p90",
    "resolution_minutes_median",
    "resolution_minutes_p90",
];

/// The support lines of one row, as known at `as_of`.
pub fn row_lines(
    db: &Db,
    schedules: &mut Schedules<'_>,
    program: &ReportsProgram,
    row: &Row,
    as_of: DateTime<Utc>,
    want: Want<'_>,
) -> Result<Vec<Line>, Problem> {
    let mut lines = Vec::new();
    if want.any(&["tickets_opened"]) {
        let mut opened = Tally::new("tickets_opened", Unit::Count, OPENED_BY);
        for (keys, n) in facts::tickets_opened_counts(db, &row.window)? {
            opened.add(keys, n);
        }
        lines.extend(opened.lines(row));
    }
    if want.any(TICKET_FIGURES) {
        lines.extend(ticket_lines(db, schedules, row, as_of, want)?);
    }
    if want.any(&["backlog"]) {
        lines.extend(backlog_lines(db, program, row)?);
    }
    if want.any(&["clock_events", "escalations"]) {
        lines.extend(event_lines(db, row)?);
    }
    Ok(lines)
}

/// The lines of the tickets opened in `row`; business minutes only if wanted.
fn ticket_lines(
    db: &Db,
    schedules: &mut Schedules<'_>,
    row: &Row,
    as_of: DateTime<Utc>,
    want: Want<'_>,
) -> Result<Vec<Line>, Problem> {
    let timed = want.any(&[
        "first_response_minutes_median",
        "first_response_minutes_p90",
        "resolution_minutes_median",
        "resolution_minutes_p90",
    ]);
    let mut first = Clocks::new("first_response_outcomes");
    let mut resolution = Clocks::new("resolution_outcomes");
    let (mut resolved, mut reopened) = (0, 0);
    for t in facts::tickets_opened(db, &row.window)? {
        let responded = t.first_responded_at.filter(|m| *m <= as_of);
        let done = t.resolved_at.filter(|m| *m <= as_of);
        let [to_response, to_resolution] = if timed {
            business_minutes(schedules, &t, [responded, done])?
        } else {
            [None, None]
        };
        let outcome = Compliance::at(
            t.first_response_due,
            responded,
            t.first_response_breach_at,
            as_of,
        );
        first.add(&t, outcome, to_response);
        let outcome = Compliance::at(t.resolution_due, done, t.resolution_breach_at, as_of);
        resolution.add(&t, outcome, to_resolution);
        if done.is_some() {
            resolved += 1;
            reopened += i64::from(t.reopened_at.is_some_and(|r| r <= as_of));
        }
    }
    let mut lines = first.lines(
        row,
        "first_response_sla",
        "first_response_minutes_median",
        "first_response_minutes_p90",
    );
    lines.extend(resolution.lines(
        row,
        "resolution_sla",
        "resolution_minutes_median",
        "resolution_minutes_p90",
    ));
    lines.push(Line::ratio(
        row,
        "reopen_rate",
        TOTAL,
        "all",
        reopened,
        resolved,
    ));
    Ok(lines)
}

/// Tickets open at the row's end, by age band.
fn backlog_lines(db: &Db, program: &ReportsProgram, row: &Row) -> Result<Vec<Line>, Problem> {
    let w = &row.window;
    let bands = &program.backlog_age_bands_hours;
    let cutoffs: Vec<DateTime<Utc>> = bands
        .iter()
        .map(|h| w.to - Duration::hours(i64::from(*h)))
        .collect();
    let (open, newer) = facts::backlog(db, w.to, &cutoffs)?;
    let mut backlog = Tally::new("backlog", Unit::Count, &["age"]);
    let mut before = 0;
    let labels = age_bands(bands);
    for (label, n) in labels.iter().zip(newer.iter().chain([&open])) {
        backlog.add(vec![label.clone()], n - before);
        before = *n;
    }
    Ok(backlog.lines(row))
}

/// Clock events that fell due in the row, and escalations.
fn event_lines(db: &Db, row: &Row) -> Result<Vec<Line>, Problem> {
    let w = &row.window;
    let mut events = Tally::new("clock_events", Unit::Count, &["event"]);
    let mut by_clock = 0;
    for (kind, escalates, n) in facts::clock_events(db, w)? {
        events.add(vec![kind], n);
        if escalates {
            by_clock += n;
        }
    }
    let mut lines = events.lines(row);
    lines.push(Line::total(
        row,
        "escalations",
        Unit::Count,
        by_clock + facts::escalations_by_people(db, w)?,
    ));
    Ok(lines)
}
