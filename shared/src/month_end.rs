//! The month-end VIP list (docs/domain.md §1; seed 001: at month close sales sends
//! collections the customers to hold status VIP). Every customer is evaluated
//! as of the close; the result lists who became VIP and who stopped being VIP,
//! each with the rules that decided it. The same inputs give the same list, so
//! re-running a month changes nothing.

use chrono::Months;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde::Serialize;

use crate::customer::CustomerFacts;
use crate::eligibility::{EligibilityConfig, EvaluationError};

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct Month {
    first_day: NaiveDate,
}

impl From<Month> for String {
    fn from(m: Month) -> String {
        m.to_string()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.first_day.format("%Y-%m"))
    }
}

impl Month {
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a month like 2026-01");
        if text.len() != 7 {
            return Err(bad());
        }
        let first_day =
            NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| bad())?;
        Ok(Month { first_day })
    }

    pub fn first_day(&self) -> NaiveDate {
        self.first_day
    }

    pub fn of(date: NaiveDate) -> Self {
        Month {
            first_day: date.with_day(1).unwrap_or(date),
        }
    }

    /// The month that closed most recently at `at` (the one before `at`'s
    /// month): what the month-end run lists on any day of the next month.
    pub fn last_closed(at: DateTime<Utc>) -> Self {
        let current = Month::of(at.date_naive()).first_day;
        Month {
            first_day: current
                .checked_sub_months(Months::new(1))
                .unwrap_or(current),
        }
    }

    /// The instant the month closes: midnight UTC starting the next month.
    /// (The evaluation uses facts as stored at the run; the close names the period.)
    pub fn close(&self) -> DateTime<Utc> {
        let next = self
            .first_day
            .checked_add_months(Months::new(1))
            .unwrap_or(self.first_day);
        Utc.from_utc_datetime(&next.and_hms_opt(0, 0, 0).unwrap_or_default())
    }
}

/// One customer whose VIP status changes at this month's close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    pub customer_id: String,
    pub vip: bool,
    pub matched_rules: Vec<String>,
    pub summary: String,
}

/// The month-end list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MonthEnd {
    pub evaluated: usize,
    pub vip: usize,
    pub became_vip: Vec<StatusChange>,
    pub stopped_being_vip: Vec<StatusChange>,
    /// Customers whose stored facts could not be evaluated, with why.
    pub not_evaluated: Vec<(String, String)>,
}

