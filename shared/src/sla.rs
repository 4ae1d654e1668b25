//! SLA targets and clocks (docs/domain.md §4 "Targets", "Clock rules"; seeds 002
//! §6, §9, §10.1; 000 §5.1).
//!
//! A target is a duration on a clock: business time on the customer's
//! calendar, or natural time for `very_high` incidents (24×7). A clock starts
//! at intake and pauses while the ticket waits on the customer; its due
//! instant, its 75 % warning and its breach are where the running time
//! reaches those shares of the target.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::calendar::Clock;
use crate::customer::SupportPlan;
use crate::validation::Errors;

/// The rows of the targets table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    VeryHigh,
    High,
    Medium,
    /// Low-priority incidents and questions.
    Low,
}

impl Priority {
    /// Most urgent first: the work queue's order.
    pub const ALL: [Priority; 4] = [
        Priority::VeryHigh,
        Priority::High,
        Priority::Medium,
        Priority::Low,
    ];

    /// Only `very_high` runs on the 24×7 clock (002 §6).
    pub fn natural_time(self) -> bool {
        self == Priority::VeryHigh
    }
}

/// A target duration: `30m`, `4h`, or `5d` business days (each
/// `business_day_hours` long; natural days for the 24×7 clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Minutes(u32),
    Days(u32),
}

impl Span {
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a duration like 30m, 4h or 5d");
        let (n, unit) = text.split_at(text.len().saturating_sub(1));
        let n: u32 = n.parse().map_err(|_| bad())?;
        if n == 0 {
            return Err(bad());
        }
        match unit {
            "m" => Ok(Span::Minutes(n)),
            "h" => n.checked_mul(60).map(Span::Minutes).ok_or_else(bad),
            "d" => Ok(Span::Days(n)),
            _ => Err(bad()),
        }
    }

    /// The duration on a clock: a business day is `business_day_hours` of
    /// business time; on the natural clock a day is 24 hours.
    pub fn duration(self, natural: bool, business_day_hours: u32) -> Duration {
        match self {
            Span::Minutes(m) => Duration::minutes(i64::from(m)),
            Span::Days(d) if natural => Duration::days(i64::from(d)),
            Span::Days(d) => Duration::hours(i64::from(d) * i64::from(business_day_hours)),
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Span::Minutes(m) if m % 60 == 0 => write!(f, "{}h", m / 60),
            Span::Minutes(m) => write!(f, "{m}m"),
            Span::Days(d) => write!(f, "{d}d"),
        }
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Span::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// One row of the table: a target per support plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerPlan {
    pub platinum: Span,
    pub gold: Span,
    pub silver: Span,
    pub bronze: Span,
}

impl PerPlan {
    pub fn of(&self, plan: SupportPlan) -> Span {
        match plan {
            SupportPlan::Platinum => self.platinum,
            SupportPlan::Gold => self.gold,
            SupportPlan::Silver => self.silver,
            SupportPlan::Bronze => self.bronze,
        }
    }
}

/// A table: one row per priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerPriority {
    pub very_high: PerPlan,
    pub high: PerPlan,
    pub medium: PerPlan,
    pub low: PerPlan,
}

impl PerPriority {
    pub fn of(&self, priority: Priority) -> &PerPlan {
        match priority {
            Priority::VeryHigh => &self.very_high,
            Priority::High => &self.high,
            Priority::Medium => &self.medium,
            Priority::Low => &self.low,
        }
    }
}

/// The targets table (plan × priority), as programme data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    pub first_response: PerPriority,
    /// Resolution targets are an intention, not a commitment (002).
    pub resolution: PerPriority,
    /// Business hours in one business day of a target (the default calendar's day: 9).
    pub business_day_hours: u32,
}

/// What a ticket is held to, and on which clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Target {
    pub span: Span,
    pub natural_time: bool,
    pub duration_minutes: i64,
}

