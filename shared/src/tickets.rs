//! Support tickets (DOMAIN.md §4 "Intake", "Kinds"; seeds 002 §6, §8, §10;
//! 003 channels): who may open what, through which channel, which row of the
//! targets table a ticket runs on, and the programme data behind it.

use serde::{Deserialize, Serialize};

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
    }
}

impl TicketsProgram {
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
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
