//! Support tickets (DOMAIN.md §4 "Intake", "Kinds"; seeds 002 §6, §8, §10;
//! 003 channels): who may open what, through which channel, which row of the
//! targets table a ticket runs on, and the programme data behind it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{Clock, Schedule};
use crate::sla::SlaClock;

use crate::customer::SupportPlan;
use crate::sla::{default_targets, Priority, Targets};
use crate::validation::Errors;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    Question,
    Incident,
    ChangeRequest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    WebForm,
    ChatBot,
    Email,
    Phone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    Low,
    Medium,
    Urgent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Complexity {
    Simple,
    Moderate,
    Advanced,
    Complex,
}

/// Who opens the ticket: the customer (through the web form, the chat bot,
/// the email gateway or a logged call) or staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opener {
    Customer,
    Staff,
}

/// A calendar per support plan (ids of stored calendars).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanCalendars {
    pub platinum: String,
    pub gold: String,
    pub silver: String,
    pub bronze: String,
}

impl PlanCalendars {
    pub fn of(&self, plan: SupportPlan) -> &str {
        match plan {
            SupportPlan::Platinum => &self.platinum,
            SupportPlan::Gold => &self.gold,
            SupportPlan::Silver => &self.silver,
            SupportPlan::Bronze => &self.bronze,
        }
    }
}

/// The tickets programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketsProgram {
    pub targets: Targets,
    /// The business calendar each plan's tickets are counted on.
    pub calendars: PlanCalendars,
    /// Plans whose customers may call (002 §8.2). The seed's plan table did
    /// not survive; by default gold and platinum, as the tiers' 24/7 line.
    pub phone_support_plans: Vec<SupportPlan>,
    /// Medium or urgent change requests a customer may open per month (002 §6.3).
    pub urgent_change_requests_per_month: u32,
    /// Plan used for customers stored without one.
    pub default_plan: SupportPlan,
    /// Follow-ups, reminders, auto-close, reopen window.
    #[serde(default = "default_clock_rules")]
    pub clock_rules: ClockRules,
}

/// The clock rules of DOMAIN.md §4 as numbers (002 §9.8, §10.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockRules {
    /// Share of a target at which a warning is recorded.
    pub warning_percent: u32,
    /// Business hours of silence from the team before each follow-up is due.
    pub follow_up_business_hours: u32,
    /// The follow-up after which the ticket escalates to the head of department.
    pub escalate_after_follow_ups: u32,
    /// Business days waiting on the customer before a reminder, and before closing.
    pub reminder_business_days: u32,
    pub auto_close_business_days: u32,
    /// Days after resolution within which a ticket may be reopened.
    pub reopen_days: u32,
}

pub fn default_clock_rules() -> ClockRules {
    ClockRules {
        warning_percent: 75,
        follow_up_business_hours: 48,
        escalate_after_follow_ups: 4,
        reminder_business_days: 3,
        auto_close_business_days: 7,
        reopen_days: 7,
    }
}

pub fn default_tickets_program() -> TicketsProgram {
    let default = || "default".to_string();
    TicketsProgram {
        targets: default_targets(),
        calendars: PlanCalendars {
            platinum: default(),
            gold: default(),
            silver: default(),
            bronze: default(),
        },
        phone_support_plans: vec![SupportPlan::Gold, SupportPlan::Platinum],
        urgent_change_requests_per_month: 2,
        default_plan: SupportPlan::Bronze,
        clock_rules: default_clock_rules(),
    }
}

impl TicketsProgram {
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        let r = &self.clock_rules;
        if !(1..=99).contains(&r.warning_percent) {
            errors.add("clock_rules.warning_percent", "must be 1 to 99");
        }
        if r.follow_up_business_hours == 0 || r.escalate_after_follow_ups == 0 {
            errors.add(
                "clock_rules.follow_up_business_hours",
                "follow-ups need a positive interval and count",
            );
        }
        if r.reminder_business_days == 0 || r.auto_close_business_days <= r.reminder_business_days {
            errors.add(
                "clock_rules.auto_close_business_days",
                "must come after a reminder of at least 1 business day",
            );
        }
        if let Err(e) = self.targets.validate() {
            for f in e.into_vec() {
                errors.add(format!("targets.{}", f.field), f.message);
            }
        }
        errors.finish(())
    }
}