impl Targets {
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        if !(1..=24).contains(&self.business_day_hours) {
            errors.add("business_day_hours", "must be 1 to 24");
        }
        errors.finish(())
    }

    fn target(&self, table: &PerPriority, plan: SupportPlan, priority: Priority) -> Target {
        let span = table.of(priority).of(plan);
        let natural_time = priority.natural_time();
        Target {
            span,
            natural_time,
            duration_minutes: span
                .duration(natural_time, self.business_day_hours)
                .num_minutes(),
        }
    }

    pub fn first_response(&self, plan: SupportPlan, priority: Priority) -> Target {
        self.target(&self.first_response, plan, priority)
    }

    pub fn resolution(&self, plan: SupportPlan, priority: Priority) -> Target {
        self.target(&self.resolution, plan, priority)
    }
}

/// docs/domain.md §4 defaults (000 §5.1 support levels; 003 ticket channel < 4 h).
pub fn default_targets() -> Targets {
    let row = |p: &str, g: &str, s: &str, b: &str| {
        let span = |t: &str| Span::parse(t).unwrap_or(Span::Minutes(60));
        PerPlan {
            platinum: span(p),
            gold: span(g),
            silver: span(s),
            bronze: span(b),
        }
    };
    Targets {
        first_response: PerPriority {
            very_high: row("30m", "1h", "2h", "4h"),
            high: row("1h", "2h", "4h", "8h"),
            medium: row("2h", "4h", "8h", "16h"),
            low: row("4h", "8h", "16h", "24h"),
        },
        resolution: PerPriority {
            very_high: row("4h", "8h", "12h", "24h"),
            high: row("1d", "2d", "3d", "5d"),
            medium: row("3d", "5d", "8d", "10d"),
            low: row("5d", "10d", "15d", "20d"),
        },
        business_day_hours: 9,
    }
}

/// A time the ticket waited on the customer; `to` is `None` while it still waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pause {
    pub from: DateTime<Utc>,
    pub to: Option<DateTime<Utc>>,
}

/// Pauses from more than one source (waits on the customer, waits on a
/// provider) as one list: in order, overlaps joined, an open pause covering
/// everything after it. [`SlaClock`] needs them so.
pub fn merge_pauses(mut pauses: Vec<Pause>) -> Vec<Pause> {
    pauses.sort_by_key(|p| p.from);
    let mut out: Vec<Pause> = Vec::with_capacity(pauses.len());
    for p in pauses {
        match out.last_mut() {
            Some(last) if last.to.is_none_or(|to| p.from <= to) => {
                last.to = match (last.to, p.to) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => out.push(p),
        }
    }
    out
}

/// One SLA clock of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaClock {
    pub started: DateTime<Utc>,
    /// In order, not overlapping.
    pub pauses: Vec<Pause>,
    pub target: Duration,
}

impl SlaClock {
    /// The stretches the clock runs: from the start to the first pause,
    /// between pauses, and from the last resume on (`None`: open-ended).
    fn running(&self) -> Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> {
        let mut out = Vec::new();
        let mut from = Some(self.started);
        for p in &self.pauses {
            if let Some(f) = from {
                out.push((f, Some(p.from.max(f))));
            }
            from = p.to;
        }
        if let Some(f) = from {
            out.push((f, None));
        }
        out
    }

    /// Clock time used by `now`.
    pub fn used(&self, clock: &Clock<'_>, now: DateTime<Utc>) -> Duration {
        self.running()
            .into_iter()
            .map(|(s, e)| clock.between(s, e.map_or(now, |e| e.min(now))))
            .sum()
    }

