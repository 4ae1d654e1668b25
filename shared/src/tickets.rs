//! Support tickets (docs/domain.md §4 "Intake", "Kinds"; seeds 002 §6, §8, §10;
//! 003 channels): who may open what, through which channel, which row of the
//! targets table a ticket runs on, and the programme data behind it.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::channels::{default_channels, Channels};
use crate::conversation::{default_attachment_rules, AttachmentRules};
use crate::customer::SupportPlan;
use crate::levels::{default_support_levels, SupportLevels};
use crate::sla::{default_targets, Priority, Targets};
use crate::surveys::{default_survey_rules, SurveyRules};
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
    LiveChat,
    #[serde(rename = "whatsapp")]
    WhatsApp,
    /// The VIP emergency line (000 §5.2): straight to L3 and the programme manager.
    EmergencyLine,
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

impl Opener {
    /// Who opens a ticket. Staff logging a customer's call record the
    /// customer's own contact (calls are logged in the ticket system at once,
    /// 002 §11), so the customer's rules apply; otherwise staff only write
    /// up change requests (002 §8.1).
    pub fn of(staff: bool, channel: Channel) -> Opener {
        match (staff, channel) {
            (true, Channel::Phone) | (false, _) => Opener::Customer,
            (true, _) => Opener::Staff,
        }
    }
}

/// When a new ticket's clocks start: when the customer made contact, for a
/// call or an email logged afterwards, else `now`. Not in the future, and
/// not more than the programme's `late_entry_hours` before `now`.
pub fn intake_time(
    received_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    late_entry_hours: u32,
) -> Result<DateTime<Utc>, Errors> {
    let Some(at) = received_at else {
        return Ok(now);
    };
    let mut errors = Errors::new();
    if at > now {
        errors.add("received_at", "must not be in the future");
    } else if now - at > Duration::hours(i64::from(late_entry_hours)) {
        errors.add(
            "received_at",
            format!("must be within the last {late_entry_hours} hours (the programme's late_entry_hours)"),
        );
    }
    errors.finish(at)
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

/// The team each kind of ticket is routed to (002 §2: customer care takes
/// questions and incidents, the change-request team, "evolutivos", builds
/// change requests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Teams {
    pub question: String,
    pub incident: String,
    pub change_request: String,
}

impl Teams {
    pub fn of(&self, kind: TicketKind) -> &str {
        match kind {
            TicketKind::Question => &self.question,
            TicketKind::Incident => &self.incident,
            TicketKind::ChangeRequest => &self.change_request,
        }
    }

    /// Every team named, once each, in the order of the kinds.
    pub fn all(&self) -> Vec<&str> {
        let mut teams: Vec<&str> = Vec::new();
        for team in [&self.question, &self.incident, &self.change_request] {
            if !teams.contains(&team.as_str()) {
                teams.push(team);
            }
        }
        teams
    }

    /// The kinds routed to `team`.
    pub fn kinds_of(&self, team: &str) -> Vec<TicketKind> {
        [
            TicketKind::Question,
            TicketKind::Incident,
            TicketKind::ChangeRequest,
        ]
        .into_iter()
        .filter(|k| self.of(*k) == team)
        .collect()
    }
}

pub fn default_teams() -> Teams {
    Teams {
        question: "customer_care".into(),
        incident: "customer_care".into(),
        change_request: "change_requests".into(),
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
    /// Routing of tickets to teams, by kind (the queue filters by team).
    #[serde(default = "default_teams")]
    pub teams: Teams,
    /// How long after the customer's contact a call or an email may still
    /// be logged with its real time (`received_at`).
    #[serde(default = "default_late_entry_hours")]
    pub late_entry_hours: u32,
    /// Support levels L1–L3 (000 SOP-004): owners, windows, starting rules.
    #[serde(default = "default_support_levels")]
    pub levels: SupportLevels,
    /// Whether a wait on an outside provider stops the customer-facing
    /// clocks (002 §9.5: the provider's SLA applies meanwhile).
    #[serde(default = "default_provider_wait_pauses")]
    pub provider_wait_pauses_clocks: bool,
    /// Channels: opening hours and VIP answer times (000 §5.2, 003).
    #[serde(default = "default_channels")]
    pub channels: Channels,
    /// When the satisfaction survey goes out after a resolution (003).
    #[serde(default = "default_survey_rules")]
    pub surveys: SurveyRules,
    /// What files a ticket's messages may carry (their metadata; no bodies).
    #[serde(default = "default_attachment_rules")]
    pub attachments: AttachmentRules,
}

/// The clock rules of docs/domain.md §4 as numbers (002 §9.8, §10.1).
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
    /// When a clock is breached the customer is told a new estimate: the
    /// due time plus this share of the target, on the same clock (002 §9.7).
    #[serde(default = "default_breach_estimate_percent")]
    pub breach_estimate_percent: u32,
}

pub fn default_breach_estimate_percent() -> u32 {
    50
}