/// What a ticket asks for, as the intake form sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intake {
    pub customer_id: String,
    pub kind: TicketKind,
    pub channel: Channel,
    pub subject: String,
    #[serde(default)]
    pub description: String,
    /// Incidents only (002 §6).
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Change requests only.
    #[serde(default)]
    pub urgency: Option<Urgency>,
    #[serde(default)]
    pub complexity: Option<Complexity>,
    /// A formal complaint: escalated to the customer success manager at once (002 §9.3).
    #[serde(default)]
    pub complaint: bool,
}

/// Why an intake is refused (beyond field errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Invalid(Errors),
    /// Staff do not open tickets for customers, except change requests (002 §8.1).
    StaffOpensOnlyChangeRequests,
    /// The plan has no phone support (002 §8.2).
    NoPhoneSupport {
        plan: SupportPlan,
    },
    /// Two medium/urgent change requests this month already (002 §6.3).
    ChangeRequestLimit {
        limit: u32,
    },
}

impl Intake {
    /// Whether this ticket counts towards the monthly change-request limit.
    pub fn counts_towards_limit(&self) -> bool {
        self.kind == TicketKind::ChangeRequest
            && matches!(self.urgency, Some(Urgency::Medium | Urgency::Urgent))
    }

    /// The row of the targets table: an incident's priority; questions run
    /// as `low`; a change request by urgency (urgent as `high`).
    pub fn sla_priority(&self) -> Priority {
        match (self.kind, self.priority, self.urgency) {
            (TicketKind::Incident, Some(p), _) => p,
            (TicketKind::ChangeRequest, _, Some(Urgency::Urgent)) => Priority::High,
            (TicketKind::ChangeRequest, _, Some(Urgency::Medium)) => Priority::Medium,
            _ => Priority::Low,
        }
    }

    /// Checks an intake by `opener` for a customer on `plan` who opened
    /// `counted` medium/urgent change requests this month.
    pub fn check(
        &self,
        program: &TicketsProgram,
        opener: Opener,
        plan: SupportPlan,
        counted: u32,
    ) -> Result<(), Refusal> {
        let mut errors = Errors::new();
        let subject = self.subject.trim();
        if subject.is_empty() || subject.chars().count() > 200 {
            errors.add(
                "subject",
                "must be 1 to 200 characters: one topic per ticket",
            );
        }
        if self.description.chars().count() > 10_000 {
            errors.add("description", "must be at most 10,000 characters");
        }
        match self.kind {
            TicketKind::Incident if self.priority.is_none() => errors.add(
                "priority",
                "an incident needs a priority: very_high, high, medium or low",
            ),
            TicketKind::Question | TicketKind::ChangeRequest if self.priority.is_some() => {
                errors.add("priority", "only incidents have a priority")
            }
            _ => {}
        }
        let change = self.kind == TicketKind::ChangeRequest;
        if change && (self.urgency.is_none() || self.complexity.is_none()) {
            errors.add(
                if self.urgency.is_none() { "urgency" } else { "complexity" },
                "a change request needs urgency (low, medium, urgent) and complexity (simple, moderate, advanced, complex)",
            );
        }
        if !change && (self.urgency.is_some() || self.complexity.is_some()) {
            errors.add(
                if self.urgency.is_some() {
                    "urgency"
                } else {
                    "complexity"
                },
                "only change requests have urgency and complexity",
            );
        }
        if !errors.is_empty() {
            return Err(Refusal::Invalid(errors));
        }
        if opener == Opener::Staff && !change {
            return Err(Refusal::StaffOpensOnlyChangeRequests);
        }
        if self.channel == Channel::Phone && !program.phone_support_plans.contains(&plan) {
            return Err(Refusal::NoPhoneSupport { plan });
        }
        if self.counts_towards_limit() && counted >= program.urgent_change_requests_per_month {
            return Err(Refusal::ChangeRequestLimit {
                limit: program.urgent_change_requests_per_month,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intake(kind: TicketKind) -> Intake {
        Intake {
            customer_id: "C-1".into(),
            kind,
            channel: Channel::WebForm,
            subject: "Checkout fails".into(),
            description: String::new(),
            priority: None,
            urgency: None,
            complexity: None,
            complaint: false,
        }
    }

    #[test]
    fn intake_rules() {
        let p = default_tickets_program();
        let mut i = intake(TicketKind::Incident);
        let Err(Refusal::Invalid(e)) = i.check(&p, Opener::Customer, SupportPlan::Gold, 0) else {
            panic!("an incident without priority")
        };
        assert_eq!(e.fields(), vec!["priority"]);
        i.priority = Some(Priority::VeryHigh);
        assert_eq!(i.check(&p, Opener::Customer, SupportPlan::Gold, 0), Ok(()));
        assert_eq!(i.sla_priority(), Priority::VeryHigh);
        assert_eq!(
            i.check(&p, Opener::Staff, SupportPlan::Gold, 0),
            Err(Refusal::StaffOpensOnlyChangeRequests)
        );
        i.channel = Channel::Phone;
        assert_eq!(
            i.check(&p, Opener::Customer, SupportPlan::Silver, 0),
            Err(Refusal::NoPhoneSupport {
                plan: SupportPlan::Silver
            })
        );
        let mut q = intake(TicketKind::Question);
        q.priority = Some(Priority::High);
        assert!(matches!(
            q.check(&p, Opener::Customer, SupportPlan::Gold, 0),
            Err(Refusal::Invalid(_))
        ));
        q.priority = None;
        assert_eq!(q.sla_priority(), Priority::Low);
        let mut c = intake(TicketKind::ChangeRequest);
        c.urgency = Some(Urgency::Urgent);
        c.complexity = Some(Complexity::Moderate);
        assert_eq!(c.check(&p, Opener::Staff, SupportPlan::Bronze, 1), Ok(()));
        assert_eq!(
            c.check(&p, Opener::Staff, SupportPlan::Bronze, 2),
            Err(Refusal::ChangeRequestLimit { limit: 2 })
        );
        c.urgency = Some(Urgency::Low);
        assert_eq!(
            c.check(&p, Opener::Customer, SupportPlan::Bronze, 5),
            Ok(())
        );
        assert_eq!(c.sla_priority(), Priority::Low);
    }
}

/// States (DOMAIN.md §4): `new → open → pending_customer ⇄ open →
/// escalated → resolved → closed`; a reopen within `reopen_days` returns to
/// `open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    New,
    Open,
    PendingCustomer,
    Escalated,
    Resolved,
    Closed,
}

/// What happens to a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketEvent {
    /// The team answers (the first answer meets the first-response clock).
    TeamReply,
    /// The team needs the customer: the clocks pause.
    AskCustomer,
    /// The customer answers: paused clocks resume.
    CustomerReply,
    Escalate,
    Resolve,
    Close,
    Reopen,
}

impl TicketState {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::New => "new",
            TicketState::Open => "open",
            TicketState::PendingCustomer => "pending_customer",
            TicketState::Escalated => "escalated",
            TicketState::Resolved => "resolved",
            TicketState::Closed => "closed",
        }
    }

