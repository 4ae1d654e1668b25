//! The monthly collections calendar (docs/domain.md §5; seed 001, collections
//! policy) as programme data: a ladder of named steps, each on a day of the
//! billing month, a number of days past due, or a day of the next month,
//! with its action. A live payment commitment (promise to pay) defers the
//! suspension steps to the day after it; one renegotiation is allowed, at
//! most 24 hours later. `due_steps` says what falls due for an unpaid
//! invoice by a date, and the same function with a later date is the month
//! preview: what happens on which date if nothing is paid.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::validation::Errors;
use crate::zone::Zone;

/// When a step falls due for a billing month's invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum When {
    /// On this day of the billing month (clamped to its last day).
    DayOfMonth(u32),
    /// This many days after the due day.
    DaysPastDue(u32),
    /// On this day of the following month.
    NextMonthDay(u32),
}

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A payment reminder to the customer.
    Remind,
    /// The 24-hour suspension notice to the department list.
    SuspensionNotice,
    /// Suspend the service (an order for the `suspension` component).
    Suspend,
    /// Equipment recovery or capacity reassignment, and legal handoff.
    Pickup,
}

impl Action {
    /// Steps a live commitment defers.
    pub fn deferred_by_commitment(self) -> bool {
        matches!(
            self,
            Action::SuspensionNotice | Action::Suspend | Action::Pickup
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unique in the ladder: the step's key in every record (`reminder_1`).
    pub name: String,
    pub when: When,
    pub action: Action,
}

/// The collections programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DunningProgram {
    /// The zone whose calendar days the ladder counts.
    pub zone: Zone,
    /// Invoices are issued by this day of the month (VIP first).
    pub issue_day: u32,
    /// Payment is due on this day.
    pub due_day: u32,
    /// In date order.
    pub steps: Vec<Step>,
    /// Who gets the suspension notice (001: 24 h ahead).
    pub notice_list: Vec<String>,
    /// Commitments per invoice: the first and one renegotiation (001).
    pub max_commitments: u32,
    /// How far after the day it is made a renegotiated commitment may fall.
    pub renegotiation_hours: u32,
    /// Which billing months may be invoiced. Defaulted for documents stored before it.
    #[serde(default)]
    pub invoice_months: InvoiceMonths,
}

/// The billing months that may be invoiced, counted from the programme's
/// current month: a month far away is a typing mistake (`0000-01`), and the
/// next dunning run would walk an old one through its whole ladder at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceMonths {
    /// Past months still invoiced late (a missed issue run, a correction).
    pub back: u32,
    /// Months invoiced ahead (billing in advance).
    pub ahead: u32,
}

impl Default for InvoiceMonths {
    fn default() -> Self {
        InvoiceMonths { back: 12, ahead: 1 }
    }
}

pub fn default_dunning_program() -> DunningProgram {
    let step = |name: &str, when, action| Step {
        name: name.into(),
        when,
        action,
    };
    DunningProgram {
        zone: Zone::EUROPE_MADRID,
        issue_day: 2,
        due_day: 5,
        steps: vec![
            step("reminder_1", When::DaysPastDue(1), Action::Remind),
            step("reminder_2", When::DaysPastDue(8), Action::Remind),
            step("reminder_3", When::DaysPastDue(15), Action::Remind),
            step(
                "suspension_notice",
                When::DayOfMonth(26),
                Action::SuspensionNotice,
            ),
            step("suspension", When::DayOfMonth(27), Action::Suspend),
            step("pickup", When::NextMonthDay(6), Action::Pickup),
        ],
        notice_list: [
            "sales_manager",
            "collections_manager",
            "recovery",
            "engineering",
            "projects_director",
        ]
        .map(String::from)
        .to_vec(),
        max_commitments: 2,
        renegotiation_hours: 24,
        invoice_months: InvoiceMonths::default(),
    }
}

/// The first day of a billing month.
fn first_of(month: NaiveDate) -> NaiveDate {
    month.with_day(1).unwrap_or(month)
}

/// The last day of the month of `d`.
pub fn last_day(d: NaiveDate) -> NaiveDate {
    let first = first_of(d);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    next.pred_opt().unwrap_or(first)
}

/// Day `day` of the month of `d`, clamped to its last day.
fn day_in(d: NaiveDate, day: u32) -> NaiveDate {
    let last = last_day(d);
    first_of(d)
        .with_day(day.clamp(1, last.day()))
        .unwrap_or(last)
}

