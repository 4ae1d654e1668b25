//! Report periods (issue 19): what window a report covers and how it is cut
//! into rows, in the programme's zone, so a day, week, month or quarter
//! starts at local midnight whatever the daylight-saving change does.
//!
//! A report asks either for a period containing `as_of` (`period=month`), or
//! for local dates `from`..=`to`; either way the window ends at `as_of` at the
//! latest, so a report for a past period answers the same tomorrow and one
//! for the current period counts what has happened so far. `by` cuts the
//! window into rows of a grain.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::validation::Errors;
use crate::zone::Zone;

/// A calendar grain: rows and periods are whole grains, local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grain {
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    Month,
    Quarter,
}

impl Grain {
    pub fn parse(text: &str) -> Option<Grain> {
        match text {
            "day" => Some(Grain::Day),
            "week" => Some(Grain::Week),
            "month" => Some(Grain::Month),
            "quarter" => Some(Grain::Quarter),
            _ => None,
        }
    }

    /// The first local date of the grain containing `date`.
    pub fn start(self, date: NaiveDate) -> NaiveDate {
        let first_of = |month: u32| NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date);
        match self {
            Grain::Day => date,
            Grain::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
            Grain::Month => first_of(date.month()),
            Grain::Quarter => first_of((date.month() - 1) / 3 * 3 + 1),
        }
    }

    /// The first local date of the next grain after the one starting `start`.
    fn next(self, start: NaiveDate) -> NaiveDate {
        let months = |n: u32| {
            start
                .checked_add_months(chrono::Months::new(n))
                .unwrap_or(start)
        };
        match self {
            Grain::Day => start + Duration::days(1),
            Grain::Week => start + Duration::days(7),
            Grain::Month => months(1),
            Grain::Quarter => months(3),
        }
    }

    /// A row's name: `2026-11-23`, `2026-W48`, `2026-11`, `2026-Q4`.
    pub fn label(self, start: NaiveDate) -> String {
        match self {
            Grain::Day => start.format("%Y-%m-%d").to_string(),
            Grain::Week => {
                let w = start.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Grain::Month => start.format("%Y-%m").to_string(),
            Grain::Quarter => format!("{}-Q{}", start.year(), (start.month() - 1) / 3 + 1),
        }
    }
}

impl fmt::Display for Grain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Grain::Day => "day",
            Grain::Week => "week",
            Grain::Month => "month",
            Grain::Quarter => "quarter",
        })
    }
}

/// A half-open span of time `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.to
    }
}

/// One row of a report: its name and its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub window: Window,
}

/// What a caller asked for, as parsed query parameters (texts as given).
#[derive(Debug, Clone, Default)]
pub struct PeriodQuery<'a> {
    pub period: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub by: Option<&'a str>,
}

/// A report's span and rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periods {
    pub window: Window,
    /// In order, contiguous, covering the window exactly; one row (the whole
    /// window, labelled `total`) without `by`.
    pub rows: Vec<Row>,
}

