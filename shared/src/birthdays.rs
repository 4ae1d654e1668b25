//! The birthday benefit (the tier ladder's `birthday_benefit`, seed 000 §3): a member who gave
//! their birth date (optional, with the programme consent) is granted their tier's birthday benefit
//! once a year, on their birthday in the programme's zone, by a scheduled run `as_of` a date. A run
//! after missed days catches up on birthdays within `catch_up_days`.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::validation::Errors;
use crate::zone::Zone;

/// When birthdays are counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BirthdayProgram {
    /// The zone whose calendar day is the birthday.
    pub zone: Zone,
    /// A run grants birthdays this many days back (downtime), never twice a year.
    pub catch_up_days: u32,
}

pub fn default_birthday_program() -> BirthdayProgram {
    BirthdayProgram {
        zone: Zone::EUROPE_MADRID,
        catch_up_days: 7,
    }
}

impl BirthdayProgram {
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        if self.catch_up_days > 31 {
            errors.add("catch_up_days", "0 to 31 days");
        }
        errors.finish(())
    }

    /// The month-days (`MM-DD`) whose birthdays a run on `today` may grant: the catch-up window,
    /// and 29 February when its birthday falls on the 28th this year.
    pub fn month_days(&self, today: NaiveDate) -> Vec<String> {
        let mut days: Vec<String> = (0..=self.catch_up_days)
            .map(|back| today - chrono::Duration::days(i64::from(back)))
            .map(|d| d.format("%m-%d").to_string())
            .collect();
        if days.iter().any(|d| d == "02-28")
            && NaiveDate::from_ymd_opt(today.year(), 2, 29).is_none()
        {
            days.push("02-29".into());
        }
        days
    }

    /// Whether a run on `today` grants the birthday of someone born on `born` (the year's
    /// birthday from `today - catch_up_days` to `today`), and for which year.
    pub fn due(&self, born: NaiveDate, today: NaiveDate) -> Option<i32> {
        let birthday = birthday_in(today.year(), born)?;
        let from = today - chrono::Duration::days(i64::from(self.catch_up_days));
        (from <= birthday && birthday <= today).then_some(today.year())
    }
}

/// The birthday in `year` of someone born on `born`: 29 February falls on 28 February in other
/// years.
pub fn birthday_in(year: i32, born: NaiveDate) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, born.month(), born.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 2, 28))
}

/// A birth date as given: a real past date, at most 120 years back.
pub fn check_birth_date(born: NaiveDate, today: NaiveDate) -> Result<NaiveDate, Errors> {
    let mut errors = Errors::new();
    if born >= today || today.year() - born.year() > 120 {
        errors.add(
            "birth_date",
            "a date of birth in the past (YYYY-MM-DD), at most 120 years ago",
        );
    }
    errors.finish(born)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_birthday_is_due_on_the_day_or_within_the_catch_up() {
        let p = default_birthday_program();
        let born = d(1980, 12, 3);
        assert_eq!(p.due(born, d(2026, 12, 2)), None);
        assert_eq!(p.due(born, d(2026, 12, 3)), Some(2026));
        assert_eq!(p.due(born, d(2026, 12, 10)), Some(2026));
        assert_eq!(p.due(born, d(2026, 12, 11)), None);
    }

    #[test]
    fn a_run_looks_back_over_the_catch_up_window() {
        let p = BirthdayProgram {
            catch_up_days: 1,
            ..default_birthday_program()
        };
        assert_eq!(p.month_days(d(2027, 3, 1)), vec!["03-01", "02-28", "02-29"]);
        assert_eq!(p.month_days(d(2028, 3, 1)), vec!["03-01", "02-29"]);
    }

    #[test]
    fn a_leap_day_birthday_falls_on_the_28th() {
        let born = d(2000, 2, 29);
        assert_eq!(birthday_in(2027, born), Some(d(2027, 2, 28)));
        assert_eq!(birthday_in(2028, born), Some(d(2028, 2, 29)));
        assert!(check_birth_date(d(2030, 1, 1), d(2026, 12, 3)).is_err());
        assert!(check_birth_date(d(1900, 1, 1), d(2026, 12, 3)).is_err());
    }
}
