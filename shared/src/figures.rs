//! Report figures (issue 19): one line per figure, period row, breakdown and
//! key, the same lines answered as JSON and as CSV; the classification of a
//! ticket's SLA outcome at a date; percentiles; the report programme
//! (targets, limits) and the executive summary's comparison with the
//! previous period and the targets.
//!
//! Lines are "long" on purpose: a breakdown is a set of lines whose keys
//! split the total line of the same figure and row, so a reader (and the
//! property test) can check that the parts add up, and CSV has one shape
//! for every report.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::reports::{Grain, Row, Window};
use crate::validation::Errors;
use crate::zone::Zone;

/// What a line's value counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Count,
    Points,
    /// Minutes (business minutes where the figure says so).
    Minutes,
    Days,
    /// Money in minor units; the key names the currency.
    MinorUnits,
    /// `part` of `whole`; `value` is the share in tenths of a percent.
    Ratio,
}

/// The breakdown of a total line.
pub const TOTAL: &str = "total";

/// The key of a total line.
pub const ALL: &str = "all";

/// One figure of one period row, for one key of one breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// The row's label (`2026-11`, `2026-W48`, `total`).
    pub period: String,
    pub from: String,
    pub to: String,
    pub figure: &'static str,
    /// `total`, or the dimension the key belongs to (`channel`).
    pub breakdown: &'static str,
    /// `all` on a total line.
    pub key: String,
    pub unit: Unit,
    /// `None`: nothing to measure (a median of no tickets).
    pub value: Option<i64>,
    /// A ratio's numerator and denominator.
    pub part: Option<i64>,
    pub whole: Option<i64>,
    /// A ratio as a percentage with one decimal (`96.4`), `None` of nothing.
    pub percent: Option<String>,
}

impl Line {
    fn new(row: &Row, figure: &'static str, breakdown: &'static str, key: String) -> Line {
        Line {
            period: row.label.clone(),
            from: stamp(row.window.from),
            to: stamp(row.window.to),
            figure,
            breakdown,
            key,
            unit: Unit::Count,
            value: None,
            part: None,
            whole: None,
            percent: None,
        }
    }

    /// A measured amount.
    pub fn amount(
        row: &Row,
        figure: &'static str,
        breakdown: &'static str,
        key: impl Into<String>,
        unit: Unit,
        value: Option<i64>,
    ) -> Line {
        Line {
            unit,
            value,
            ..Line::new(row, figure, breakdown, key.into())
        }
    }

    /// A figure's total line.
    pub fn total(row: &Row, figure: &'static str, unit: Unit, value: i64) -> Line {
        Line::amount(row, figure, TOTAL, ALL, unit, Some(value))
    }

    /// `part` of `whole`, with the share in tenths of a percent (rounded
    /// half up), none of an empty whole.
    pub fn ratio(
        row: &Row,
        figure: &'static str,
        breakdown: &'static str,
        key: impl Into<String>,
        part: i64,
        whole: i64,
    ) -> Line {
        let tenths = share_tenths(part, whole);
        Line {
            unit: Unit::Ratio,
            value: tenths,
            part: Some(part),
            whole: Some(whole),
            percent: tenths.map(|t| format!("{}.{}", t / 10, t % 10)),
            ..Line::new(row, figure, breakdown, key.into())
        }
    }
}

/// `part / whole` in tenths of a percent, rounded half up; `None` of nothing.
pub fn share_tenths(part: i64, whole: i64) -> Option<i64> {
    (whole > 0).then(|| (part.saturating_mul(2000) + whole) / (2 * whole))
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Counts (or sums) of one figure over several dimensions at once: each
/// cell is one combination of keys. Its lines are the total and, per
/// dimension, the sum of the cells by that dimension's key — so every
/// breakdown adds up to the total by construction.
#[derive(Debug, Clone)]
pub struct Tally {
    pub figure: &'static str,
    pub unit: Unit,
    pub dimensions: &'static [&'static str],
    /// In the order first added: a breakdown's keys keep that order (age
    /// bands youngest first), not the alphabet's.
    cells: Vec<(Vec<String>, i64)>,
    /// Where each combination's cell is in `cells`.
    index: HashMap<Vec<String>, usize>,
}