pub fn default_clock_rules() -> ClockRules {
    ClockRules {
        warning_percent: 75,
        follow_up_business_hours: 48,
        escalate_after_follow_ups: 4,
        reminder_business_days: 3,
        auto_close_business_days: 7,
        reopen_days: 7,
        breach_estimate_percent: default_breach_estimate_percent(),
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
        teams: default_teams(),
        attachments: default_attachment_rules(),
        late_entry_hours: default_late_entry_hours(),
        levels: default_support_levels(),
        surveys: default_survey_rules(),
        channels: default_channels(),
        provider_wait_pauses_clocks: default_provider_wait_pauses(),
    }
}

pub fn default_provider_wait_pauses() -> bool {
    true
}

/// Three days: a weekend's emails can still be logged on Monday with their time.
pub fn default_late_entry_hours() -> u32 {
    72
}

impl TicketsProgram {
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        let r = &self.clock_rules;
        if !(1..=99).contains(&r.warning_percent) {
            errors.add("clock_rules.warning_percent", "must be 1 to 99");
        }
        if !(1..=500).contains(&r.breach_estimate_percent) {
            errors.add("clock_rules.breach_estimate_percent", "must be 1 to 500");
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
        for (field, team) in [
            ("teams.question", &self.teams.question),
            ("teams.incident", &self.teams.incident),
            ("teams.change_request", &self.teams.change_request),
        ] {
            let ok = (1..=40).contains(&team.len())
                && team
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                errors.add(field, "must be 1 to 40 of a-z, 0-9 and _");
            }
        }
        if !(1..=24 * 31).contains(&self.late_entry_hours) {
            errors.add("late_entry_hours", "must be 1 to 744 (31 days)");
        }
        errors.include("", self.channels.validate());
        errors.include("", self.surveys.validate());
        errors.include("", self.levels.validate());
        errors.include("", self.attachments.validate());
        errors.include("targets.", self.targets.validate());
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
    /// When the customer actually made contact, for a call or an email
    /// logged afterwards (staff and the email gateway only): the clocks
    /// start there.
    #[serde(default)]
    pub received_at: Option<DateTime<Utc>>,
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
    /// Only a ticket still being worked on is split.
    NotSplittable {
        state: TicketState,
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

    /// The fields on their own: one subject, and the attributes its kind has.
    fn check_fields(&self) -> Result<(), Errors> {
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
        errors.finish(())
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
        self.check_fields().map_err(Refusal::Invalid)?;
        if opener == Opener::Staff && self.kind != TicketKind::ChangeRequest {
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

/// One topic split off a ticket. Kind, priority, urgency and complexity
/// default to the parent's (the attributes only while the kind is the
/// parent's); the customer and channel are always the parent's.
/// A ticket handed to an outside provider (002 §9.5): who, and the time they
/// committed to answer by.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderHandOver {
    pub provider: String,
    pub committed_at: DateTime<Utc>,
    #[serde(default)]
    pub note: Option<String>,
}

impl ProviderHandOver {
    /// A named provider (1 to 100 characters) committed to a time after `now`.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), Errors> {
        let mut errors = Errors::new();
        let name = self.provider.trim().chars().count();
        if name == 0 || name > 100 {
            errors.add("provider", "must be 1 to 100 characters");
        }
        if self.committed_at <= now {
            errors.add(
                "committed_at",
                "must be a time still to come: when the provider committed to answer by",
            );
        }
        if self.note.as_ref().is_some_and(|n| n.chars().count() > 500) {
            errors.add("note", "must be at most 500 characters");
        }
        errors.finish(())
    }
}

/// The team's correction of how a ticket was filed (002 §10.1.1): its whole
/// classification, as at intake, and why.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reclassification {
    pub kind: TicketKind,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub urgency: Option<Urgency>,
    #[serde(default)]
    pub complexity: Option<Complexity>,
    #[serde(default)]
    pub reason: String,
}

impl Reclassification {
    /// The intake as it would have been filed this way; the same field rules
    /// as at intake, and a reason (1 to 500 characters).
    pub fn apply(&self, filed: &Intake) -> Result<Intake, Errors> {
        let changed = Intake {
            kind: self.kind,
            priority: self.priority,
            urgency: self.urgency,
            complexity: self.complexity,
            ..filed.clone()
        };
        let mut errors = match changed.check_fields() {
            Ok(()) => Errors::new(),
            Err(e) => e,
        };
        let reason = self.reason.trim().chars().count();
        if reason == 0 || reason > 500 {
            errors.add(
                "reason",
                "say why, in 1 to 500 characters: it is kept with the change",
            );
        }
        errors.finish(changed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub subject: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub kind: Option<TicketKind>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub urgency: Option<Urgency>,
    #[serde(default)]
    pub complexity: Option<Complexity>,
}

/// Topics a ticket may be split into at once.
pub const MAX_SPLIT_TOPICS: usize = 10;

/// Staff split a ticket that mixes topics into one-topic tickets (docs/domain.md
/// §4). Each topic becomes the intake of a new ticket for the same customer
/// and channel; the parent, once split, is closed. A complaint stays with
/// the parent (it was escalated at intake), so no topic carries one.
pub fn split(
    parent: &Intake,
    state: TicketState,
    topics: &[Topic],
) -> Result<Vec<Intake>, Refusal> {
    if !matches!(
        state,
        TicketState::New
            | TicketState::Open
            | TicketState::PendingCustomer
            | TicketState::Escalated
    ) {
        return Err(Refusal::NotSplittable { state });
    }
    let mut errors = Errors::new();
    if !(2..=MAX_SPLIT_TOPICS).contains(&topics.len()) {
        errors.add(
            "topics",
            format!("a split makes 2 to {MAX_SPLIT_TOPICS} one-topic tickets"),
        );
    }
    let mut out = Vec::new();
    for (i, topic) in topics.iter().enumerate() {
        let kind = topic.kind.unwrap_or(parent.kind);
        let inherit = kind == parent.kind;
        let child = Intake {
            customer_id: parent.customer_id.clone(),
            kind,
            channel: parent.channel,
            subject: topic.subject.clone(),
            description: topic.description.clone(),
            priority: topic.priority.or(parent.priority.filter(|_| inherit)),
            urgency: topic.urgency.or(parent.urgency.filter(|_| inherit)),
            complexity: topic.complexity.or(parent.complexity.filter(|_| inherit)),
            complaint: false,
            received_at: None,
        };
        errors.include(&format!("topics[{i}]."), child.check_fields());
        out.push(child);
    }
    errors.finish(out).map_err(Refusal::Invalid)
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
            received_at: None,
        }
    }

