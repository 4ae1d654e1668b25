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

    pub const NAMES: [(&str, Weekday); 7] = [
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
    /// Holidays that come back every year by rule, so a new year needs no
    /// typing: fixed dates, days from Easter, "the first Monday after …".
    #[serde(default)]
    pub holiday_rules: Vec<HolidayRule>,
}

/// A day of the year, `MM-DD` (`02-29` only falls in leap years).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MonthDay {
    month: u32,
    day: u32,
}

impl MonthDay {
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a day of the year like 03-01");
        let (m, d) = text.split_once('-').ok_or_else(bad)?;
        if m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let (month, day) = (m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
        // 2024 is a leap year, so 02-29 is a day of the year.
        NaiveDate::from_ymd_opt(2024, month, day).ok_or_else(bad)?;
        Ok(MonthDay { month, day })
    }

    /// The day of the year `date` falls on.
    pub fn of(date: NaiveDate) -> Self {
        MonthDay {
            month: date.month(),
            day: date.day(),
        }
    }

    /// This day in `year`, if it exists then.
    pub fn in_year(self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

impl Serialize for MonthDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        MonthDay::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// "The first Monday after 24 August": `{"weekday": "mon", "after": "08-24"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirstWeekdayAfter {
    #[serde(with = "weekday")]
    pub weekday: Weekday,
    pub after: MonthDay,
}

/// A holiday by rule. Exactly one of `fixed`, `easter`, `first_weekday_after`
/// or `date` says when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayRule {
    pub name: String,
    /// Every year on this month and day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<MonthDay>,
    /// Days from Easter Sunday (Gregorian): Good Friday -2, Easter Monday 1,
    /// the Tuesday after Easter Monday 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub easter: Option<i32>,
    /// The first such weekday strictly after a month and day, every year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_weekday_after: Option<FirstWeekdayAfter>,
    /// One date only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// A holiday the team works anyway (002 §3).
    #[serde(default)]
    pub worked: bool,
}

/// Years holiday rules are evaluated for when a calendar is compiled; the
/// arithmetic looks at most ten years ahead of any instant in this range.
pub const RULE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous
/// Gregorian algorithm: Meeus, Jones, Butcher).
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

impl HolidayRule {
    /// The rule's date in `year`, if it has one then.
    pub fn in_year(&self, year: i32) -> Option<NaiveDate> {
        if let Some(md) = self.fixed {
            return md.in_year(year);
        }
        if let Some(days) = self.easter {
            return easter_sunday(year)?.checked_add_signed(Duration::days(i64::from(days)));
        }
        if let Some(rule) = self.first_weekday_after {
            let mut day = rule.after.in_year(year)?.succ_opt()?;
            while day.weekday() != rule.weekday {
                day = day.succ_opt()?;
            }
            return Some(day);
        }
        self.date.filter(|d| d.year() == year)
    }