impl Tally {
    pub fn new(figure: &'static str, unit: Unit, dimensions: &'static [&'static str]) -> Tally {
        Tally {
            figure,
            unit,
            dimensions,
            cells: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Adds `amount` to the cell of `keys` (one per dimension, in order).
    pub fn add(&mut self, keys: Vec<String>, amount: i64) {
        match self.index.get(&keys).and_then(|i| self.cells.get_mut(*i)) {
            Some((_, n)) => *n += amount,
            None => {
                self.index.insert(keys.clone(), self.cells.len());
                self.cells.push((keys, amount));
            }
        }
    }

    pub fn lines(&self, row: &Row) -> Vec<Line> {
        let total = self.cells.iter().map(|(_, n)| n).sum();
        let mut out = vec![Line::total(row, self.figure, self.unit, total)];
        for (i, dimension) in self.dimensions.iter().enumerate() {
            let mut by: Vec<(&str, i64)> = Vec::new();
            for (keys, amount) in &self.cells {
                let key = keys.get(i).map_or("unknown", String::as_str);
                match by.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, n)) => *n += amount,
                    None => by.push((key, *amount)),
                }
            }
            out.extend(
                by.into_iter()
                    .map(|(k, v)| Line::amount(row, self.figure, dimension, k, self.unit, Some(v))),
            );
        }
        out
    }
}

/// The nearest-rank percentile `p` (1..=100) of `values`; `None` of none.
pub fn percentile(values: &mut [i64], p: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    let rank = (usize::try_from(p).unwrap_or(100) * n)
        .div_ceil(100)
        .clamp(1, n);
    values.get(rank - 1).copied()
}

/// The median and 90th-percentile lines (nearest rank, figures `median`
/// and `p90`) of each key's values: the key `all` is the total, always
/// answered (`None` of nothing), the others are keys of `dimension`.
pub fn spread(
    row: &Row,
    median: &'static str,
    p90: &'static str,
    dimension: &'static str,
    mut values: BTreeMap<String, Vec<i64>>,
) -> Vec<Line> {
    values.entry(ALL.into()).or_default();
    let mut out = Vec::with_capacity(values.len() * 2);
    for (key, mut v) in values {
        let breakdown = if key == ALL { TOTAL } else { dimension };
        out.push(Line::amount(
            row,
            median,
            breakdown,
            key.clone(),
            Unit::Minutes,
            percentile(&mut v, 50),
        ));
        out.push(Line::amount(
            row,
            p90,
            breakdown,
            key,
            Unit::Minutes,
            percentile(&mut v, 90),
        ));
    }
    out
}

/// Where a ticket's SLA clock stands at a report's `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compliance {
    /// Met by its due time.
    Met,
    /// Met late, or its breach was recorded.
    Breached,
    /// Not met yet, and not due yet.
    OpenOnTime,
    /// Not met, past due.
    Overdue,
}

impl Compliance {
    /// The outcome at `as_of` of a clock due at `due` (`None`: paused for
    /// good, never due), met at `met_at`, with a breach event recorded at
    /// `breach_at`. Facts after `as_of` are not known yet, so a past
    /// report answers the same tomorrow.
    pub fn at(
        due: Option<DateTime<Utc>>,
        met_at: Option<DateTime<Utc>>,
        breach_at: Option<DateTime<Utc>>,
        as_of: DateTime<Utc>,
    ) -> Compliance {
        let met_at = met_at.filter(|m| *m <= as_of);
        let breached = breach_at.is_some_and(|b| b <= as_of);
        match (met_at, due) {
            (Some(m), Some(d)) if m > d => Compliance::Breached,
            (Some(_), _) if breached => Compliance::Breached,
            (Some(_), _) => Compliance::Met,
            (None, _) if breached => Compliance::Overdue,
            (None, Some(d)) if d < as_of => Compliance::Overdue,
            (None, _) => Compliance::OpenOnTime,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Compliance::Met => "met",
            Compliance::Breached => "breached",
            Compliance::OpenOnTime => "open_on_time",
            Compliance::Overdue => "overdue",
        }
    }

    /// Whether the clock counts as kept (for the compliance ratio: met of
    /// those met or breached).
    pub fn settled(self) -> Option<bool> {
        match self {
            Compliance::Met => Some(true),
            Compliance::Breached => Some(false),
            _ => None,
        }
    }
}