    #[test]
    fn a_reclassification_follows_the_intake_rules_and_needs_a_reason() {
        let filed = intake(TicketKind::Question);
        let to_incident = Reclassification {
            kind: TicketKind::Incident,
            priority: Some(Priority::High),
            urgency: None,
            complexity: None,
            reason: "payments fail for every customer".into(),
        };
        let changed = to_incident.apply(&filed).unwrap();
        assert_eq!(changed.sla_priority(), Priority::High);
        assert_eq!(changed.subject, filed.subject);
        let bad = Reclassification {
            priority: None,
            reason: "  ".into(),
            ..to_incident
        };
        assert_eq!(
            bad.apply(&filed).unwrap_err().fields(),
            ["priority", "reason"]
        );
    }

    #[test]
    fn a_logged_contact_starts_the_clocks_when_it_happened() {
        let now: DateTime<Utc> = "2026-12-07T09:00:00Z".parse().unwrap();
        let friday = "2026-12-04T18:30:00Z".parse().unwrap();
        assert_eq!(intake_time(None, now, 72), Ok(now));
        assert_eq!(intake_time(Some(friday), now, 72), Ok(friday));
        assert_eq!(intake_time(Some(now), now, 72), Ok(now));
        let late = intake_time(Some(friday), now, 24).unwrap_err();
        assert_eq!(late.fields(), ["received_at"]);
        let ahead = intake_time(Some(now + Duration::seconds(1)), now, 72).unwrap_err();
        assert!(ahead.to_string().contains("future"), "{ahead}");
        // Staff log calls as the customer's contact; anything else they open is a change request.
        assert_eq!(Opener::of(true, Channel::Phone), Opener::Customer);
        assert_eq!(Opener::of(true, Channel::Email), Opener::Staff);
        assert_eq!(Opener::of(false, Channel::Email), Opener::Customer);
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

    #[test]
    fn a_split_makes_one_topic_tickets_inheriting_the_parent() {
        let mut parent = intake(TicketKind::Incident);
        parent.priority = Some(Priority::High);
        parent.complaint = true;
        let topic = |subject: &str, kind: Option<TicketKind>| Topic {
            subject: subject.into(),
            description: String::new(),
            kind,
            priority: None,
            urgency: None,
            complexity: None,
        };
        let children = split(
            &parent,
            TicketState::Open,
            &[
                topic("Checkout", None),
                topic("How do I export?", Some(TicketKind::Question)),
            ],
        )
        .unwrap();
        assert_eq!(children[0].priority, Some(Priority::High));
        assert_eq!(children[1].priority, None);
        assert!(children
            .iter()
            .all(|c| !c.complaint && c.customer_id == "C-1"));
        let Err(Refusal::Invalid(e)) = split(
            &parent,
            TicketState::Open,
            &[
                topic("", None),
                topic("Change", Some(TicketKind::ChangeRequest)),
            ],
        ) else {
            panic!("an empty subject and a change request without urgency")
        };
        assert_eq!(e.fields(), vec!["topics[0].subject", "topics[1].urgency"]);
        assert!(matches!(
            split(&parent, TicketState::Open, &[topic("One", None)]),
            Err(Refusal::Invalid(_))
        ));
        assert_eq!(
            split(
                &parent,
                TicketState::Resolved,
                &[topic("A", None), topic("B", None)]
            ),
            Err(Refusal::NotSplittable {
                state: TicketState::Resolved
            })
        );
    }
}

/// States (docs/domain.md §4): `new → open → pending_customer ⇄ open →
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