    /// Whether the SLA clocks run in this state.
    pub fn clocks_run(self) -> bool {
        matches!(
            self,
            TicketState::New | TicketState::Open | TicketState::Escalated
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketTransitionError {
    pub from: TicketState,
    pub event: TicketEvent,
    pub why: &'static str,
}

impl std::fmt::Display for TicketTransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a {} ticket: {}", self.from.as_str(), self.why)
    }
}

/// The next state, or why the event does not apply. `within_reopen_window`
/// says whether a reopen comes within the programme's days of the
/// resolution (002: 7 days).
pub fn transition(
    from: TicketState,
    event: TicketEvent,
    within_reopen_window: bool,
) -> Result<TicketState, TicketTransitionError> {
    use TicketEvent as E;
    use TicketState as S;
    let refuse = |why| Err(TicketTransitionError { from, event, why });
    match (from, event) {
        (S::Closed, E::Reopen) | (S::Resolved, E::Reopen) if within_reopen_window => Ok(S::Open),
        (S::Closed | S::Resolved, E::Reopen) => {
            refuse("the reopen window has passed; open a new ticket")
        }
        (S::Closed, _) => refuse("it is closed; reopen it first"),
        (S::Resolved, E::Close) => Ok(S::Closed),
        (S::Resolved, E::CustomerReply) => refuse("it is resolved; reopen it to continue"),
        (S::Resolved, _) => refuse("it is resolved; close or reopen it"),
        (_, E::Close) => refuse("only a resolved ticket is closed"),
        (_, E::Reopen) => refuse("it is not resolved or closed"),
        (S::New | S::Open, E::TeamReply) => Ok(S::Open),
        (S::Escalated, E::TeamReply) => Ok(S::Escalated),
        (S::PendingCustomer, E::TeamReply) => Ok(S::PendingCustomer),
        (S::New | S::Open | S::Escalated, E::AskCustomer) => Ok(S::PendingCustomer),
        (S::PendingCustomer, E::AskCustomer) => refuse("it already waits on the customer"),
        (S::PendingCustomer, E::CustomerReply) => Ok(S::Open),
        (S::New | S::Open | S::Escalated, E::CustomerReply) => Ok(from),
        (S::Escalated, E::Escalate) => refuse("it is already escalated"),
        (_, E::Escalate) => Ok(S::Escalated),
        (_, E::Resolve) => Ok(S::Resolved),
    }
}

#[cfg(test)]
mod lifecycle_tests {
    use super::*;
    use TicketEvent as E;
    use TicketState as S;