    fn check(&self, field: &str, errors: &mut Errors) {
        let chars = self.name.trim().chars().count();
        if chars == 0 || chars > 100 {
            errors.add(format!("{field}.name"), "must be 1 to 100 characters");
        }
        let given = [
            self.fixed.is_some(),
            self.easter.is_some(),
            self.first_weekday_after.is_some(),
            self.date.is_some(),
        ]
        .into_iter()
        .filter(|g| *g)
        .count();
        if given != 1 {
            errors.add(
                field.to_string(),
                "give exactly one of fixed, easter, first_weekday_after or date",
            );
        }
        if self.easter.is_some_and(|d| !(-70..=70).contains(&d)) {
            errors.add(
                format!("{field}.easter"),
                "must be -70 to 70 days from Easter Sunday",
            );
        }
    }
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
            holiday_rules: Vec::new(),
        }
    }

    /// The VIP phone line's hours (000 §5.2): every day 08:00–20:00
    /// Europe/Madrid (tiers with the 24/7 benefit call at any hour).
    pub fn vip_phone_hours() -> Self {
        let day = |day| WorkingInterval {
            day,
            start: TimeOfDay(8 * 60),
            end: TimeOfDay(20 * 60),
        };
        Calendar {
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
            .map(day)
            .collect(),
            ..Calendar::default_business()
        }
    }

    /// The weekly hours in words: `mon 08:00–20:00, tue 08:00–20:00, … (Europe/Madrid)`.
    pub fn describe_week(&self) -> String {
        let mut week = self.week.clone();
        week.sort_by_key(|w| (w.day.num_days_from_monday(), w.start));
        let days: Vec<String> = week
            .iter()
            .map(|w| {
                let name = weekday::NAMES
                    .iter()
                    .find(|(_, d)| *d == w.day)
                    .map_or("?", |(n, _)| *n);
                format!("{name} {}–{}", w.start, w.end)
            })
            .collect();
        format!("{} ({})", days.join(", "), self.zone.name())
    }

    /// The seeded `default` calendar: [`Calendar::default_business`] with
    /// Spain's national holidays and Catalonia's regional ones as rules, and
    /// the four holidays 002 §3 works anyway (Sant Crist d'Igualada, Sant
    /// Joan, the Festa Major d'Igualada, the Diada).
    pub fn spain_catalonia() -> Self {
        let fixed = |name: &str, md: &str, worked: bool| HolidayRule {
            name: name.into(),
            fixed: MonthDay::parse(md).ok(),
            easter: None,
            first_weekday_after: None,
            date: None,
            worked,
        };
        let easter = |name: &str, days: i32, worked: bool| HolidayRule {
            easter: Some(days),
            fixed: None,
            ..fixed(name, "01-01", worked)
        };
        let holiday_rules = vec![
            fixed("Año Nuevo", "01-01", false),
            fixed("Epifanía del Señor", "01-06", false),
            easter("Viernes Santo", -2, false),
            easter("Lunes de Pascua", 1, false),
            easter(
                "Sant Crist d'Igualada (the Tuesday after Easter Monday)",
                2,
                true,
            ),
            fixed("Fiesta del Trabajo", "05-01", false),
            fixed("Sant Joan", "06-24", true),
            fixed("Asunción de la Virgen", "08-15", false),
            HolidayRule {
                first_weekday_after: MonthDay::parse("08-24")
                    .ok()
                    .map(|after| FirstWeekdayAfter {
                        weekday: Weekday::Mon,
                        after,
                    }),
                fixed: None,
                ..fixed(
                    "Festa Major d'Igualada (the Monday after it)",
                    "01-01",
                    true,
                )
            },
            fixed("Diada Nacional de Catalunya", "09-11", true),
            fixed("Fiesta Nacional de España", "10-12", false),
            fixed("Todos los Santos", "11-01", false),
            fixed("Día de la Constitución", "12-06", false),
            fixed("Inmaculada Concepción", "12-08", false),
            fixed("Navidad", "12-25", false),
            fixed("Sant Esteve", "12-26", false),
        ];
        Calendar {
            holiday_rules,
            ..Calendar::default_business()
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
        for (i, rule) in self.holiday_rules.iter().enumerate() {
            rule.check(&format!("holiday_rules[{i}]"), &mut errors);
        }
        for (i, d) in self.worked_holidays.iter().enumerate() {
            let by_rule = self
                .holiday_rules
                .iter()
                .any(|r| r.in_year(d.year()) == Some(*d));
            if !self.holidays.contains(d) && !by_rule {
                errors.add(
                    format!("worked_holidays[{i}]"),
                    format!("{d} is not in holidays nor given by a holiday rule"),
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
        // Holidays: the dates given and the rules' dates; less those worked
        // anyway (given, or by a rule marked worked).
        let mut worked: Vec<NaiveDate> = self.worked_holidays.clone();
        let mut closed: Vec<NaiveDate> = self.holidays.clone();
        for rule in &self.holiday_rules {
            let dates = RULE_YEARS.filter_map(|y| rule.in_year(y));
            if rule.worked {
                worked.extend(dates);
            } else {
                closed.extend(dates);
            }
        }
        worked.sort_unstable();
        closed.sort_unstable();
        closed.dedup();
        closed.retain(|d| worked.binary_search(d).is_err());
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

    /// Whether `at` falls in working time.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        self.business_between(at, at + Duration::minutes(1)) > Duration::zero()
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

    #[test]
    fn easter_falls_where_the_published_tables_put_it() {
        for (year, date) in [
            (2000, "2000-04-23"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(easter_sunday(year), Some(d(date)), "{year}");
        }
    }

    /// Spain's national and Catalonia's regional holidays, with the four
    /// 002 §3 works anyway: the weekdays the default calendar is closed. 2026
    /// is the Generalitat's published list (1 Jan, 6 Jan, 3 Apr, 6 Apr, 1 May,
    /// 24 Jun, 15 Aug, 11 Sep, 12 Oct, 8 Dec, 25 Dec, 26 Dec); 2027 follows
    /// the same fixed and Easter-based days (Easter Sunday 28 March), as
    /// 2021, a year with the same weekdays, was published.
    #[test]
    fn the_default_calendar_closes_on_the_published_holidays_of_2026_and_2027() {
        let c = Calendar::spain_catalonia();
        assert!(c.validate().is_ok());
        let schedule = c.compile();
        let closed_weekdays = |year: i32| -> Vec<NaiveDate> {
            schedule
                .closed
                .iter()
                .filter(|day| day.year() == year && day.weekday().num_days_from_monday() < 5)
                .copied()
                .collect()
        };
        let dates = |list: &[&str]| list.iter().map(|x| d(x)).collect::<Vec<_>>();
        // 2026: Thu 1 Jan, Tue 6 Jan, Good Friday 3 Apr, Easter Monday 6 Apr,
        // Fri 1 May, Mon 12 Oct, Tue 8 Dec, Fri 25 Dec (15 Aug and 26 Dec are
        // Saturdays, 1 Nov and 6 Dec Sundays). Sant Joan (Wed 24 Jun) and the
        // Diada (Fri 11 Sep) are worked.
        assert_eq!(
            closed_weekdays(2026),
            dates(&[
                "2026-01-01",
                "2026-01-06",
                "2026-04-03",
                "2026-04-06",
                "2026-05-01",
                "2026-10-12",
                "2026-12-08",
                "2026-12-25"
            ])
        );
        // 2027: Fri 1 Jan, Wed 6 Jan, Good Friday 26 Mar, Easter Monday 29
        // Mar, Tue 12 Oct, Mon 1 Nov, Mon 6 Dec, Wed 8 Dec (1 May, 11 Sep and
        // 25 Dec are Saturdays, 15 Aug and 26 Dec Sundays); Thu 24 Jun worked.
        assert_eq!(
            closed_weekdays(2027),
            dates(&[
                "2027-01-01",
                "2027-01-06",
                "2027-03-26",
                "2027-03-29",
                "2027-10-12",
                "2027-11-01",
                "2027-12-06",
                "2027-12-08"
            ])
        );
        // Worked anyway: Sant Crist (the Tuesday after Easter Monday), Sant
        // Joan, the Festa Major's Monday, the Diada: full business days.
        for day in [
            "2026-04-07",
            "2026-06-24",
            "2026-08-31",
            "2026-09-11",
            "2027-03-30",
        ] {
            let start = Zone::EUROPE_MADRID.start_of(d(day));
            assert_eq!(
                schedule.business_between(start, start + Duration::days(1)),
                Duration::hours(9),
                "{day}"
            );
        }
        // Good Friday 2026 has no business time; a 4 h target from Thursday
        // 16:00 Madrid runs 1 h then resumes on Tuesday 7 April (Easter Monday closed).
        let due = schedule.add_business(t("2026-04-02T14:00:00Z"), Duration::hours(4));
        assert_eq!(due, Some(t("2026-04-07T09:00:00Z")));
    }

    #[test]
    fn holiday_rules_are_validated_and_round_trip() {
        let mut c = Calendar::spain_catalonia();
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(
            json["holiday_rules"][2],
            serde_json::json!({"name": "Viernes Santo", "easter": -2, "worked": false})
        );
        assert_eq!(serde_json::from_value::<Calendar>(json).unwrap(), c);
        c.holiday_rules[0].easter = Some(1);
        c.holiday_rules[1].easter = Some(100);
        c.holiday_rules[1].fixed = None;
        c.worked_holidays.push(d("2026-12-25"));
        c.worked_holidays.push(d("2026-01-07"));
        let e = c.validate().unwrap_err();
        assert_eq!(
            e.fields(),
            [
                "holiday_rules[0]",
                "holiday_rules[1].easter",
                "worked_holidays[1]"
            ]
        );
        assert!(MonthDay::parse("02-30").is_err() && MonthDay::parse("2-3").is_err());
        assert_eq!(MonthDay::parse("02-29").unwrap().in_year(2027), None);
    }

    proptest! {
        /// Easter is a Sunday from 22 March to 25 April, in every year.
        #[test]
        fn easter_is_a_sunday_in_its_window(year in 1583_i32..4100) {
            let e = easter_sunday(year).unwrap();
            prop_assert_eq!(e.weekday(), Weekday::Sun);
            prop_assert!(e >= NaiveDate::from_ymd_opt(year, 3, 22).unwrap());
            prop_assert!(e <= NaiveDate::from_ymd_opt(year, 4, 25).unwrap());
        }

        /// "The first Monday after …" is that weekday, 1 to 7 days after the date.
        #[test]
        fn first_weekday_after_is_within_the_next_week(year in 2000_i32..2100, month in 1_u32..13, day in 1_u32..29, wd in 0_u32..7) {
            let weekday = Weekday::try_from(u8::try_from(wd).unwrap()).unwrap();
            let after = MonthDay::parse(&format!("{month:02}-{day:02}")).unwrap();
            let rule = HolidayRule {
                name: "x".into(),
                fixed: None,
                easter: None,
                first_weekday_after: Some(FirstWeekdayAfter { weekday, after }),
                date: None,
                worked: false,
            };
            let got = rule.in_year(year).unwrap();
            let from = after.in_year(year).unwrap();
            prop_assert_eq!(got.weekday(), weekday);
            prop_assert!(got > from && got <= from + Duration::days(7));
        }

        /// A calendar with the rules closes exactly the rules' dates that are
        /// not worked, in every year of the range.
        #[test]
        fn compiled_rules_close_their_dates(year in 2000_i32..2100) {
            let c = Calendar::spain_catalonia();
            let schedule = c.compile();
            for rule in &c.holiday_rules {
                let date = rule.in_year(year).unwrap();
                let given_by = |worked: bool| {
                    c.holiday_rules.iter().any(|r| r.worked == worked && r.in_year(year) == Some(date))
                };
                prop_assert_eq!(
                    schedule.closed.binary_search(&date).is_ok(),
                    given_by(false) && !given_by(true)
                );
            }
        }
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
