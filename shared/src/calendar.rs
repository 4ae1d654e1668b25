//! Business calendars and SLA time (docs/domain.md §4 "Calendars"; seed 002 §3).
//!
//! A calendar is a named zone, weekly working intervals in local time,
//! holidays, and holidays worked anyway. SLA time is counted in business time
//! on a calendar, or in natural (wall-clock) time for the 24×7 clock.
//!
//! Arithmetic walks local days, never minutes: each day's working intervals
//! are turned into UTC instants through the zone, so a day that loses or
//! gains an hour at a daylight-saving change counts exactly what it has.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Offset, TimeZone, Utc, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::validation::Errors;
use crate::zone::Zone;

/// A calendar id: 1 to 64 of `a-z`, `0-9` and `-`, like `madrid-office`.
pub fn is_calendar_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A local time of day to the minute, `00:00` to `24:00` (the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a time of day like 08:00 (00:00 to 24:00)");
        let (h, m) = text.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if m > 59 || h > 24 || (h == 24 && m > 0) {
            return Err(bad());
        }
        Ok(TimeOfDay(h * 60 + m))
    }

    fn minutes(self) -> i64 {
        i64::from(self.0)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        TimeOfDay::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Working time on one weekday, local: `{"day": "mon", "start": "08:00", "end": "17:00"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkingInterval {
    #[serde(with = "weekday")]
    pub day: Weekday,
    pub start: TimeOfDay,
    pub end: TimeOfDay,
}

mod weekday {
    use chrono::Weekday;
    use serde::{Deserialize, Deserializer, Serializer};

    const NAMES: [(&str, Weekday); 7] = [
        ("mon", Weekday::Mon),
        ("tue", Weekday::Tue),
        ("wed", Weekday::Wed),
        ("thu", Weekday::Thu),
        ("fri", Weekday::Fri),
        ("sat", Weekday::Sat),
        ("sun", Weekday::Sun),
    ];

    pub fn serialize<S: Serializer>(day: &Weekday, s: S) -> Result<S::Ok, S::Error> {
        let name = NAMES
            .iter()
            .find(|(_, d)| d == day)
            .map_or("mon", |(n, _)| *n);
        s.serialize_str(name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Weekday, D::Error> {
        let text = String::deserialize(d)?;
        NAMES
            .iter()
            .find(|(n, _)| *n == text)
            .map(|(_, day)| *day)
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a day (mon … sun)")))
    }
}

/// A business calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calendar {
    pub zone: Zone,
    pub week: Vec<WorkingInterval>,
    /// Days without business hours.
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    /// Holidays on which the team works anyway (002 §3: 24 June, 11 September…).
    #[serde(default)]
    pub worked_holidays: Vec<NaiveDate>,
}

/// Days the arithmetic looks ahead before deciding a calendar has no working
/// time at all (ten years: no holiday list is that long).
const HORIZON_DAYS: u32 = 3660;

impl Calendar {
    /// Monday to Friday, 08:00–17:00, Europe/Madrid, no holidays (002 §3).
    pub fn default_business() -> Self {
        let day = |day| WorkingInterval {
            day,
            start: TimeOfDay(8 * 60),
            end: TimeOfDay(17 * 60),
        };
        Calendar {
            zone: Zone::EUROPE_MADRID,
            week: [
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
            ]
            .into_iter()
            .map(day)
            .collect(),
            holidays: Vec::new(),
            worked_holidays: Vec::new(),
        }
    }

    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        if self.week.is_empty() {
            errors.add("week", "needs at least one working interval");
        }
        for (i, w) in self.week.iter().enumerate() {
            if w.start >= w.end {
                errors.add(
                    format!("week[{i}]"),
                    format!("starts at {} but ends at {}", w.start, w.end),
                );
                continue;
            }
            let overlaps = self
                .week
                .iter()
                .enumerate()
                .any(|(j, o)| j < i && o.day == w.day && o.start < w.end && w.start < o.end);
            if overlaps {
                errors.add(
                    format!("week[{i}]"),
                    "overlaps another interval of the same day",
                );
            }
        }
        for (i, d) in self.worked_holidays.iter().enumerate() {
            if !self.holidays.contains(d) {
                errors.add(
                    format!("worked_holidays[{i}]"),
                    format!("{d} is not in holidays"),
                );
            }
        }
        errors.finish(())
    }

    /// The calendar ready for arithmetic: intervals sorted per weekday,
    /// holidays not worked in a sorted list. Compile once, compute many.
    pub fn compile(&self) -> Schedule {
        let mut days: [Vec<(i64, i64)>; 7] = Default::default();
        for w in &self.week {
            if let Some(day) = days.get_mut(w.day.num_days_from_monday() as usize) {
                day.push((w.start.minutes(), w.end.minutes()));
            }
        }
        for day in &mut days {
            day.sort_unstable();
        }
        let mut closed: Vec<NaiveDate> = self
            .holidays
            .iter()
            .filter(|d| !self.worked_holidays.contains(d))
            .copied()
            .collect();
        closed.sort_unstable();
        Schedule {
            zone: self.zone,
            days,
            closed,
        }
    }
}

/// A compiled [`Calendar`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    zone: Zone,
    /// Working minutes of the day per weekday (Monday first), sorted.
    days: [Vec<(i64, i64)>; 7],
    /// Holidays not worked, sorted.
    closed: Vec<NaiveDate>,
}

impl Schedule {
    fn intervals(&self, date: NaiveDate) -> &[(i64, i64)] {
        if self.closed.binary_search(&date).is_ok() {
            return &[];
        }
        self.days
            .get(date.weekday().num_days_from_monday() as usize)
            .map_or(&[], Vec::as_slice)
    }

    /// The instant of local `minutes` after midnight on `date`. On a day
    /// without an offset change this is midnight plus the minutes; on a DST
    /// day the zone decides, and a local time skipped by the change maps to
    /// the first instant after the gap.
    fn instant(
        &self,
        date: NaiveDate,
        midnight: DateTime<Utc>,
        uniform: bool,
        minutes: i64,
    ) -> DateTime<Utc> {
        if uniform || minutes == 0 {
            return midnight + Duration::minutes(minutes);
        }
        let tz = self.zone.tz();
        let local = date.and_time(NaiveTime::MIN) + Duration::minutes(minutes);
        (0..=240)
            .find_map(|m| {
                tz.from_local_datetime(&(local + Duration::minutes(m)))
                    .earliest()
            })
            .map_or(midnight + Duration::minutes(minutes), |at| {
                at.with_timezone(&Utc)
            })
    }

    /// Calls `f` with each working span of a local date, in order, as UTC
    /// instants, until it returns a value.
    fn each_span<T>(
        &self,
        date: NaiveDate,
        mut f: impl FnMut(DateTime<Utc>, DateTime<Utc>) -> Option<T>,
    ) -> Option<T> {
        let intervals = self.intervals(date);
        if intervals.is_empty() {
            return None;
        }
        let midnight = self.zone.start_of(date);
        // The same offset 25 hours on: no DST change inside this local day.
        let tz = self.zone.tz();
        let offset = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix();
        let uniform = offset(midnight) == offset(midnight + Duration::hours(25));
        for &(s, e) in intervals {
            let (s, e) = (
                self.instant(date, midnight, uniform, s),
                self.instant(date, midnight, uniform, e),
            );
            if s < e {
                if let Some(v) = f(s, e) {
                    return Some(v);
                }
            }
        }
        None
    }

    /// The instant `duration` of business time after `start`. A duration
    /// that ends exactly at closing time ends at closing time; a start
    /// outside working hours counts from the next opening. `None` if the
    /// calendar has no working time within ten years.
    pub fn add_business(&self, start: DateTime<Utc>, duration: Duration) -> Option<DateTime<Utc>> {
        if duration <= Duration::zero() {
            return Some(start);
        }
        let mut left = duration;
        let mut date = self.zone.date_of(start);
        for _ in 0..HORIZON_DAYS {
            let due = self.each_span(date, |s, e| {
                if e <= start {
                    return None;
                }
                let s = s.max(start);
                if left <= e - s {
                    return Some(s + left);
                }
                left -= e - s;
                None
            });
            if due.is_some() {
                return due;
            }
            date = date.succ_opt()?;
        }
        None
    }

    /// Business time between two instants (zero if `b` is not after `a`).
    pub fn business_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        let mut total = Duration::zero();
        if b <= a {
            return total;
        }
        let (mut date, last) = (self.zone.date_of(a), self.zone.date_of(b));
        while date <= last {
            self.each_span(date, |s, e| {
                let (s, e) = (s.max(a), e.min(b));
                if s < e {
                    total += e - s;
                }
                None::<()>
            });
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }
        total
    }
}

/// How a clock runs: on a business calendar, or on natural time (24×7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clock<'a> {
    Business(&'a Schedule),
    Natural,
}

impl<'a> Clock<'a> {
    /// Natural time for the 24×7 clock, else business time on `schedule`.
    pub fn on(natural_time: bool, schedule: &'a Schedule) -> Self {
        if natural_time {
            Clock::Natural
        } else {
            Clock::Business(schedule)
        }
    }

    pub fn add(&self, start: DateTime<Utc>, d: Duration) -> Option<DateTime<Utc>> {
        match self {
            Clock::Business(c) => c.add_business(start, d),
            Clock::Natural => start.checked_add_signed(d),
        }
    }

    pub fn between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        match self {
            Clock::Business(c) => c.business_between(a, b),
            Clock::Natural => (b - a).max(Duration::zero()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn madrid() -> Schedule {
        madrid_calendar().compile()
    }

    fn madrid_calendar() -> Calendar {
        Calendar {
            // New Year (a Friday in 2027), Epiphany, 24 June (worked anyway),
            // and Christmas 2027, a Saturday: a holiday on a weekend changes nothing.
            holidays: vec![
                d("2027-01-01"),
                d("2027-01-06"),
                d("2026-06-24"),
                d("2027-12-25"),
            ],
            worked_holidays: vec![d("2026-06-24")],
            ..Calendar::default_business()
        }
    }

    fn h(n: i64) -> Duration {
        Duration::hours(n)
    }

    #[test]
    fn a_duration_ending_at_closing_time_ends_at_closing_time() {
        let c = madrid();
        // Monday 2026-11-23 08:00 Madrid is 07:00 UTC; 9 business hours end at 17:00 (16:00 UTC).
        assert_eq!(
            c.add_business(t("2026-11-23T07:00:00Z"), h(9)),
            Some(t("2026-11-23T16:00:00Z"))
        );
        // One minute more runs to the next morning.
        assert_eq!(
            c.add_business(t("2026-11-23T07:00:00Z"), h(9) + Duration::minutes(1)),
            Some(t("2026-11-24T07:01:00Z"))
        );
    }

    #[test]
    fn starts_outside_hours_count_from_the_next_opening() {
        let c = madrid();
        // Saturday 10:00 + 1 h: Monday 09:00 Madrid.
        assert_eq!(
            c.add_business(t("2026-11-21T09:00:00Z"), h(1)),
            Some(t("2026-11-23T08:00:00Z"))
        );
        // Friday 20:00 → Monday 08:00 + 2 h.
        assert_eq!(
            c.add_business(t("2026-11-20T19:00:00Z"), h(2)),
            Some(t("2026-11-23T09:00:00Z"))
        );
        assert_eq!(
            c.business_between(t("2026-11-20T19:00:00Z"), t("2026-11-23T07:00:00Z")),
            Duration::zero()
        );
    }

    #[test]
    fn holidays_skip_worked_holidays_count_and_the_year_ends_exactly() {
        let c = madrid();
        // Thursday 31 Dec 2026, 16:00 Madrid + 2 h: 1 h that day, New Year is a
        // holiday (Friday), so Monday 4 Jan 09:00.
        assert_eq!(
            c.add_business(t("2026-12-31T15:00:00Z"), h(2)),
            Some(t("2027-01-04T08:00:00Z"))
        );
        // 24 June 2026 (Wednesday) is a holiday worked anyway: a full day.
        assert_eq!(
            c.business_between(t("2026-06-24T00:00:00Z"), t("2026-06-25T00:00:00Z")),
            h(9)
        );
        // Epiphany 2027 (Wednesday) is not.
        assert_eq!(
            c.business_between(t("2027-01-06T00:00:00Z"), t("2027-01-07T00:00:00Z")),
            Duration::zero()
        );
    }

    #[test]
    fn dst_changes_are_exact() {
        // Madrid office hours: the week of the last Sunday of March keeps 9 h a
        // day; UTC shifts by one hour across the change.
        let c = madrid();
        assert_eq!(
            c.add_business(t("2026-03-27T15:00:00Z"), h(2)),
            Some(t("2026-03-30T07:00:00Z"))
        );
        assert_eq!(
            c.business_between(t("2026-03-23T00:00:00Z"), t("2026-03-30T22:00:00Z")),
            h(54)
        );
        assert_eq!(
            c.business_between(t("2026-10-23T00:00:00Z"), t("2026-10-27T00:00:00Z")),
            h(18)
        );
        // A round-the-clock calendar: the spring-forward Sunday has 23 hours,
        // the fall-back Sunday 25.
        let always = &Calendar {
            week: [
                Weekday::Mon,
                Weekday::Tue,
                Weekday::Wed,
                Weekday::Thu,
                Weekday::Fri,
                Weekday::Sat,
                Weekday::Sun,
            ]
            .into_iter()
            .map(|day| WorkingInterval {
                day,
                start: TimeOfDay(0),
                end: TimeOfDay(24 * 60),
            })
            .collect(),
            ..Calendar::default_business()
        }
        .compile();
        let day = |s| {
            always.business_between(
                always.zone.start_of(d(s)),
                always.zone.start_of(d(s).succ_opt().unwrap()),
            )
        };
        assert_eq!(day("2026-03-29"), h(23));
        assert_eq!(day("2026-10-25"), h(25));
        assert_eq!(day("2026-10-26"), h(24));
        // Hours inside the gap (02:00–03:00 on 29 March) do not exist.
        let night = Calendar {
            week: vec![WorkingInterval {
                day: Weekday::Sun,
                start: TimeOfDay::parse("01:00").unwrap(),
                end: TimeOfDay::parse("04:00").unwrap(),
            }],
            ..Calendar::default_business()
        }
        .compile();
        assert_eq!(
            night.business_between(t("2026-03-28T00:00:00Z"), t("2026-03-30T00:00:00Z")),
            h(2)
        );
        assert_eq!(
            night.business_between(t("2026-10-24T00:00:00Z"), t("2026-10-26T00:00:00Z")),
            h(4)
        );
    }

    #[test]
    fn calendars_are_checked() {
        let mut c = madrid_calendar();
        c.week.push(WorkingInterval {
            day: Weekday::Mon,
            start: TimeOfDay::parse("16:00").unwrap(),
            end: TimeOfDay::parse("18:00").unwrap(),
        });
        c.week.push(WorkingInterval {
            day: Weekday::Tue,
            start: TimeOfDay::parse("18:00").unwrap(),
            end: TimeOfDay::parse("18:00").unwrap(),
        });
        c.worked_holidays.push(d("2026-09-11"));
        let e = c.validate().unwrap_err();
        assert_eq!(e.fields(), vec!["week[5]", "week[6]", "worked_holidays[1]"]);
        assert!(TimeOfDay::parse("24:01").is_err() && TimeOfDay::parse("8:00").is_err());
        let json = serde_json::to_value(Calendar::default_business()).unwrap();
        assert_eq!(
            json["week"][0],
            serde_json::json!({"day": "mon", "start": "08:00", "end": "17:00"})
        );
        assert!(serde_json::from_value::<Calendar>(
            serde_json::json!({"zone": "Nowhere/City", "week": []})
        )
        .is_err());
        let no_time = Calendar {
            week: vec![],
            ..Calendar::default_business()
        }
        .compile();
        assert_eq!(no_time.add_business(t("2026-01-01T00:00:00Z"), h(1)), None);
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        // 2026-01-01 .. 2028-01-01: two springs, two autumns, two year ends.
        (1_767_225_600_i64..1_830_297_600).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    proptest! {
        #[test]
        fn between_undoes_add(a in instant(), minutes in 0_i64..(60 * 200)) {
            let c = madrid();
            let d = Duration::minutes(minutes);
            let end = c.add_business(a, d).unwrap();
            prop_assert_eq!(c.business_between(a, end), d);
            prop_assert!(end >= a);
        }

        #[test]
        fn add_is_monotonic(a in instant(), b in instant(), m1 in 0_i64..6000, m2 in 0_i64..6000) {
            let c = madrid();
            let (lo, hi) = (m1.min(m2), m1.max(m2));
            prop_assert!(c.add_business(a, Duration::minutes(lo)) <= c.add_business(a, Duration::minutes(hi)));
            let (x, y) = (a.min(b), a.max(b));
            prop_assert!(c.add_business(x, Duration::minutes(lo)) <= c.add_business(y, Duration::minutes(lo)));
            prop_assert!(c.business_between(x, y) <= Clock::Natural.between(x, y));
        }

        #[test]
        fn between_is_additive(a in instant(), b in instant(), c in instant()) {
            let cal = madrid();
            let mut v = [a, b, c];
            v.sort();
            prop_assert_eq!(cal.business_between(v[0], v[1]) + cal.business_between(v[1], v[2]), cal.business_between(v[0], v[2]));
        }
    }
}