    #[test]
    fn the_lifecycle_of_domain_md() {
        assert_eq!(transition(S::New, E::TeamReply, false), Ok(S::Open));
        assert_eq!(
            transition(S::Open, E::AskCustomer, false),
            Ok(S::PendingCustomer)
        );
        assert_eq!(
            transition(S::PendingCustomer, E::CustomerReply, false),
            Ok(S::Open)
        );
        assert_eq!(transition(S::Open, E::Escalate, false), Ok(S::Escalated));
        assert_eq!(transition(S::Escalated, E::Resolve, false), Ok(S::Resolved));
        assert_eq!(transition(S::Resolved, E::Close, false), Ok(S::Closed));
        assert_eq!(transition(S::Closed, E::Reopen, true), Ok(S::Open));
        let late = transition(S::Closed, E::Reopen, false).unwrap_err();
        assert_eq!(
            late.to_string(),
            "a closed ticket: the reopen window has passed; open a new ticket"
        );
        assert!(transition(S::Closed, E::Resolve, true).is_err());
        assert!(transition(S::Open, E::Close, false).is_err());
        assert!(
            S::Open.clocks_run() && !S::PendingCustomer.clocks_run() && !S::Resolved.clocks_run()
        );
    }
}

/// A clock event the sweep records, once per ticket and key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SweepEvent {
    /// `first_response.warning`, `resolution.breach`, `follow_up.2`,
    /// `escalation.head_of_department`, `reminder`, `auto_close`.
    pub kind: String,
    /// Unique per ticket: the kind, plus the moment its count started for
    /// events that start again (follow-ups after each team answer, reminders
    /// after each wait), so a re-run or a catch-up never records one twice.
    pub key: String,
    pub at: DateTime<Utc>,
}

/// A ticket's clocks as the sweep sees them.
#[derive(Debug, Clone)]
pub struct Sweepable {
    pub state: TicketState,
    /// `None` once met.
    pub first_response: Option<SlaClock>,
    /// `None` once resolved.
    pub resolution: Option<SlaClock>,
    /// The team's last answer (or the intake).
    pub last_team_feedback: DateTime<Utc>,
    /// Since when the ticket waits on the customer, if it does.
    pub pending_since: Option<DateTime<Utc>>,
}

/// Every clock event due by `as_of`, in time order. `clock` runs the SLA
/// targets (business or natural); follow-ups, reminders and auto-close count
/// business time on `business` with days of `business_day_hours`.
pub fn due_events(
    rules: &ClockRules,
    t: &Sweepable,
    clock: &Clock<'_>,
    business: &Schedule,
    business_day_hours: u32,
    as_of: DateTime<Utc>,
) -> Vec<SweepEvent> {
    let mut out = Vec::new();
    let mut push = |kind: String, key: String, at: Option<DateTime<Utc>>| {
        if let Some(at) = at.filter(|at| *at <= as_of) {
            out.push(SweepEvent { kind, key, at });
        }
    };
    for (name, c) in [
        ("first_response", &t.first_response),
        ("resolution", &t.resolution),
    ] {
        if let Some(c) = c {
            let warning = format!("{name}.warning");
            let breach = format!("{name}.breach");
            push(
                warning.clone(),
                warning,
                c.reaches(clock, rules.warning_percent),
            );
            push(breach.clone(), breach, c.due(clock));
        }
    }
    let stamp = |at: DateTime<Utc>| at.format("%Y%m%dT%H%M%S").to_string();
    if t.state.clocks_run() {
        let step = Duration::hours(i64::from(rules.follow_up_business_hours));
        let since = stamp(t.last_team_feedback);
        for k in 1..=rules.escalate_after_follow_ups {
            let at = business.add_business(
                t.last_team_feedback,
                step * i32::try_from(k).unwrap_or(i32::MAX),
            );
            push(
                format!("follow_up.{k}"),
                format!("follow_up.{k}@{since}"),
                at,
            );
            if k == rules.escalate_after_follow_ups {
                push(
                    "escalation.head_of_department".into(),
                    format!("escalation.head_of_department@{since}"),
                    at,
                );
            }
        }
    }
    if let (TicketState::PendingCustomer, Some(since)) = (t.state, t.pending_since) {
        let day = Duration::hours(i64::from(business_day_hours));
        let days = |n: u32| day * i32::try_from(n).unwrap_or(i32::MAX);
        let key = stamp(since);
        push(
            "reminder".into(),
            format!("reminder@{key}"),
            business.add_business(since, days(rules.reminder_business_days)),
        );
        push(
            "auto_close".into(),
            format!("auto_close@{key}"),
            business.add_business(since, days(rules.auto_close_business_days)),
        );
    }
    out.sort_by_key(|e| e.at);
    out
}