/// Resolves `q` at `as_of` in `zone`, with at most `max_rows` rows. Every
/// mistake is named by its parameter.
pub fn resolve(
    q: &PeriodQuery<'_>,
    as_of: DateTime<Utc>,
    zone: Zone,
    max_rows: usize,
) -> Result<Periods, Errors> {
    let mut errors = Errors::new();
    let grain = |name: &str, text: Option<&str>, errors: &mut Errors| {
        text.and_then(|t| {
            let g = Grain::parse(t);
            if g.is_none() {
                errors.add(name, "must be day, week, month or quarter");
            }
            g
        })
    };
    let date = |name: &str, text: Option<&str>, errors: &mut Errors| {
        text.and_then(|t| {
            let d = NaiveDate::parse_from_str(t, "%Y-%m-%d").ok();
            if d.is_none() {
                errors.add(name, "must be a date like 2026-11-01");
            }
            d
        })
    };
    let period = grain("period", q.period, &mut errors);
    let by = grain("by", q.by, &mut errors);
    let from = date("from", q.from, &mut errors);
    let to = date("to", q.to, &mut errors);
    if q.period.is_some() && (q.from.is_some() || q.to.is_some()) {
        errors.add("period", "give a period, or from and to, not both");
    }
    if q.from.is_some() != q.to.is_some() {
        errors.add(
            if q.from.is_none() { "from" } else { "to" },
            "from and to go together",
        );
    }
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            errors.add("from", format!("{f} is after to ({t})"));
        }
    }
    let today = zone.date_of(as_of);
    let (first, after_last) = match (period, from, to) {
        (Some(g), _, _) => {
            let start = g.start(today);
            (start, g.next(start))
        }
        (None, Some(f), Some(t)) if f <= t => (f, t + Duration::days(1)),
        _ => (
            Grain::Month.start(today),
            Grain::Month.next(Grain::Month.start(today)),
        ),
    };
    if first > today {
        errors.add("from", format!("{first} is after as_of's date ({today})"));
    }
    let window = Window {
        from: zone.start_of(first),
        to: zone.start_of(after_last).min(as_of),
    };
    let rows = match by {
        None => vec![Row {
            label: "total".into(),
            window: window.clone(),
        }],
        Some(g) => {
            let mut rows = Vec::new();
            let mut start = g.start(first);
            while start < after_last && zone.start_of(start) < window.to {
                if rows.len() == max_rows {
                    errors.add(
                        "by",
                        format!(
                            "at most {max_rows} rows: choose a coarser grain or a shorter span"
                        ),
                    );
                    break;
                }
                let next = g.next(start);
                rows.push(Row {
                    label: g.label(start),
                    window: Window {
                        from: zone.start_of(start).max(window.from),
                        to: zone.start_of(next).min(window.to),
                    },
                });
                start = next;
            }
            rows
        }
    };
    errors.finish(Periods { window, rows })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MADRID: Zone = Zone::EUROPE_MADRID;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn ask<'a>(
        period: Option<&'a str>,
        from: Option<&'a str>,
        to: Option<&'a str>,
        by: Option<&'a str>,
    ) -> PeriodQuery<'a> {
        PeriodQuery {
            period,
            from,
            to,
            by,
        }
    }

    #[test]
    fn a_month_to_date_starts_at_local_midnight() {
        let p = resolve(
            &ask(Some("month"), None, None, None),
            t("2026-12-03T07:00:00Z"),
            MADRID,
            400,
        )
        .unwrap();
        // 1 December 00:00 in Madrid (UTC+1) is 30 November 23:00 UTC.
        assert_eq!(p.window.from, t("2026-11-30T23:00:00Z"));
        assert_eq!(p.window.to, t("2026-12-03T07:00:00Z"), "up to as_of");
        assert_eq!(p.rows.len(), 1);
    }

    #[test]
    fn rows_follow_the_daylight_saving_changes() {
        // 29 March 2026 has 23 hours in Madrid; 25 October 2026 has 25.
        let march = resolve(
            &ask(None, Some("2026-03-28"), Some("2026-03-30"), Some("day")),
            t("2026-12-01T00:00:00Z"),
            MADRID,
            400,
        )
        .unwrap();
        let hours: Vec<i64> = march
            .rows
            .iter()
            .map(|r| (r.window.to - r.window.from).num_hours())
            .collect();
        assert_eq!(hours, [24, 23, 24]);
        assert_eq!(march.rows[1].label, "2026-03-29");
        let october = resolve(
            &ask(None, Some("2026-10-25"), Some("2026-10-25"), Some("day")),
            t("2026-12-01T00:00:00Z"),
            MADRID,
            400,
        )
        .unwrap();
        assert_eq!((october.window.to - october.window.from).num_hours(), 25);
    }

    #[test]
    fn weeks_months_and_quarters_are_named_and_clipped_to_the_span() {
        let p = resolve(
            &ask(None, Some("2026-11-25"), Some("2027-01-10"), Some("week")),
            t("2027-06-01T00:00:00Z"),
            MADRID,
            400,
        )
        .unwrap();
        assert_eq!(p.rows.first().unwrap().label, "2026-W48");
        assert_eq!(
            p.rows.first().unwrap().window.from,
            MADRID.start_of(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap())
        );
        assert_eq!(p.rows.last().unwrap().label, "2027-W01");
        let q = resolve(
            &ask(Some("quarter"), None, None, Some("month")),
            t("2026-11-15T12:00:00Z"),
            MADRID,
            400,
        )
        .unwrap();
        let labels: Vec<&str> = q.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["2026-10", "2026-11"], "no row for December yet");
        assert_eq!(
            Grain::Quarter.label(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()),
            "2026-Q4"
        );
    }

    #[test]
    fn bad_questions_name_their_parameter() {
        let at = t("2026-12-03T07:00:00Z");
        let fields = |q: PeriodQuery<'_>| {
            resolve(&q, at, MADRID, 400)
                .unwrap_err()
                .fields()
                .iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields(ask(None, Some("2026-11-02"), Some("2026-11-01"), None)),
            ["from"]
        );
        assert_eq!(
            fields(ask(Some("year"), None, None, Some("hour"))),
            ["period", "by"]
        );
        assert_eq!(
            fields(ask(
                Some("month"),
                Some("2026-11-01"),
                Some("2026-11-30"),
                None
            )),
            ["period"]
        );
        assert_eq!(fields(ask(None, Some("2026-11-01"), None, None)), ["to"]);
        assert_eq!(
            fields(ask(
                None,
                Some("2024-01-01"),
                Some("2026-12-01"),
                Some("day")
            )),
            ["by"]
        );
        assert_eq!(
            fields(ask(None, Some("2027-01-01"), Some("2027-01-31"), None)),
            ["from"]
        );
    }

    fn day() -> impl Strategy<Value = NaiveDate> {
        (0_i64..1200).prop_map(|d| NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Duration::days(d))
    }

    proptest! {
        /// Rows are in order, contiguous and cover the window exactly, so
        /// counts by row add up to the count over the window.
        #[test]
        fn rows_tile_the_window(a in day(), b in day(), g in 0_usize..4, instants in proptest::collection::vec(0_i64..(1300 * 86_400), 0..50)) {
            let (from, to) = (a.min(b), a.max(b));
            let grain = ["day", "week", "month", "quarter"][g];
            let (f, t_) = (from.to_string(), to.to_string());
            let at = t("2029-01-01T00:00:00Z");
            let Ok(p) = resolve(&ask(None, Some(&f), Some(&t_), Some(grain)), at, MADRID, 2000) else {
                return Ok(());
            };
            prop_assert_eq!(p.rows.first().unwrap().window.from, p.window.from);
            prop_assert_eq!(p.rows.last().unwrap().window.to, p.window.to);
            for pair in p.rows.windows(2) {
                prop_assert_eq!(pair[0].window.to, pair[1].window.from);
                prop_assert!(pair[0].window.from < pair[0].window.to);
            }
            let base = t("2025-01-01T00:00:00Z");
            let moments: Vec<DateTime<Utc>> = instants.iter().map(|s| base + Duration::seconds(*s)).collect();
            let total = moments.iter().filter(|m| p.window.contains(**m)).count();
            let by_row: usize = p.rows.iter().map(|r| moments.iter().filter(|m| r.window.contains(**m)).count()).sum();
            prop_assert_eq!(total, by_row);
        }
    }
}