    /// Whether the clock is stopped (waiting on the customer).
    pub fn paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.to.is_none())
    }

    /// The instant the clock reaches `percent` of its target, given the
    /// pauses so far: in the past if it did already; `None` while paused
    /// before reaching it (or if the calendar has no working time).
    pub fn reaches(&self, clock: &Clock<'_>, percent: u32) -> Option<DateTime<Utc>> {
        let goal = self.target * i32::try_from(percent).unwrap_or(i32::MAX) / 100;
        let mut used = Duration::zero();
        for (s, e) in self.running() {
            let left = goal - used;
            match e {
                Some(e) => {
                    let stretch = clock.between(s, e);
                    if stretch >= left && left > Duration::zero() {
                        return clock.add(s, left);
                    }
                    if left <= Duration::zero() {
                        return Some(s);
                    }
                    used += stretch;
                }
                None => return clock.add(s, left.max(Duration::zero())),
            }
        }
        None
    }

    /// The due instant (100 % of the target).
    pub fn due(&self, clock: &Clock<'_>) -> Option<DateTime<Utc>> {
        self.reaches(clock, 100)
    }

    /// The clock as it stood when it was met at `met_at`: a wait that began
    /// afterwards does not count, and one under way then ends there. A met
    /// clock is final, so its due time and status never move again.
    pub fn settled(&self, met_at: Option<DateTime<Utc>>) -> SlaClock {
        let Some(met) = met_at else {
            return self.clone();
        };
        let pauses = self
            .pauses
            .iter()
            .filter(|p| p.from < met)
            .map(|p| Pause {
                from: p.from,
                to: Some(p.to.map_or(met, |to| to.min(met))),
            })
            .collect();
        SlaClock {
            pauses,
            ..self.clone()
        }
    }

    /// Where the clock stands at `now`, met at `met_at` or not, with its
    /// warning at `warning_percent` of the target.
    pub fn status(
        &self,
        clock: &Clock<'_>,
        met_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        warning_percent: u32,
    ) -> ClockStatus {
        let settled = self.settled(met_at);
        let due = settled.due(clock);
        match met_at {
            Some(met) if due.is_some_and(|d| met <= d) => ClockStatus::Met,
            Some(_) => ClockStatus::MetLate,
            None if self.paused() => ClockStatus::Paused,
            None if due.is_some_and(|d| d <= now) => ClockStatus::Breached,
            None if settled
                .reaches(clock, warning_percent)
                .is_some_and(|w| w <= now) =>
            {
                ClockStatus::Warning
            }
            None => ClockStatus::Running,
        }
    }
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockStatus {
    /// Met by its due time.
    Met,
    /// Met after its due time.
    MetLate,
    /// Stopped while the ticket waits on the customer.
    Paused,
    /// Past its due time and not met.
    Breached,
    /// Past the warning share of its target.
    Warning,
    Running,
}