impl DunningProgram {
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        if !(1..=28).contains(&self.issue_day) || !(self.issue_day..=28).contains(&self.due_day) {
            errors.add(
                "due_day",
                "issue_day and due_day are days 1 to 28, due on or after issue",
            );
        }
        let mut names = std::collections::HashSet::new();
        for (i, s) in self.steps.iter().enumerate() {
            let ok_name = (1..=40).contains(&s.name.len())
                && s.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok_name || !names.insert(s.name.as_str()) {
                errors.add(
                    format!("steps[{i}].name"),
                    "must be a unique name of a-z, 0-9 and _",
                );
            }
            let ok_when = match s.when {
                When::DayOfMonth(d) | When::NextMonthDay(d) => (1..=31).contains(&d),
                When::DaysPastDue(d) => (1..=60).contains(&d),
            };
            if !ok_when {
                errors.add(
                    format!("steps[{i}].when"),
                    "days of a month are 1 to 31; days past due 1 to 60",
                );
            }
        }
        if self.invoice_months.back > 120 || self.invoice_months.ahead > 12 {
            errors.add("invoice_months", "back is 0 to 120 months, ahead 0 to 12");
        }
        if self.max_commitments == 0 || self.renegotiation_hours == 0 {
            errors.add(
                "max_commitments",
                "at least one commitment, renegotiated within a positive number of hours",
            );
        }
        errors.finish(())
    }

    /// Whether the billing month starting `month` may be invoiced on `today`
    /// (both in the programme's zone); the error says which months may.
    pub fn check_invoice_month(&self, month: NaiveDate, today: NaiveDate) -> Result<(), String> {
        let current = first_of(today);
        let earliest = current.checked_sub_months(chrono::Months::new(self.invoice_months.back));
        let latest = current.checked_add_months(chrono::Months::new(self.invoice_months.ahead));
        match (earliest, latest) {
            (Some(earliest), Some(latest)) if (earliest..=latest).contains(&first_of(month)) => {
                Ok(())
            }
            (earliest, latest) => {
                let show = |d: Option<NaiveDate>| {
                    d.map_or_else(|| "?".to_string(), |d| d.format("%Y-%m").to_string())
                };
                Err(format!(
                    "must be from {} to {} ({} months back, {} ahead of this month)",
                    show(earliest),
                    show(latest),
                    self.invoice_months.back,
                    self.invoice_months.ahead
                ))
            }
        }
    }

    /// The day payment is due for the invoice of `month`.
    /// The billing month (its first day) whose invoices are due by `today`:
    /// the current month once its issue day has come. Issuing is idempotent,
    /// so a daily run issues on the day and catches up on any later day.
    pub fn month_to_issue(&self, today: NaiveDate) -> Option<NaiveDate> {
        (today.day() >= self.issue_day).then(|| first_of(today))
    }

    pub fn due_date(&self, month: NaiveDate) -> NaiveDate {
        day_in(month, self.due_day)
    }

    /// The day a step falls due for `month`, before any commitment.
    pub fn scheduled(&self, step: &Step, month: NaiveDate) -> NaiveDate {
        match step.when {
            When::DayOfMonth(d) => day_in(month, d),
            When::DaysPastDue(n) => self.due_date(month) + Duration::days(i64::from(n)),
            When::NextMonthDay(d) => day_in(
                first_of(month)
                    .checked_add_months(chrono::Months::new(1))
                    .unwrap_or(month),
                d,
            ),
        }
    }
}

impl Action {
    /// The service event a step is, if it moves the customer's service.
    pub fn service_event(self) -> Option<crate::service::ServiceEvent> {
        use crate::service::ServiceEvent as E;
        match self {
            Action::Remind => None,
            Action::SuspensionNotice => Some(E::Notice),
            Action::Suspend => Some(E::Suspend),
            Action::Pickup => Some(E::Pickup),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Remind => "remind",
            Action::SuspensionNotice => "suspension_notice",
            Action::Suspend => "suspend",
            Action::Pickup => "pickup",
        }
    }
}

impl DunningProgram {
    /// Who a step's notice goes to: reminders to the customer, the rest to
    /// the department list.
    pub fn recipients(&self, action: Action) -> Vec<String> {
        match action {
            Action::Remind => vec!["customer".into()],
            _ => self.notice_list.clone(),
        }
    }
}

/// A step's date for one invoice, and why then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DueStep {
    pub step: String,
    pub action: Action,
    pub date: NaiveDate,
    pub why: String,
}