/// Evaluates every customer. `was_vip(id)` tells the status before this close.
pub fn evaluate<'a>(
    config: &EligibilityConfig,
    customers: impl IntoIterator<Item = (&'a str, &'a CustomerFacts)>,
    was_vip: impl Fn(&str) -> bool,
) -> MonthEnd {
    let mut out = MonthEnd::default();
    for (id, facts) in customers {
        out.evaluated += 1;
        let decision = match config.evaluate(facts) {
            Ok(d) => d,
            Err(e) => {
                let why = match e {
                    EvaluationError::InvalidFacts(errors) => errors.to_string(),
                    EvaluationError::CurrencyMismatch { detail, .. } => detail,
                };
                out.not_evaluated.push((id.to_string(), why));
                continue;
            }
        };
        if decision.vip {
            out.vip += 1;
        }
        if decision.vip != was_vip(id) {
            let change = StatusChange {
                customer_id: id.to_string(),
                vip: decision.vip,
                matched_rules: decision.matched_rules,
                summary: decision.summary,
            };
            if change.vip {
                out.became_vip.push(change);
            } else {
                out.stopped_being_vip.push(change);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_last_closed_month_is_the_one_before_now() {
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            Month::last_closed(at("2026-12-01T00:00:00Z")).to_string(),
            "2026-11"
        );
        assert_eq!(
            Month::last_closed(at("2026-01-31T23:59:59Z")).to_string(),
            "2025-12"
        );
        let closed = Month::last_closed(at("2026-03-15T06:00:00Z"));
        assert!(closed.close() <= at("2026-03-15T06:00:00Z"));
    }

    use super::*;
    use crate::eligibility::default_config;

    fn facts(segment: &str, plan: &str) -> CustomerFacts {
        serde_json::from_value(serde_json::json!({
            "segment": segment, "plan_type": plan,
            "monthly_plan_amount": {"amount": "10.00", "currency": "USD"}
        }))
        .unwrap()
    }

    #[test]
    fn months_parse_and_close_at_the_next_midnight() {
        let m = Month::parse("2026-12").unwrap();
        assert_eq!(m.to_string(), "2026-12");
        assert_eq!(
            m.close(),
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap()
        );
        for bad in ["2026-13", "2026-1", "26-01", "2026-01-01", ""] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lists_who_became_and_who_stopped_being_vip_and_is_repeatable() {
        let config = default_config();
        let a = facts("isp", "residential");
        let b = facts("consumer", "residential");
        let c = facts("consumer", "dedicated");
        let d = facts("consumer", "fiber");
        let customers = [("A", &a), ("B", &b), ("C", &c), ("D", &d)];
        let before = |id: &str| id == "B" || id == "C";
        let first = evaluate(&config, customers, before);
        assert_eq!(first.evaluated, 4);
        assert_eq!(first.vip, 2);
        let became: Vec<&str> = first
            .became_vip
            .iter()
            .map(|c| c.customer_id.as_str())
            .collect();
        let stopped: Vec<&str> = first
            .stopped_being_vip
            .iter()
            .map(|c| c.customer_id.as_str())
            .collect();
        assert_eq!((became, stopped), (vec!["A"], vec!["B"]));
        assert_eq!(first.became_vip[0].matched_rules, ["isp_customer"]);
        assert_eq!(first.not_evaluated.len(), 1);
        assert!(first.not_evaluated[0].1.contains("fiber"));
        assert_eq!(
            evaluate(&config, customers, before),
            first,
            "same inputs, same list"
        );
    }

    proptest::proptest! {
        /// A close is repeatable, and closing again over its own outcome
        /// changes nobody: the list only holds real status changes.
        #[test]
        fn month_end_is_repeatable_and_settles(
            customers in proptest::collection::vec(
                (0usize..3, 0usize..4, 0u32..1200, proptest::bool::ANY),
                0..40,
            ),
        ) {
            let config = default_config();
            let segments = ["isp", "business", "consumer"];
            let plans = ["dedicated", "corporate", "business", "residential"];
            let stored: Vec<(String, CustomerFacts, bool)> = customers
                .iter()
                .enumerate()
                .map(|(i, (s, p, amount, was))| {
                    let f: CustomerFacts = serde_json::from_value(serde_json::json!({
                        "segment": segments[*s], "plan_type": plans[*p],
                        "monthly_plan_amount": {"amount": format!("{amount}.00"), "currency": "USD"}
                    }))
                    .unwrap();
                    (format!("C{i}"), f, *was)
                })
                .collect();
            let list = || stored.iter().map(|(id, f, _)| (id.as_str(), f));
            let before = |id: &str| stored.iter().any(|(i, _, was)| i == id && *was);
            let first = evaluate(&config, list(), before);
            proptest::prop_assert_eq!(&evaluate(&config, list(), before), &first);
            let became: Vec<&str> = first.became_vip.iter().map(|c| c.customer_id.as_str()).collect();
            let stopped: Vec<&str> = first.stopped_being_vip.iter().map(|c| c.customer_id.as_str()).collect();
            let after = |id: &str| became.contains(&id) || (before(id) && !stopped.contains(&id));
            let second = evaluate(&config, list(), after);
            proptest::prop_assert!(second.became_vip.is_empty() && second.stopped_being_vip.is_empty());
            proptest::prop_assert_eq!(second.vip, first.vip);
        }
    }
}