impl ClockStatus {
    /// In words, as the SLA explanation gives it.
    pub fn describe(self, warning_percent: u32) -> String {
        match self {
            ClockStatus::Met => "met".into(),
            ClockStatus::MetLate => "met late".into(),
            ClockStatus::Paused => "paused: waiting on the customer".into(),
            ClockStatus::Breached => "breached".into(),
            ClockStatus::Warning => format!("running, past the {warning_percent} % warning"),
            ClockStatus::Running => "running".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_table_reads_as_domain_md() {
        let targets = default_targets();
        assert!(targets.validate().is_ok());
        let vh = targets.first_response(SupportPlan::Platinum, Priority::VeryHigh);
        assert_eq!((vh.duration_minutes, vh.natural_time), (30, true));
        let res = targets.resolution(SupportPlan::Bronze, Priority::Low);
        assert_eq!(
            (res.duration_minutes, res.natural_time),
            (20 * 9 * 60, false)
        );
        assert_eq!(
            targets
                .resolution(SupportPlan::Gold, Priority::VeryHigh)
                .duration_minutes,
            8 * 60
        );
        let json = serde_json::to_value(targets).unwrap();
        assert_eq!(json["first_response"]["very_high"]["platinum"], "30m");
        assert_eq!(json["resolution"]["high"]["bronze"], "5d");
        assert!(
            Span::parse("0h").is_err() && Span::parse("4w").is_err() && Span::parse("h").is_err()
        );
    }

    #[test]
    fn pauses_stop_the_clock_and_move_the_due_time() {
        let cal = Calendar::default_business().compile();
        let clock = Clock::Business(&cal);
        // Monday 09:00 Madrid, 8 business hours: due 17:00, closing time; the warning at 15:00.
        let mut c = SlaClock {
            started: t("2026-11-23T08:00:00Z"),
            pauses: vec![],
            target: Duration::hours(8),
        };
        assert_eq!(c.due(&clock), Some(t("2026-11-23T16:00:00Z")));
        assert_eq!(c.reaches(&clock, 75), Some(t("2026-11-23T14:00:00Z")));
        // Waiting on the customer from 11:00 to Tuesday 10:00: 2 h used before, due 6 h after resuming (16:00).
        c.pauses.push(Pause {
            from: t("2026-11-23T10:00:00Z"),
            to: None,
        });
        assert!(c.paused());
        assert_eq!(c.due(&clock), None);
        assert_eq!(
            c.used(&clock, t("2026-11-24T12:00:00Z")),
            Duration::hours(2)
        );
        c.pauses[0].to = Some(t("2026-11-24T09:00:00Z"));
        assert_eq!(c.due(&clock), Some(t("2026-11-24T15:00:00Z")));
        // A warning already passed before the pause stays where it was.
        let early = SlaClock {
            target: Duration::hours(2),
            ..c.clone()
        };
        assert_eq!(early.reaches(&clock, 75), Some(t("2026-11-23T09:30:00Z")));
        assert_eq!(early.due(&clock), Some(t("2026-11-23T10:00:00Z")));
        // Natural time runs through nights and weekends.
        let natural = SlaClock {
            started: t("2026-11-21T22:00:00Z"),
            pauses: vec![],
            target: Duration::hours(4),
        };
        assert_eq!(
            natural.due(&Clock::Natural),
            Some(t("2026-11-22T02:00:00Z"))
        );
    }

    #[test]
    fn a_met_clock_is_final_whatever_waits_follow() {
        let cal = Calendar::default_business().compile();
        let clock = Clock::Business(&cal);
        // Monday 09:00 Madrid, 2 business hours: due 11:00. The team answers at
        // 10:00, then asks the customer something at 10:30 and is still waiting.
        let mut c = SlaClock {
            started: t("2026-11-23T08:00:00Z"),
            pauses: vec![],
            target: Duration::hours(2),
        };
        let met = Some(t("2026-11-23T09:00:00Z"));
        let before = c.settled(met).due(&clock);
        assert_eq!(before, Some(t("2026-11-23T10:00:00Z")));
        c.pauses.push(Pause {
            from: t("2026-11-23T09:30:00Z"),
            to: None,
        });
        let now = t("2026-11-24T12:00:00Z");
        assert_eq!(c.status(&clock, met, now, 75), ClockStatus::Met);
        assert_eq!(c.settled(met).due(&clock), before);
        // The customer answers the next day: still met, still due at 11:00.
        c.pauses[0].to = Some(t("2026-11-24T09:00:00Z"));
        assert_eq!(c.status(&clock, met, now, 75), ClockStatus::Met);
        assert_eq!(c.settled(met).due(&clock), before);
        // Unmet, the same clock is paused, then running again on the shifted due.
        c.pauses[0].to = None;
        assert_eq!(c.status(&clock, None, now, 75), ClockStatus::Paused);
        c.pauses[0].to = Some(t("2026-11-24T09:00:00Z"));
        assert_eq!(
            c.due(&clock),
            Some(t("2026-11-24T09:30:00Z")),
            "90 min used before the wait, 30 left after it"
        );
        assert_eq!(
            c.status(&clock, None, t("2026-11-23T08:30:00Z"), 75),
            ClockStatus::Running
        );
        assert_eq!(
            c.status(&clock, None, t("2026-11-24T09:10:00Z"), 75)
                .describe(75),
            "running, past the 75 % warning"
        );
        assert_eq!(c.status(&clock, None, now, 75), ClockStatus::Breached);
        // Met while waiting (resolved straight from pending_customer): the
        // wait ends at the meeting, so it is judged on the time used before
        // (90 of 120 minutes): met.
        let mut waiting = c.clone();
        waiting.pauses[0].to = None;
        let resolved = Some(t("2026-11-24T08:00:00Z"));
        assert_eq!(waiting.status(&clock, resolved, now, 75), ClockStatus::Met);
        assert_eq!(
            waiting.settled(resolved).pauses,
            vec![Pause {
                from: t("2026-11-23T09:30:00Z"),
                to: resolved
            }]
        );
    }

    #[test]
    fn pauses_from_two_sources_merge_into_one_ordered_list() {
        let p = |from: &str, to: Option<&str>| Pause {
            from: t(from),
            to: to.map(t),
        };
        // A provider wait 10-14 across a customer wait 11-12, then an open one from 15.
        let merged = merge_pauses(vec![
            p("2026-11-23T15:00:00Z", None),
            p("2026-11-23T11:00:00Z", Some("2026-11-23T12:00:00Z")),
            p("2026-11-23T10:00:00Z", Some("2026-11-23T14:00:00Z")),
            p("2026-11-23T16:00:00Z", Some("2026-11-23T17:00:00Z")),
        ]);
        assert_eq!(
            merged,
            vec![
                p("2026-11-23T10:00:00Z", Some("2026-11-23T14:00:00Z")),
                p("2026-11-23T15:00:00Z", None)
            ]
        );
        // Still waiting on the provider when the customer answers: still stopped.
        let still = merge_pauses(vec![
            p("2026-11-23T10:00:00Z", None),
            p("2026-11-23T11:00:00Z", Some("2026-11-23T12:00:00Z")),
        ]);
        assert_eq!(still, vec![p("2026-11-23T10:00:00Z", None)]);
    }

    proptest! {
        /// A met clock's status and due time do not depend on pauses that
        /// began after it was met.
        #[test]
        fn pauses_after_meeting_change_nothing(
            start in 1_767_225_600_i64..1_830_297_600,
            met_after in 0_i64..(60 * 60 * 24 * 5),
            pause_after in 0_i64..(60 * 60 * 24 * 5),
            pause_len in proptest::option::of(0_i64..(60 * 60 * 24 * 10)),
            minutes in 1_i64..(60 * 40),
        ) {
            let cal = Calendar::default_business().compile();
            let clock = Clock::Business(&cal);
            let started = DateTime::from_timestamp(start, 0).unwrap();
            let met = started + Duration::seconds(met_after);
            let from = met + Duration::seconds(pause_after);
            let plain = SlaClock { started, pauses: vec![], target: Duration::minutes(minutes) };
            let later = SlaClock {
                pauses: vec![Pause { from, to: pause_len.map(|l| from + Duration::seconds(l)) }],
                ..plain.clone()
            };
            let now = from + Duration::days(30);
            prop_assert_eq!(later.status(&clock, Some(met), now, 75), plain.status(&clock, Some(met), now, 75));
            prop_assert_eq!(later.settled(Some(met)).due(&clock), plain.due(&clock));
        }

        /// The clock has used exactly its target at its due instant, and 75 % at its warning.
        #[test]
        fn due_is_where_the_used_time_reaches_the_target(
            start in 1_767_225_600_i64..1_830_297_600,
            pause_at in 0_i64..(60 * 60 * 24 * 20),
            pause_len in 0_i64..(60 * 60 * 24 * 10),
            minutes in 1_i64..(60 * 100),
        ) {
            let cal = Calendar::default_business().compile();
            let clock = Clock::Business(&cal);
            let started = DateTime::from_timestamp(start, 0).unwrap();
            let from = started + Duration::seconds(pause_at);
            let c = SlaClock {
                started,
                pauses: vec![Pause { from, to: Some(from + Duration::seconds(pause_len)) }],
                target: Duration::minutes(minutes),
            };
            let due = c.due(&clock).unwrap();
            prop_assert_eq!(c.used(&clock, due), c.target);
            let warn = c.reaches(&clock, 75).unwrap();
            prop_assert!(warn <= due);
            prop_assert_eq!(c.used(&clock, warn), c.target * 3 / 4);
        }
    }
}