/// The names of the age bands that `bounds_hours` (increasing) cut time
/// into: `0-24h`, `24-72h`, …, and the last open-ended one, `720h+`. A ticket
/// is in the first band whose upper bound its age (whole hours) is under.
pub fn age_bands(bounds_hours: &[u32]) -> Vec<String> {
    let mut lower = 0;
    let mut out = Vec::with_capacity(bounds_hours.len() + 1);
    for b in bounds_hours {
        out.push(format!("{lower}-{b}h"));
        lower = *b;
    }
    out.push(format!("{lower}h+"));
    out
}

/// Whether a member's tier change at `at` moves the members by tier: after
/// they joined (a change at the joining instant is the tier they joined
/// at) and before they left (`left_at`, if they did).
pub fn change_while_member(
    joined_at: DateTime<Utc>,
    left_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> bool {
    at > joined_at && left_at.is_none_or(|l| at < l)
}

/// A redemption's state at `as_of`, from the times of its moves (its state
/// now, `updated_at` of its last move): what a report for a past date saw.
pub fn redemption_state_at(
    state: &str,
    decided_at: Option<DateTime<Utc>>,
    fulfilled_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> &'static str {
    let by = |t: Option<DateTime<Utc>>| t.is_some_and(|t| t <= as_of);
    match state {
        _ if by(fulfilled_at) => "fulfilled",
        "rejected" if updated_at <= as_of => "rejected",
        "cancelled" if updated_at <= as_of => "cancelled",
        _ if by(decided_at) => "approved",
        _ => "requested",
    }
}

/// Whether a payment commitment was kept at `as_of`: paid in full before
/// the end of its pay-by day (`deadline`), broken once that passed unpaid,
/// pending before.
pub fn commitment_outcome(
    paid_at: Option<DateTime<Utc>>,
    deadline: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> &'static str {
    match paid_at.filter(|p| *p <= as_of) {
        Some(p) if p < deadline => "kept",
        _ if deadline <= as_of => "broken",
        _ => "pending",
    }
}

/// Targets the executive summary compares with, in whole percent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Onboarding cases decided within their 24 h target.
    pub onboarding_within_target_percent: u32,
    pub first_response_sla_percent: u32,
    pub resolution_sla_percent: u32,
    /// Redemptions decided by their review due time.
    pub redemptions_reviewed_on_time_percent: u32,
    /// Invoices paid by their due day.
    pub invoices_paid_by_due_percent: u32,
}

/// When the weekly summary is prepared, programme-local.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklySummary {
    /// `Mon` .. `Sun`.
    pub weekday: Weekday,
    /// Local hour, 0..=23.
    pub hour: u32,
}

/// The reports programme (`GET/PUT /api/v1/program/reports`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsProgram {
    pub zone: Zone,
    /// Most rows one report answers (e.g. 400 days).
    pub max_rows: u32,
    pub targets: Targets,
    /// A limited reward with this many units left or fewer is a stock alert.
    pub low_stock_units: u32,
    /// Upper bounds (hours) of the backlog age bands.
    pub backlog_age_bands_hours: Vec<u32>,
    pub weekly_summary: WeeklySummary,
}

impl ReportsProgram {
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        if !(1..=5000).contains(&self.max_rows) {
            errors.add("max_rows", "must be 1 to 5000");
        }
        let t = &self.targets;
        for (name, v) in [
            (
                "onboarding_within_target_percent",
                t.onboarding_within_target_percent,
            ),
            ("first_response_sla_percent", t.first_response_sla_percent),
            ("resolution_sla_percent", t.resolution_sla_percent),
            (
                "redemptions_reviewed_on_time_percent",
                t.redemptions_reviewed_on_time_percent,
            ),
            (
                "invoices_paid_by_due_percent",
                t.invoices_paid_by_due_percent,
            ),
        ] {
            if v > 100 {
                errors.add(format!("targets.{name}"), "must be 0 to 100");
            }
        }
        let bands = &self.backlog_age_bands_hours;
        if bands.is_empty()
            || bands.windows(2).any(|w| w.first() >= w.get(1))
            || bands.first() == Some(&0)
        {
            errors.add(
                "backlog_age_bands_hours",
                "must be one or more increasing hour bounds above 0",
            );
        }
        if self.weekly_summary.hour > 23 {
            errors.add("weekly_summary.hour", "must be 0 to 23");
        }
        errors.finish(())
    }

    /// The weekly summary that should exist at `as_of`: the last
    /// preparation time (weekday and hour, local) not after `as_of`, and
    /// the week it summarises (the seven local days before it, Monday
    /// first when prepared on a Monday).
    pub fn weekly_summary_due(&self, as_of: DateTime<Utc>) -> Option<(String, Window)> {
        let zone = self.zone;
        let mut day = zone.date_of(as_of);
        let at = NaiveTime::from_hms_opt(self.weekly_summary.hour, 0, 0)?;
        for _ in 0..8 {
            if day.weekday() == self.weekly_summary.weekday {
                let prepared = zone
                    .tz()
                    .from_local_datetime(&day.and_time(at))
                    .earliest()?
                    .with_timezone(&Utc);
                if prepared <= as_of {
                    let first = day - Duration::days(7);
                    return Some((
                        Grain::Week.label(Grain::Week.start(first)),
                        Window {
                            from: zone.start_of(first),
                            to: zone.start_of(day),
                        },
                    ));
                }
            }
            day = day.pred_opt()?;
        }
        None
    }
}

