//! Delivering an accepted change request (docs/domain.md §10 "Delivery";
//! seed 002 §10.2.2–10.2.3): the plan and its dates, the team's load (no
//! technician above the programme's share of their time on change
//! requests), hours booked against the estimate with warnings as it is used
//! up, and the progress notice every so many hours while in development.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::tpoints::TPoints;
use crate::validation::Errors;
use crate::zone::Zone;

/// The delivery part of the change-request programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryRules {
    /// The zone of the team's dates (plans, hours worked).
    pub zone: Zone,
    /// Hours of work one T-Point buys (hours booked are measured against
    /// the estimate's total times this).
    pub hours_per_point: u32,
    /// Shares of the estimate's hours at which staff are warned (80, 100).
    pub warn_at_percent: Vec<u32>,
    /// A progress notice to the customer every so many hours in development (72).
    pub progress_every_hours: u32,
    /// No technician is planned above this share of their time on change requests (60).
    pub max_team_load_percent: u32,
    /// A technician's available hours a week, unless listed in `technicians`.
    pub weekly_hours: u32,
    /// Technicians whose available hours differ (part time).
    pub technicians: Vec<Technician>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Technician {
    pub name: String,
    pub weekly_hours: u32,
}

pub fn default_delivery_rules() -> DeliveryRules {
    DeliveryRules {
        zone: Zone::EUROPE_MADRID,
        hours_per_point: 1,
        warn_at_percent: vec![80, 100],
        progress_every_hours: 72,
        max_team_load_percent: 60,
        weekly_hours: 40,
        technicians: Vec::new(),
    }
}

impl DeliveryRules {
    pub fn validate(&self, errors: &mut Errors) {
        if !(1..=100).contains(&self.hours_per_point) {
            errors.add("delivery.hours_per_point", "1 to 100");
        }
        if self.warn_at_percent.iter().any(|p| !(1..=1000).contains(p)) {
            errors.add("delivery.warn_at_percent", "each 1 to 1000");
        }
        if !(1..=720).contains(&self.progress_every_hours) {
            errors.add("delivery.progress_every_hours", "1 to 720");
        }
        if !(1..=100).contains(&self.max_team_load_percent) {
            errors.add("delivery.max_team_load_percent", "1 to 100");
        }
        if !(1..=80).contains(&self.weekly_hours) {
            errors.add("delivery.weekly_hours", "1 to 80");
        }
        for (i, t) in self.technicians.iter().enumerate() {
            if t.name.trim().is_empty() || t.name.chars().count() > 100 {
                errors.add(
                    format!("delivery.technicians[{i}].name"),
                    "1 to 100 characters",
                );
            }
            if !(1..=80).contains(&t.weekly_hours) {
                errors.add(format!("delivery.technicians[{i}].weekly_hours"), "1 to 80");
            }
        }
    }

    fn weekly_hours_of(&self, technician: &str) -> u32 {
        self.technicians
            .iter()
            .find(|t| t.name == technician)
            .map_or(self.weekly_hours, |t| t.weekly_hours)
    }
}

/// One technician's share of a plan: `hours` spread evenly over the working
/// days (Monday to Friday) from `start_on` to `deliver_on`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    pub technician: String,
    pub hours: u32,
}

/// A plan as written: dates, who works on it and for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub start_on: NaiveDate,
    pub deliver_on: NaiveDate,
    pub assignments: Vec<Assignment>,
}

impl Plan {
    /// Dates in order, at least one assignment of at least one hour, each
    /// technician once; a start not before `today`.
    pub fn check(&self, today: NaiveDate) -> Result<(), Errors> {
        let mut errors = Errors::new();
        if self.start_on < today {
            errors.add("start_on", "must not be in the past");
        }
        if self.deliver_on < self.start_on {
            errors.add("deliver_on", "must not be before start_on");
        } else if working_days(self.start_on, self.deliver_on) == 0 {
            errors.add(
                "deliver_on",
                "the plan must span at least one working day (Monday to Friday)",
            );
        }
        if self.assignments.is_empty() || self.assignments.len() > 20 {
            errors.add("assignments", "1 to 20 technicians");
        }
        for (i, a) in self.assignments.iter().enumerate() {
            if a.technician.trim().is_empty() || a.technician.chars().count() > 100 {
                errors.add(
                    format!("assignments[{i}].technician"),
                    "1 to 100 characters",
                );
            }
            if !(1..=10_000).contains(&a.hours) {
                errors.add(format!("assignments[{i}].hours"), "1 to 10000");
            }
            if self
                .assignments
                .iter()
                .take(i)
                .any(|b| b.technician == a.technician)
            {
                errors.add(format!("assignments[{i}].technician"), "named twice");
            }
        }
        errors.finish(())
    }
}

fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Working days (Monday to Friday) from `from` to `to`, both included.
pub fn working_days(from: NaiveDate, to: NaiveDate) -> i64 {
    from.iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| is_working_day(*d))
        .count() as i64
}

/// Why a plan would overload a technician: the first working day over the
/// limit, with the figures (minutes a day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Overload {
    pub technician: String,
    pub day: NaiveDate,
    /// Already planned that day on other change requests.
    pub booked_minutes: i64,
    /// What this plan adds that day.
    pub adding_minutes: i64,
    /// The most allowed: the programme's share of the technician's day.
    pub limit_minutes: i64,
    pub max_load_percent: u32,
}

impl Overload {
    pub fn explain(&self) -> String {
        let h = |m: i64| format!("{:.1} h", m as f64 / 60.0);
        format!(
            "{} would have {} on change requests on {} ({} already planned + {} from this plan); at most {} ({} % of their day)",
            self.technician,
            h(self.booked_minutes + self.adding_minutes),
            self.day,
            h(self.booked_minutes),
            h(self.adding_minutes),
            h(self.limit_minutes),
            self.max_load_percent
        )
    }
}

/// Minutes a day `a` takes of its technician over the plan's working days.
fn daily_minutes(plan: &Plan, a: &Assignment) -> i64 {
    let days = working_days(plan.start_on, plan.deliver_on).max(1);
    (i64::from(a.hours) * 60 + days - 1) / days
}

/// Whether `plan` keeps every technician within the programme's load, with
/// the `others` plans (of other change requests, in progress) as they are.
pub fn check_load(rules: &DeliveryRules, others: &[Plan], plan: &Plan) -> Result<(), Overload> {
    for a in &plan.assignments {
        let adding = daily_minutes(plan, a);
        let limit = i64::from(rules.weekly_hours_of(&a.technician)) * 60 / 5
            * i64::from(rules.max_team_load_percent)
            / 100;
        let days = plan
            .start_on
            .iter_days()
            .take_while(|d| *d <= plan.deliver_on)
            .filter(|d| is_working_day(*d));
        for day in days {
            let booked: i64 = others
                .iter()
                .filter(|o| o.start_on <= day && day <= o.deliver_on)
                .flat_map(|o| {
                    o.assignments
                        .iter()
                        .filter(|b| b.technician == a.technician)
                        .map(move |b| daily_minutes(o, b))
                })
                .sum();
            if booked + adding > limit {
                return Err(Overload {
                    technician: a.technician.clone(),
                    day,
                    booked_minutes: booked,
                    adding_minutes: adding,
                    limit_minutes: limit,
                    max_load_percent: rules.max_team_load_percent,
                });
            }
        }
    }
    Ok(())
}

/// Hours booked against an estimate: how much of it is used and the
/// warnings reached.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage {
    pub booked_hours: f64,
    pub estimate_hours: f64,
    pub used_percent: u32,
    pub warnings: Vec<String>,
}

/// `booked_minutes` against an estimate of `total` T-Points.
pub fn usage(rules: &DeliveryRules, total: TPoints, booked_minutes: i64) -> Usage {
    let estimate_minutes = total.hundredths() * i64::from(rules.hours_per_point) * 60 / 100;
    let used_percent = if estimate_minutes == 0 {
        if booked_minutes > 0 {
            u32::MAX
        } else {
            0
        }
    } else {
        u32::try_from(booked_minutes * 100 / estimate_minutes).unwrap_or(u32::MAX)
    };
    let mut thresholds = rules.warn_at_percent.clone();
    thresholds.sort_unstable();
    let warnings = thresholds
        .iter()
        .filter(|p| used_percent >= **p)
        .map(|p| {
            if *p >= 100 {
                format!("{p} % of the estimate's hours are used: the estimate is used up")
            } else {
                format!("{p} % of the estimate's hours are used")
            }
        })
        .collect();
    Usage {
        booked_hours: booked_minutes as f64 / 60.0,
        estimate_hours: estimate_minutes as f64 / 60.0,
        used_percent,
        warnings,
    }
}

/// Hours booked in one entry: more than 0, at most 24, in quarter hours.
pub fn check_booking(hours: f64) -> Result<i64, Errors> {
    let mut errors = Errors::new();
    let minutes = (hours * 60.0).round();
    if !hours.is_finite() || hours <= 0.0 || hours > 24.0 {
        errors.add("hours", "more than 0 and at most 24");
    } else if (hours * 4.0).fract() != 0.0 {
        errors.add("hours", "in quarter hours (0.25)");
    }
    errors.finish(minutes as i64)
}