/// The steps of an unpaid invoice for `month` with their dates, given its
/// commitments' dates (in the order made), up to and including `until`.
/// A deferrable step falls no earlier than the day after the last
/// commitment, keeping its distance from the first deferrable step (the
/// notice stays 24 h ahead of the suspension).
pub fn due_steps(
    program: &DunningProgram,
    month: NaiveDate,
    commitments: &[NaiveDate],
    until: NaiveDate,
) -> Vec<DueStep> {
    let first_deferrable = program
        .steps
        .iter()
        .filter(|s| s.action.deferred_by_commitment())
        .map(|s| program.scheduled(s, month))
        .min();
    let last_commitment = commitments.iter().max().copied();
    let mut out: Vec<DueStep> = program
        .steps
        .iter()
        .map(|s| {
            let scheduled = program.scheduled(s, month);
            let mut date = scheduled;
            let mut why = match s.when {
                When::DayOfMonth(d) => format!("day {d} of the billing month"),
                When::DaysPastDue(n) => format!(
                    "{n} day{} past the due date {}",
                    if n == 1 { "" } else { "s" },
                    program.due_date(month)
                ),
                When::NextMonthDay(d) => format!("day {d} of the following month"),
            };
            if let (true, Some(promise), Some(first)) = (
                s.action.deferred_by_commitment(),
                last_commitment,
                first_deferrable,
            ) {
                let deferred = promise + Duration::days(1) + (scheduled - first);
                if deferred > date {
                    date = deferred;
                    why = format!("deferred by the payment commitment for {promise}");
                }
            }
            DueStep {
                step: s.name.clone(),
                action: s.action,
                date,
                why,
            }
        })
        .filter(|d| d.date <= until)
        .collect();
    out.sort_by_key(|d| d.date);
    out
}

/// Why a payment commitment is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitmentRefusal {
    InThePast,
    BeyondTheMonth {
        last_day: NaiveDate,
    },
    /// A commitment is still live: it is renegotiated only once broken.
    StillLive {
        until: NaiveDate,
    },
    /// The renegotiation must fall within the programme's hours.
    TooLate {
        latest: NaiveDate,
    },
    /// No more renegotiations.
    NoMoreRenegotiations {
        max: u32,
    },
}

impl std::fmt::Display for CommitmentRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InThePast => f.write_str("a commitment's date cannot be in the past"),
            Self::BeyondTheMonth { last_day } => write!(
                f,
                "a commitment falls within the billing month: by {last_day}"
            ),
            Self::StillLive { until } => {
                write!(f, "the commitment for {until} is still live")
            }
            Self::TooLate { latest } => write!(
                f,
                "a renegotiated commitment falls at most 24 hours later: by {latest}"
            ),
            Self::NoMoreRenegotiations { max } => write!(
                f,
                "only {} renegotiation{} allowed: {max} commitments in all",
                max - 1,
                if *max == 2 { " is" } else { "s are" }
            ),
        }
    }
}

/// Checks a new commitment, made on `today`, to pay by `date`, given the
/// invoice's earlier commitments (in the order made).
pub fn check_commitment(
    program: &DunningProgram,
    month: NaiveDate,
    earlier: &[NaiveDate],
    today: NaiveDate,
    date: NaiveDate,
) -> Result<(), CommitmentRefusal> {
    if date < today {
        return Err(CommitmentRefusal::InThePast);
    }
    let last = last_day(month);
    if date > last {
        return Err(CommitmentRefusal::BeyondTheMonth { last_day: last });
    }
    let Some(previous) = earlier.last() else {
        return Ok(());
    };
    if today <= *previous {
        return Err(CommitmentRefusal::StillLive { until: *previous });
    }
    if earlier.len() as u64 >= u64::from(program.max_commitments) {
        return Err(CommitmentRefusal::NoMoreRenegotiations {
            max: program.max_commitments,
        });
    }
    let latest = today + Duration::days(i64::from(program.renegotiation_hours.div_ceil(24)));
    if date > latest {
        return Err(CommitmentRefusal::TooLate { latest });
    }
    Ok(())
}

#[cfg(test)]
mod tests {

    #[test]
    fn invoices_are_issued_from_the_issue_day_on() {
        let program = default_dunning_program();
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        assert_eq!(program.issue_day, 2);
        assert_eq!(program.month_to_issue(day("2026-03-01")), None);
        assert_eq!(
            program.month_to_issue(day("2026-03-02")),
            Some(day("2026-03-01"))
        );
        assert_eq!(
            program.month_to_issue(day("2026-03-31")),
            Some(day("2026-03-01"))
        );
    }

    #[test]
    fn invoice_months_lie_in_a_window_around_this_month() {
        let p = default_dunning_program();
        let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let month = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap();
        assert!(p.check_invoice_month(month(2026, 11), today).is_ok());
        assert!(p.check_invoice_month(month(2025, 11), today).is_ok());
        assert!(p.check_invoice_month(month(2026, 12), today).is_ok());
        let e = p.check_invoice_month(month(2025, 10), today).unwrap_err();
        assert_eq!(
            e,
            "must be from 2025-11 to 2026-12 (12 months back, 1 ahead of this month)"
        );
        assert!(p.check_invoice_month(month(2027, 1), today).is_err());
        assert!(p
            .check_invoice_month(NaiveDate::from_ymd_opt(0, 1, 1).unwrap(), today)
            .is_err());
        assert!(p.check_invoice_month(month(9999, 12), today).is_err());
    }
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn dates(steps: &[DueStep]) -> Vec<(&str, NaiveDate)> {
        steps.iter().map(|s| (s.step.as_str(), s.date)).collect()
    }

