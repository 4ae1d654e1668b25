//! Training, "Formación" (docs/domain.md §10 "Training"; seed 002 §10.3):
//! a request with a syllabus option, sessions and their length, budgeted in
//! T-Points; the customer approves the budget before planning; the training
//! closes with the materials delivered. The points are reserved on approval,
//! spent on closing, released on cancellation, in the same T-Points ledger as
//! change requests.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::change_requests::Line;
use crate::tpoints::{Entry, Movement, Step, TPoints};
use crate::validation::Errors;

/// The syllabus options (002 §10.3 step 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Syllabus {
    /// The standard course: configuration and general management of the platform.
    General,
    /// Specific topics: content management, order management, general use.
    Topics,
    /// Adapted to the customer, leaving out what they already master.
    Personalised,
}

/// The training part of the programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingRules {
    /// T-Points per hour of session.
    pub points_per_hour: TPoints,
    /// Preparation added per syllabus option (materials adapted to the customer).
    pub preparation: Preparation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preparation {
    pub general: TPoints,
    pub topics: TPoints,
    pub personalised: TPoints,
}

/// Defaults: one T-Point an hour of session (T-Points are bought as hours of
/// work); preparation none for the standard course, 1 for specific topics,
/// 2 for a personalised syllabus. The seed gives no figures for training.
pub fn default_training_rules() -> TrainingRules {
    TrainingRules {
        points_per_hour: TPoints::whole(1),
        preparation: Preparation {
            general: TPoints::ZERO,
            topics: TPoints::whole(1),
            personalised: TPoints::whole(2),
        },
    }
}

impl TrainingRules {
    pub fn validate(&self, step: Step, errors: &mut Errors) {
        if self.points_per_hour == TPoints::ZERO {
            errors.add("training.points_per_hour", "must be more than 0");
        }
        step.check(errors, "training.points_per_hour", self.points_per_hour);
        for (name, p) in [
            ("general", self.preparation.general),
            ("topics", self.preparation.topics),
            ("personalised", self.preparation.personalised),
        ] {
            step.check(errors, &format!("training.preparation.{name}"), p);
        }
    }
}

/// What the customer asks for, as the team writes it up after assessing
/// their needs (002 §10.3 steps 1–2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingInput {
    pub syllabus: Syllabus,
    /// The topics (required for specific topics and a personalised syllabus).
    #[serde(default)]
    pub topics: Vec<String>,
    pub sessions: u32,
    pub minutes_per_session: u32,
    /// The customer's needs and level, as assessed.
    pub needs: String,
}

/// A budget: its lines and total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    pub lines: Vec<Line>,
    pub total: TPoints,
}

/// The budget of `input` (002 §10.3 step 3): the session hours at the
/// programme's rate, rounded up to its step, plus the syllabus's preparation.
/// A 400's fields: `topics`, `topics[i]`, `sessions`, `minutes_per_session`, `needs`.
pub fn budget(rules: &TrainingRules, step: Step, input: &TrainingInput) -> Result<Budget, Errors> {
    let mut errors = Errors::new();
    if input.syllabus != Syllabus::General && input.topics.is_empty() {
        errors.add(
            "topics",
            "name the topics of a specific or personalised syllabus",
        );
    }
    if input.topics.len() > 30 {
        errors.add("topics", "at most 30 topics");
    }
    for (i, t) in input.topics.iter().enumerate() {
        if t.trim().is_empty() || t.chars().count() > 200 {
            errors.add(format!("topics[{i}]"), "1 to 200 characters");
        }
    }
    if !(1..=50).contains(&input.sessions) {
        errors.add("sessions", "1 to 50");
    }
    if !(15..=480).contains(&input.minutes_per_session)
        || !input.minutes_per_session.is_multiple_of(15)
    {
        errors.add("minutes_per_session", "15 to 480, in quarter hours");
    }
    if input.needs.trim().is_empty() || input.needs.chars().count() > 2000 {
        errors.add("needs", "1 to 2000 characters");
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let minutes = i64::from(input.sessions) * i64::from(input.minutes_per_session);
    let hundredths = (rules.points_per_hour.hundredths() * minutes + 59) / 60;
    let sessions = TPoints::from_hundredths(hundredths)
        .unwrap_or(TPoints::ZERO)
        .round_up(step);
    let mut lines = vec![Line {
        kind: "sessions".into(),
        label: "Sessions".into(),
        points: sessions,
        why: format!(
            "{} sessions of {} minutes ({:.2} h) at {} a hour, rounded up",
            input.sessions,
            input.minutes_per_session,
            minutes as f64 / 60.0,
            rules.points_per_hour
        ),
    }];
    let (preparation, option) = match input.syllabus {
        Syllabus::General => (rules.preparation.general, "the standard course"),
        Syllabus::Topics => (rules.preparation.topics, "specific topics"),
        Syllabus::Personalised => (rules.preparation.personalised, "a personalised syllabus"),
    };
    if preparation > TPoints::ZERO {
        lines.push(Line {
            kind: "preparation".into(),
            label: "Preparation".into(),
            points: preparation,
            why: format!("materials prepared for {option}"),
        });
    }
    let total = lines
        .iter()
        .fold(TPoints::ZERO, |s, l| s.saturating_add(l.points));
    Ok(Budget { lines, total })
}

/// Where a training stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingState {
    /// Budgeted: waiting for the customer's approval.
    Budgeted,
    /// Approved: the points are reserved; to be planned.
    Approved,
    /// Sessions planned.
    Planned,
    /// Closed with the materials delivered: the points are spent.
    Closed,
    /// The customer turned the budget down.
    Rejected,
    /// Withdrawn after approval: the points are released.
    Cancelled,
}