/// The progress notice due at `as_of` for a request in development since
/// `since`: its number (the n-th period completed) and when it fell due.
/// `None` before the first period ends. Keyed by number, so each is sent once
/// and a late run sends only the latest one.
pub fn progress_due(
    rules: &DeliveryRules,
    since: DateTime<Utc>,
    as_of: DateTime<Utc>,
) -> Option<(i64, DateTime<Utc>)> {
    let every = Duration::hours(i64::from(rules.progress_every_hours));
    let n = (as_of - since).num_seconds() / every.num_seconds().max(1);
    (n >= 1).then(|| (n, since + every * i32::try_from(n).unwrap_or(i32::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn plan(start: &str, end: &str, who: &[(&str, u32)]) -> Plan {
        Plan {
            start_on: d(start),
            deliver_on: d(end),
            assignments: who
                .iter()
                .map(|(t, h)| Assignment {
                    technician: (*t).into(),
                    hours: *h,
                })
                .collect(),
        }
    }

    #[test]
    fn load_stays_within_sixty_percent_of_each_technicians_day() {
        let rules = default_delivery_rules();
        // Mon 7 to Fri 11 December 2026: 5 working days; 60 % of 8 h = 4.8 h a day.
        let a = plan("2026-12-07", "2026-12-11", &[("ana", 20)]);
        assert!(check_load(&rules, &[], &a).is_ok());
        let b = plan("2026-12-10", "2026-12-10", &[("ana", 1)]);
        let over = check_load(&rules, std::slice::from_ref(&a), &b).unwrap_err();
        assert_eq!(
            (
                over.day,
                over.booked_minutes,
                over.adding_minutes,
                over.limit_minutes
            ),
            (d("2026-12-10"), 240, 60, 288)
        );
        assert!(over.explain().contains("5.0 h"), "{}", over.explain());
        assert!(check_load(
            &rules,
            &[a],
            &plan("2026-12-10", "2026-12-10", &[("bo", 4)])
        )
        .is_ok());
    }

    #[test]
    fn weekends_carry_no_load_and_part_timers_have_their_own_hours() {
        let mut rules = default_delivery_rules();
        rules.technicians.push(Technician {
            name: "pat".into(),
            weekly_hours: 20,
        });
        // Fri 11 to Mon 14 December: 2 working days.
        assert_eq!(working_days(d("2026-12-11"), d("2026-12-14")), 2);
        let p = plan("2026-12-11", "2026-12-14", &[("pat", 5)]);
        // 150 minutes a day against 60 % of 4 h = 144.
        assert_eq!(check_load(&rules, &[], &p).unwrap_err().limit_minutes, 144);
        let weekend = plan("2026-12-12", "2026-12-13", &[("ana", 1)]);
        assert_eq!(
            weekend.check(d("2026-12-01")).unwrap_err().fields(),
            ["deliver_on"]
        );
    }

    #[test]
    fn bad_plans_name_each_field() {
        let mut p = plan("2026-11-30", "2026-11-27", &[("ana", 0), ("ana", 3)]);
        p.assignments[1].hours = 3;
        assert_eq!(
            p.check(d("2026-12-01")).unwrap_err().fields(),
            [
                "start_on",
                "deliver_on",
                "assignments[0].hours",
                "assignments[1].technician"
            ]
        );
    }

    #[test]
    fn usage_warns_at_eighty_and_a_hundred_percent() {
        let rules = default_delivery_rules();
        let total = TPoints::whole(10);
        assert!(usage(&rules, total, 7 * 60).warnings.is_empty());
        let u = usage(&rules, total, 8 * 60);
        assert_eq!((u.used_percent, u.warnings.len()), (80, 1));
        let u = usage(&rules, total, 11 * 60);
        assert_eq!(u.warnings.len(), 2);
        assert!(u.warnings[1].contains("used up"));
        assert_eq!(check_booking(1.5), Ok(90));
        assert!(check_booking(0.1).is_err());
        assert!(check_booking(-1.0).is_err());
    }

    #[test]
    fn progress_falls_due_every_seventy_two_hours_and_a_late_run_sends_the_latest() {
        let rules = default_delivery_rules();
        let since: DateTime<Utc> = "2026-12-01T09:00:00Z".parse().unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            progress_due(&rules, since, at("2026-12-04T08:59:59Z")),
            None
        );
        assert_eq!(
            progress_due(&rules, since, at("2026-12-04T09:00:00Z")),
            Some((1, at("2026-12-04T09:00:00Z")))
        );
        assert_eq!(
            progress_due(&rules, since, at("2026-12-11T00:00:00Z")),
            Some((3, at("2026-12-10T09:00:00Z")))
        );
    }
}