    #[test]
    fn an_unpaid_month_walks_the_ladder_of_domain_md() {
        let p = default_dunning_program();
        assert_eq!(p.validate(), Ok(()));
        let month = d("2026-11-01");
        let all = due_steps(&p, month, &[], d("2026-12-31"));
        assert_eq!(
            dates(&all),
            [
                ("reminder_1", d("2026-11-06")),
                ("reminder_2", d("2026-11-13")),
                ("reminder_3", d("2026-11-20")),
                ("suspension_notice", d("2026-11-26")),
                ("suspension", d("2026-11-27")),
                ("pickup", d("2026-12-06")),
            ]
        );
        let whys: Vec<&str> = all.iter().map(|s| s.why.as_str()).collect();
        assert_eq!(
            whys[..2],
            [
                "1 day past the due date 2026-11-05",
                "8 days past the due date 2026-11-05"
            ]
        );
        // As of the 26th: the notice, not yet the suspension.
        let by_26 = due_steps(&p, month, &[], d("2026-11-26"));
        assert_eq!(by_26.last().unwrap().action, Action::SuspensionNotice);
        assert!(by_26.iter().all(|s| s.action != Action::Suspend));
        // February: day 26 exists, next-month day 6 is in March.
        let feb = due_steps(&p, d("2027-02-01"), &[], d("2027-03-31"));
        assert_eq!(feb.last().unwrap().date, d("2027-03-06"));
    }

    #[test]
    fn a_live_commitment_defers_the_suspension_keeping_the_notice_a_day_ahead() {
        let p = default_dunning_program();
        let month = d("2026-11-01");
        let all = due_steps(&p, month, &[d("2026-11-28")], d("2026-12-31"));
        assert_eq!(
            dates(&all),
            [
                ("reminder_1", d("2026-11-06")),
                ("reminder_2", d("2026-11-13")),
                ("reminder_3", d("2026-11-20")),
                ("suspension_notice", d("2026-11-29")),
                ("suspension", d("2026-11-30")),
                ("pickup", d("2026-12-09")),
            ]
        );
        assert_eq!(
            all[3].why,
            "deferred by the payment commitment for 2026-11-28"
        );
        // A commitment before the notice day changes nothing.
        let early = due_steps(&p, month, &[d("2026-11-10")], d("2026-12-31"));
        assert_eq!(early[3].date, d("2026-11-26"));
    }

    #[test]
    fn commitments_within_the_month_and_one_renegotiation_within_24_hours() {
        let p = default_dunning_program();
        let month = d("2026-11-01");
        let today = d("2026-11-20");
        assert_eq!(
            check_commitment(&p, month, &[], today, d("2026-11-25")),
            Ok(())
        );
        assert_eq!(
            check_commitment(&p, month, &[], today, d("2026-11-19")),
            Err(CommitmentRefusal::InThePast)
        );
        assert_eq!(
            check_commitment(&p, month, &[], today, d("2026-12-01")),
            Err(CommitmentRefusal::BeyondTheMonth {
                last_day: d("2026-11-30")
            })
        );
        let first = [d("2026-11-25")];
        assert_eq!(
            check_commitment(&p, month, &first, d("2026-11-24"), d("2026-11-26")),
            Err(CommitmentRefusal::StillLive {
                until: d("2026-11-25")
            })
        );
        // Broken on the 25th; renegotiated on the 26th for at most the 27th.
        assert_eq!(
            check_commitment(&p, month, &first, d("2026-11-26"), d("2026-11-27")),
            Ok(())
        );
        assert_eq!(
            check_commitment(&p, month, &first, d("2026-11-26"), d("2026-11-28")),
            Err(CommitmentRefusal::TooLate {
                latest: d("2026-11-27")
            })
        );
        let both = [d("2026-11-25"), d("2026-11-27")];
        let refused = check_commitment(&p, month, &both, d("2026-11-28"), d("2026-11-28"));
        assert_eq!(
            refused,
            Err(CommitmentRefusal::NoMoreRenegotiations { max: 2 })
        );
        assert_eq!(
            refused.unwrap_err().to_string(),
            "only 1 renegotiation is allowed: 2 commitments in all"
        );
    }

    #[test]
    fn bad_ladders_are_refused_with_the_field() {
        let mut p = default_dunning_program();
        p.steps[1].name = "reminder_1".into();
        p.steps[2].when = When::DayOfMonth(32);
        p.due_day = 1;
        let fields: Vec<String> = p
            .validate()
            .unwrap_err()
            .into_vec()
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(fields, ["due_day", "steps[1].name", "steps[2].when"]);
    }
}