impl TrainingState {
    pub fn as_str(self) -> &'static str {
        match self {
            TrainingState::Budgeted => "budgeted",
            TrainingState::Approved => "approved",
            TrainingState::Planned => "planned",
            TrainingState::Closed => "closed",
            TrainingState::Rejected => "rejected",
            TrainingState::Cancelled => "cancelled",
        }
    }
}

/// A move of a training.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainingMove {
    Approve,
    Reject,
    Plan,
    Close,
    Cancel,
}

impl TrainingMove {
    pub fn to(self) -> TrainingState {
        match self {
            TrainingMove::Approve => TrainingState::Approved,
            TrainingMove::Reject => TrainingState::Rejected,
            TrainingMove::Plan => TrainingState::Planned,
            TrainingMove::Close => TrainingState::Closed,
            TrainingMove::Cancel => TrainingState::Cancelled,
        }
    }

    /// Whether the move may be made from `state`: approval before
    /// planning, planning (and re-planning) before closing.
    pub fn check(self, state: TrainingState) -> Result<(), &'static str> {
        let ok = match self {
            TrainingMove::Approve | TrainingMove::Reject => state == TrainingState::Budgeted,
            TrainingMove::Plan => {
                matches!(state, TrainingState::Approved | TrainingState::Planned)
            }
            TrainingMove::Close => state == TrainingState::Planned,
            TrainingMove::Cancel => {
                matches!(state, TrainingState::Approved | TrainingState::Planned)
            }
        };
        if ok {
            return Ok(());
        }
        Err(match self {
            TrainingMove::Approve | TrainingMove::Reject => {
                "a decision (the budget must be waiting for the customer)"
            }
            TrainingMove::Plan => "planning (the customer must have approved the budget)",
            TrainingMove::Close => "closing (the sessions must be planned)",
            TrainingMove::Cancel => "cancellation (the training must be approved or planned)",
        })
    }

    /// What the move does to the customer's T-Points for a budget of `total`.
    pub fn settlement(self, total: TPoints) -> Option<Movement> {
        match self {
            TrainingMove::Approve => Some(Entry::Reserve.of(total)),
            TrainingMove::Close => Some(Entry::Spend.of(total)),
            TrainingMove::Cancel => Some(Entry::Release.of(total)),
            TrainingMove::Reject | TrainingMove::Plan => None,
        }
        .filter(|_| total > TPoints::ZERO)
    }
}

/// The planned sessions: a date and length each, as many as budgeted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    pub on: NaiveDate,
    pub minutes: u32,
}