#[cfg(test)]
mod sweep_tests {
    use super::*;
    use crate::calendar::Calendar;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn silence_brings_four_follow_ups_and_escalation_and_waiting_a_reminder_then_close() {
        let cal = Calendar::default_business().compile();
        let clock = Clock::Business(&cal);
        let rules = default_clock_rules();
        // Opened Monday 23 Nov 2026, 09:00 Madrid; medium × gold: 4 h / 5 days.
        let opened = t("2026-11-23T08:00:00Z");
        let clock_of = |h: i64| {
            Some(SlaClock {
                started: opened,
                pauses: vec![],
                target: Duration::hours(h),
            })
        };
        let ticket = Sweepable {
            state: TicketState::New,
            first_response: clock_of(4),
            resolution: clock_of(45),
            last_team_feedback: opened,
            pending_since: None,
        };
        let kinds = |as_of: &str| -> Vec<String> {
            due_events(&rules, &ticket, &clock, &cal, 9, t(as_of))
                .into_iter()
                .map(|e| e.kind)
                .collect()
        };
        assert!(kinds("2026-11-23T10:00:00Z").is_empty());
        assert_eq!(kinds("2026-11-23T11:00:00Z"), ["first_response.warning"]);
        assert_eq!(
            kinds("2026-11-23T12:00:00Z"),
            ["first_response.warning", "first_response.breach"]
        );
        // 48 business hours (44 by Friday 17:00, then 4 more): Monday 30 Nov, 12:00 Madrid.
        let at = |k: &str, as_of: &str| {
            due_events(&rules, &ticket, &clock, &cal, 9, t(as_of))
                .into_iter()
                .find(|e| e.kind == k)
                .map(|e| e.at)
        };
        assert_eq!(
            at("follow_up.1", "2026-12-31T00:00:00Z"),
            Some(t("2026-11-30T11:00:00Z"))
        );
        let all = kinds("2027-01-31T00:00:00Z");
        assert_eq!(
            all.iter().filter(|k| k.starts_with("follow_up")).count(),
            4,
            "{all:?}"
        );
        assert!(all.contains(&"escalation.head_of_department".to_string()));
        assert_eq!(
            at("escalation.head_of_department", "2027-01-31T00:00:00Z"),
            at("follow_up.4", "2027-01-31T00:00:00Z")
        );

        // Waiting on the customer from Wednesday 25 Nov 10:00 Madrid: the
        // clocks stop, no follow-ups; a reminder after 3 business days, the
        // close after 7.
        let waiting = Sweepable {
            state: TicketState::PendingCustomer,
            first_response: None,
            resolution: Some(SlaClock {
                started: opened,
                pauses: vec![crate::sla::Pause {
                    from: t("2026-11-25T09:00:00Z"),
                    to: None,
                }],
                target: Duration::hours(45),
            }),
            last_team_feedback: t("2026-11-25T09:00:00Z"),
            pending_since: Some(t("2026-11-25T09:00:00Z")),
        };
        let events = due_events(&rules, &waiting, &clock, &cal, 9, t("2027-01-31T00:00:00Z"));
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["reminder", "auto_close"]);
        assert_eq!(events[0].at, t("2026-11-30T09:00:00Z"));
        assert_eq!(events[1].at, t("2026-12-04T09:00:00Z"));
        // Keys carry the start of the wait: a new wait reminds again.
        assert_eq!(events[0].key, "reminder@20261125T090000");
    }
}