pub fn default_program() -> ReportsProgram {
    ReportsProgram {
        zone: Zone::EUROPE_MADRID,
        max_rows: 400,
        targets: Targets {
            onboarding_within_target_percent: 95,
            first_response_sla_percent: 95,
            resolution_sla_percent: 95,
            redemptions_reviewed_on_time_percent: 95,
            invoices_paid_by_due_percent: 90,
        },
        low_stock_units: 5,
        backlog_age_bands_hours: vec![24, 72, 168, 720],
        weekly_summary: WeeklySummary {
            weekday: Weekday::Mon,
            hour: 7,
        },
    }
}

/// One key figure of the executive summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyFigure {
    pub figure: &'static str,
    pub unit: Unit,
    pub current: Option<i64>,
    pub previous: Option<i64>,
    /// `current - previous`, when both are known.
    pub change: Option<i64>,
    /// A ratio's target, in whole percent.
    pub target_percent: Option<u32>,
    /// Why this figure needs attention, if it does.
    pub alert: Option<String>,
}

impl KeyFigure {
    /// Compares `current` with `previous` (both total lines of the same
    /// figure) and, for a ratio, with `target` percent: below it is an alert.
    pub fn compare(current: &Line, previous: Option<&Line>, target: Option<u32>) -> KeyFigure {
        let prev = previous.and_then(|p| p.value);
        let alert = match (target, current.part, current.whole) {
            (Some(t), Some(part), Some(whole))
                if whole > 0 && part * 100 < i64::from(t) * whole =>
            {
                Some(format!(
                    "{}: {}% ({part} of {whole}) is below the {t}% target",
                    current.figure,
                    current.percent.as_deref().unwrap_or("?"),
                ))
            }
            _ => None,
        };
        KeyFigure {
            figure: current.figure,
            unit: current.unit,
            current: current.value,
            previous: prev,
            change: current.value.zip(prev).map(|(c, p)| c - p),
            target_percent: target,
            alert,
        }
    }
}