/// Sessions in date order, not before `today`, as many as budgeted and
/// together no longer than budgeted (they must fit the budgeted time).
pub fn check_sessions(
    input: &TrainingInput,
    sessions: &[Session],
    today: NaiveDate,
) -> Result<(), Errors> {
    let mut errors = Errors::new();
    if sessions.len() != input.sessions as usize {
        errors.add(
            "sessions",
            format!("{} sessions were budgeted", input.sessions),
        );
    }
    for (i, s) in sessions.iter().enumerate() {
        if s.on < today {
            errors.add(format!("sessions[{i}].on"), "must not be in the past");
        }
        if !(15..=480).contains(&s.minutes) {
            errors.add(format!("sessions[{i}].minutes"), "15 to 480");
        }
        if i > 0 && sessions.get(i - 1).is_some_and(|p| p.on > s.on) {
            errors.add(format!("sessions[{i}].on"), "sessions in date order");
        }
    }
    let planned: u32 = sessions.iter().map(|s| s.minutes).sum();
    let budgeted = input.sessions * input.minutes_per_session;
    if planned > budgeted {
        errors.add(
            "sessions",
            format!("{planned} minutes planned; the budget covers {budgeted}"),
        );
    }
    errors.finish(())
}

/// The materials delivered when closing (002 §10.3 step 6): videos, PDFs, URLs.
pub fn check_materials(materials: &[String]) -> Result<(), Errors> {
    let mut errors = Errors::new();
    if materials.is_empty() || materials.len() > 50 {
        errors.add(
            "materials",
            "1 to 50 items: the recordings, documents and links delivered",
        );
    }
    for (i, m) in materials.iter().enumerate() {
        if m.trim().is_empty() || m.chars().count() > 500 {
            errors.add(format!("materials[{i}]"), "1 to 500 characters");
        }
    }
    errors.finish(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(syllabus: Syllabus, sessions: u32, minutes: u32) -> TrainingInput {
        TrainingInput {
            syllabus,
            topics: vec!["Order management".into()],
            sessions,
            minutes_per_session: minutes,
            needs: "New staff in the shop".into(),
        }
    }

    #[test]
    fn the_budget_is_session_hours_plus_the_syllabus_preparation() {
        let rules = default_training_rules();
        let b = budget(&rules, Step::Whole, &input(Syllabus::Topics, 3, 90)).unwrap();
        // 4.5 h rounded up to 5, preparation 1.
        assert_eq!(b.total, TPoints::whole(6));
        assert_eq!(b.lines.len(), 2);
        assert!(b.lines[0].why.contains("3 sessions of 90 minutes"));
        let g = budget(&rules, Step::Whole, &input(Syllabus::General, 2, 60)).unwrap();
        assert_eq!((g.total, g.lines.len()), (TPoints::whole(2), 1));
    }

    #[test]
    fn bad_requests_name_each_field() {
        let rules = default_training_rules();
        let mut bad = input(Syllabus::Personalised, 0, 50);
        bad.topics.clear();
        bad.needs = " ".into();
        assert_eq!(
            budget(&rules, Step::Whole, &bad).unwrap_err().fields(),
            ["topics", "sessions", "minutes_per_session", "needs"]
        );
    }

    #[test]
    fn approval_comes_before_planning_and_planning_before_closing() {
        assert!(TrainingMove::Plan.check(TrainingState::Budgeted).is_err());
        assert!(TrainingMove::Plan.check(TrainingState::Approved).is_ok());
        assert!(TrainingMove::Close.check(TrainingState::Approved).is_err());
        assert!(TrainingMove::Close.check(TrainingState::Planned).is_ok());
        let t = TPoints::whole(6);
        assert_eq!(TrainingMove::Approve.settlement(t).unwrap().reserved, 600);
        assert_eq!(TrainingMove::Close.settlement(t).unwrap().reserved, -600);
        assert_eq!(TrainingMove::Cancel.settlement(t).unwrap().available, 600);
    }

    #[test]
    fn sessions_fit_the_budget_and_materials_are_named() {
        let i = input(Syllabus::Topics, 2, 60);
        let today: NaiveDate = "2026-12-01".parse().unwrap();
        let s = |on: &str, minutes| Session {
            on: on.parse().unwrap(),
            minutes,
        };
        assert!(check_sessions(&i, &[s("2026-12-02", 60), s("2026-12-09", 60)], today).is_ok());
        assert_eq!(
            check_sessions(&i, &[s("2026-12-09", 90), s("2026-12-02", 60)], today)
                .unwrap_err()
                .fields(),
            ["sessions[1].on", "sessions"]
        );
        assert_eq!(check_materials(&[]).unwrap_err().fields(), ["materials"]);
        assert!(check_materials(&["https://example.test/recording".into()]).is_ok());
    }
}