/// The window just before `window` of the same grain: the previous week,
/// month or quarter, in local time.
pub fn previous_window(grain: Grain, window: &Window, zone: Zone) -> Window {
    let first = zone.date_of(window.from);
    let before = grain.start(first.pred_opt().unwrap_or(first));
    Window {
        from: zone.start_of(before),
        to: window.from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn row() -> Row {
        Row {
            label: "total".into(),
            window: Window {
                from: t("2026-11-01T00:00:00Z"),
                to: t("2026-12-01T00:00:00Z"),
            },
        }
    }

    #[test]
    fn ratios_round_half_up_to_a_tenth_and_empty_is_none() {
        let l = Line::ratio(&row(), "x", TOTAL, "all", 2, 3);
        assert_eq!(l.percent.as_deref(), Some("66.7"));
        assert_eq!(l.value, Some(667));
        assert_eq!(share_tenths(1, 8), Some(125));
        assert_eq!(share_tenths(19, 20), Some(950));
        assert_eq!(share_tenths(0, 0), None);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let mut v = vec![50, 10, 40, 20, 30];
        assert_eq!(percentile(&mut v, 50), Some(30));
        assert_eq!(percentile(&mut v, 90), Some(50));
        assert_eq!(percentile(&mut [7], 90), Some(7));
        assert_eq!(percentile(&mut [], 50), None);
        let mut ten: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&mut ten, 90), Some(9));
        assert_eq!(percentile(&mut ten, 50), Some(5));
    }

    #[test]
    fn spreads_answer_the_total_always_and_each_key_by_its_dimension() {
        let mut values = BTreeMap::new();
        values.insert("high".to_string(), vec![30, 10, 20]);
        let lines = spread(&row(), "m50", "m90", "priority", values);
        let got: Vec<(&str, &str, &str, Option<i64>)> = lines
            .iter()
            .map(|l| (l.figure, l.breakdown, l.key.as_str(), l.value))
            .collect();
        assert_eq!(
            got,
            [
                ("m50", TOTAL, ALL, None),
                ("m90", TOTAL, ALL, None),
                ("m50", "priority", "high", Some(20)),
                ("m90", "priority", "high", Some(30)),
            ]
        );
    }

    #[test]
    fn compliance_ignores_what_happened_after_as_of() {
        let due = Some(t("2026-11-02T10:00:00Z"));
        let early = Some(t("2026-11-02T09:00:00Z"));
        let late = Some(t("2026-11-02T11:00:00Z"));
        let before = t("2026-11-02T09:30:00Z");
        let after = t("2026-11-03T00:00:00Z");
        assert_eq!(Compliance::at(due, early, None, after), Compliance::Met);
        assert_eq!(Compliance::at(due, late, None, after), Compliance::Breached);
        assert_eq!(
            Compliance::at(due, late, None, before),
            Compliance::OpenOnTime
        );
        assert_eq!(Compliance::at(due, None, None, after), Compliance::Overdue);
        assert_eq!(
            Compliance::at(due, None, Some(t("2026-11-02T10:00:00Z")), after),
            Compliance::Overdue
        );
        // A recorded breach stands even if the clock was met by the due
        // time the ticket carries now (a reclassification moved it).
        assert_eq!(
            Compliance::at(due, early, Some(t("2026-11-02T08:00:00Z")), after),
            Compliance::Breached
        );
        assert_eq!(
            Compliance::at(None, None, None, after),
            Compliance::OpenOnTime
        );
    }

    #[test]
    fn tier_changes_count_between_joining_and_leaving() {
        let (joined, left) = (t("2026-03-01T00:00:00Z"), t("2026-03-10T00:00:00Z"));
        assert!(!change_while_member(joined, None, joined));
        assert!(change_while_member(joined, None, t("2026-03-05T00:00:00Z")));
        assert!(change_while_member(
            joined,
            Some(left),
            t("2026-03-09T23:59:59Z")
        ));
        assert!(!change_while_member(joined, Some(left), left));
    }

    #[test]
    fn redemption_states_as_they_stood() {
        let at = |h: i64| t("2026-11-02T00:00:00Z") + Duration::hours(h);
        let f =
            |state, as_of| redemption_state_at(state, Some(at(2)), Some(at(5)), at(5), at(as_of));
        assert_eq!(f("fulfilled", 1), "requested");
        assert_eq!(f("fulfilled", 3), "approved");
        assert_eq!(f("fulfilled", 5), "fulfilled");
        assert_eq!(
            redemption_state_at("rejected", Some(at(2)), None, at(2), at(1)),
            "requested"
        );
        assert_eq!(
            redemption_state_at("rejected", Some(at(2)), None, at(2), at(2)),
            "rejected"
        );
        assert_eq!(
            redemption_state_at("cancelled", Some(at(2)), None, at(4), at(3)),
            "approved"
        );
        assert_eq!(
            redemption_state_at("cancelled", Some(at(2)), None, at(4), at(4)),
            "cancelled"
        );
    }

    #[test]
    fn commitments_kept_broken_pending() {
        let deadline = t("2026-11-10T23:00:00Z");
        let paid = Some(t("2026-11-10T22:59:59Z"));
        assert_eq!(
            commitment_outcome(paid, deadline, t("2026-11-20T00:00:00Z")),
            "kept"
        );
        assert_eq!(
            commitment_outcome(paid, deadline, t("2026-11-05T00:00:00Z")),
            "pending"
        );
        assert_eq!(
            commitment_outcome(Some(deadline), deadline, t("2026-11-20T00:00:00Z")),
            "broken"
        );
        assert_eq!(commitment_outcome(None, deadline, deadline), "broken");
    }

    #[test]
    fn age_bands_are_named_by_their_bounds() {
        assert_eq!(
            age_bands(&[24, 72, 168]),
            ["0-24h", "24-72h", "72-168h", "168h+"]
        );
    }

    #[test]
    fn the_defaults_are_valid_and_bad_values_are_named() {
        assert!(default_program().validate().is_ok());
        let mut p = default_program();
        p.max_rows = 0;
        p.targets.resolution_sla_percent = 101;
        p.backlog_age_bands_hours = vec![72, 24];
        p.weekly_summary.hour = 24;
        let e = p.validate().unwrap_err();
        assert_eq!(
            e.fields(),
            vec![
                "max_rows",
                "targets.resolution_sla_percent",
                "backlog_age_bands_hours",
                "weekly_summary.hour"
            ]
        );
    }

    #[test]
    fn the_weekly_summary_is_due_from_monday_seven_madrid_for_the_week_before() {
        let p = default_program();
        // Monday 2026-11-30 07:00 Madrid is 06:00 UTC (winter time).
        assert_eq!(
            p.weekly_summary_due(t("2026-11-30T05:59:59Z")).unwrap().0,
            "2026-W47"
        );
        let (label, w) = p.weekly_summary_due(t("2026-11-30T06:00:00Z")).unwrap();
        assert_eq!(label, "2026-W48");
        assert_eq!(w.from, t("2026-11-22T23:00:00Z"));
        assert_eq!(w.to, t("2026-11-29T23:00:00Z"));
        // Still the same week on Sunday night.
        assert_eq!(
            p.weekly_summary_due(t("2026-12-06T22:00:00Z")).unwrap().0,
            "2026-W48"
        );
        // Monday 2026-03-30 07:00 Madrid is 05:00 UTC (summer time, after
        // the change on the 29th); the week before is 167 hours long.
        let (label, w) = p.weekly_summary_due(t("2026-03-30T05:00:00Z")).unwrap();
        assert_eq!(label, "2026-W13");
        assert_eq!(w.to - w.from, Duration::hours(167));
    }

    #[test]
    fn summary_alerts_only_below_target() {
        let r = row();
        let now = Line::ratio(&r, "onboarding_within_target", TOTAL, "all", 18, 20);
        let before = Line::ratio(&r, "onboarding_within_target", TOTAL, "all", 20, 20);
        let k = KeyFigure::compare(&now, Some(&before), Some(95));
        assert_eq!(k.current, Some(900));
        assert_eq!(k.change, Some(-100));
        assert_eq!(
            k.alert.as_deref(),
            Some("onboarding_within_target: 90.0% (18 of 20) is below the 95% target")
        );
        let exact = Line::ratio(&r, "x", TOTAL, "all", 19, 20);
        assert_eq!(KeyFigure::compare(&exact, None, Some(95)).alert, None);
        let count = Line::total(&r, "tickets_opened", Unit::Count, 4);
        assert_eq!(KeyFigure::compare(&count, None, None).alert, None);
    }

    #[test]
    fn previous_windows_are_whole_grains() {
        let z = Zone::EUROPE_MADRID;
        let w = Window {
            from: t("2026-10-31T23:00:00Z"),
            to: t("2026-11-15T00:00:00Z"),
        };
        let p = previous_window(Grain::Month, &w, z);
        assert_eq!(p.from, t("2026-09-30T22:00:00Z"));
        assert_eq!(p.to, w.from);
    }

    proptest! {
        #[test]
        fn every_breakdown_adds_up_to_the_total(
            cells in proptest::collection::vec((0_u8..4, 0_u8..3, 0_u8..5, 0_i64..1000), 0..60)
        ) {
            let mut tally = Tally::new("tickets_opened", Unit::Count, &["channel", "kind", "plan"]);
            for (a, b, c, n) in &cells {
                tally.add(vec![a.to_string(), b.to_string(), c.to_string()], *n);
            }
            let lines = tally.lines(&row());
            let total = lines.iter().find(|l| l.breakdown == TOTAL).and_then(|l| l.value).unwrap();
            prop_assert_eq!(total, cells.iter().map(|c| c.3).sum::<i64>());
            for d in ["channel", "kind", "plan"] {
                let sum: i64 = lines.iter().filter(|l| l.breakdown == d).filter_map(|l| l.value).sum();
                prop_assert_eq!(sum, total, "{} does not add up", d);
            }
        }
    }
}
