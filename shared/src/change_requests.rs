//! Change requests, "evolutivos" (docs/domain.md §10 "Change requests"; seed
//! 002 §10.2): the rough size that sets a request's category, the formal
//! estimate and the additions the seed prescribes, the customer's decision,
//! and where the request's T-Points go at each move.
//!
//! Every figure is programme data ([`ChangeProgram`]) with the seed's
//! defaults; the estimate explains each of its lines.

use serde::{Deserialize, Serialize};

use crate::change_delivery::{default_delivery_rules, DeliveryRules};
use crate::tickets::Complexity;
use crate::tpoints::{Entry, Movement, Step, TPoints};
use crate::training::{default_training_rules, TrainingRules};
use crate::validation::Errors;

/// A change request's category (002 §10.2.1 step 3g): the ticket's complexity.
pub type Category = Complexity;

pub const CATEGORIES: [Category; 4] = [
    Category::Simple,
    Category::Moderate,
    Category::Advanced,
    Category::Complex,
];

pub fn category_name(c: Category) -> &'static str {
    match c {
        Category::Simple => "simple",
        Category::Moderate => "moderate",
        Category::Advanced => "advanced",
        Category::Complex => "complex",
    }
}

/// The T-Points added when a request includes design (002 §10.2.1 l).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesignAddition {
    /// `None`: valued case by case (the estimator must give a figure).
    pub points: Option<TPoints>,
    /// Whether the estimator may add more than `points` ("3 or more").
    pub or_more: bool,
}

/// Follow-up meetings costed into an estimate (002 §10.2.1 o): `points`, or
/// `points` per started block of `per_development` points of development.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meetings {
    pub points: TPoints,
    pub per_development: Option<TPoints>,
}

/// What a category's estimates add and require.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryRules {
    /// The seed's examples, shown to the estimator choosing the category.
    pub guidance: String,
    pub design: DesignAddition,
    pub contingency_percent: u32,
    /// `None`: no follow-up meetings for this category.
    pub meetings: Option<Meetings>,
    /// Every task names the module it belongs to (002 §10.2.1 i).
    pub modules_required: bool,
    /// A second team member reviews the estimate before it is sent (002 §10.2.1 k).
    pub second_review: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryTable {
    pub simple: CategoryRules,
    pub moderate: CategoryRules,
    pub advanced: CategoryRules,
    pub complex: CategoryRules,
}

impl CategoryTable {
    pub fn of(&self, c: Category) -> &CategoryRules {
        match c {
            Category::Simple => &self.simple,
            Category::Moderate => &self.moderate,
            Category::Advanced => &self.advanced,
            Category::Complex => &self.complex,
        }
    }
}

/// The paid-estimates list (002 §10.2.1 u): customers who turned down more
/// than `after_unjustified_rejections` estimates without a reason pay `fee`
/// for each later estimate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaidEstimates {
    pub after_unjustified_rejections: u32,
    pub fee: TPoints,
}

/// The change-request programme (document `change_requests`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeProgram {
    /// Customers are quoted whole T-Points; every addition rounds up to one.
    pub whole_points: bool,
    pub categories: CategoryTable,
    /// The least a task on a plug-in's control panel is estimated at (002 §10.2.1 e).
    pub plugin_panel_minimum: TPoints,
    pub paid_estimates: PaidEstimates,
    pub delivery: DeliveryRules,
    /// Training (FOR) budgets.
    pub training: TrainingRules,
}

fn rules(
    guidance: &str,
    design: Option<u32>,
    or_more: bool,
    contingency_percent: u32,
    meetings: Option<(u32, Option<u32>)>,
    modules_required: bool,
    second_review: bool,
) -> CategoryRules {
    CategoryRules {
        guidance: guidance.into(),
        design: DesignAddition {
            points: design.map(TPoints::whole),
            or_more,
        },
        contingency_percent,
        meetings: meetings.map(|(points, per)| Meetings {
            points: TPoints::whole(points),
            per_development: per.map(TPoints::whole),
        }),
        modules_required,
        second_review,
    }
}

/// The seed's figures (002 §10.2.1 e, g, i, k, l, n, o, u).
pub fn default_change_program() -> ChangeProgram {
    ChangeProgram {
        whole_points: true,
        categories: CategoryTable {
            simple: rules(
                "Minor graphic design adjustments; content updates or basic configuration changes; a simple new plug-in or add-on.",
                Some(2), false, 0, None, false, false,
            ),
            moderate: rules(
                "Major graphic design adjustments; functional improvements; a complex plug-in or add-on; optimising the shop's loading speed.",
                Some(3), true, 10, Some((1, None)), true, false,
            ),
            advanced: rules(
                "A complete new feature; redesigning parts of the shop; integrating an ERP or CRM; deep loading-speed optimisation.",
                Some(4), true, 15, Some((3, None)), true, true,
            ),
            complex: rules(
                "A complete redesign of the online shop; large third-party integrations needing continuous coordination and thorough testing.",
                None, true, 20, Some((2, Some(20))), false, false,
            ),
        },
        plugin_panel_minimum: TPoints::whole(1),
        paid_estimates: PaidEstimates {
            after_unjustified_rejections: 3,
            fee: TPoints::whole(1),
        },
        delivery: default_delivery_rules(),
        training: default_training_rules(),
    }
}

impl ChangeProgram {
    pub fn step(&self) -> Step {
        Step::of(self.whole_points)
    }

    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        let step = self.step();
        for c in CATEGORIES {
            let name = category_name(c);
            let r = self.categories.of(c);
            if r.guidance.trim().is_empty() || r.guidance.chars().count() > 500 {
                errors.add(format!("categories.{name}.guidance"), "1 to 500 characters");
            }
            if r.contingency_percent > 100 {
                errors.add(
                    format!("categories.{name}.contingency_percent"),
                    "at most 100",
                );
            }
            if let Some(p) = r.design.points {
                step.check(&mut errors, &format!("categories.{name}.design.points"), p);
            }
            if let Some(m) = &r.meetings {
                step.check(
                    &mut errors,
                    &format!("categories.{name}.meetings.points"),
                    m.points,
                );
                if m.per_development == Some(TPoints::ZERO) {
                    errors.add(
                        format!("categories.{name}.meetings.per_development"),
                        "must be more than 0",
                    );
                }
            }
        }
        step.check(
            &mut errors,
            "plugin_panel_minimum",
            self.plugin_panel_minimum,
        );
        step.check(&mut errors, "paid_estimates.fee", self.paid_estimates.fee);
        self.delivery.validate(&mut errors);
        self.training.validate(step, &mut errors);
        errors.finish(())
    }

    /// Whether a customer with `unjustified` rejections pays for estimates.
    pub fn pays_for_estimates(&self, unjustified: u32) -> bool {
        unjustified > self.paid_estimates.after_unjustified_rejections
    }
}

/// One task of a formal estimate (002 §10.2.1 j): programming and testing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    pub title: String,
    pub module: Option<String>,
    pub programming: TPoints,
    #[serde(default)]
    pub testing: TPoints,
    /// Work done in a plug-in's own control panel (at least the programme's minimum).
    #[serde(default)]
    pub plugin_panel: bool,
}

/// What the estimator writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EstimateInput {
    pub tasks: Vec<TaskInput>,
    /// The request includes design work (002 §10.2.1 l).
    #[serde(default)]
    pub includes_design: bool,
    /// The design points, where the category allows more than its figure or
    /// values it case by case.
    pub design: Option<TPoints>,
    /// Time spent helping the customer define the scope (002 §10.2.1 m).
    #[serde(default)]
    pub scope_help: TPoints,
    /// Follow-up meetings are costed in (002 §10.2.1 o: "if appropriate").
    #[serde(default = "yes")]
    pub follow_up_meetings: bool,
    pub summary: Option<String>,
}

fn yes() -> bool {
    true
}

/// One line of an estimate and why it is there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// `task`, `design`, `scope_help`, `contingency` or `meetings`.
    pub kind: String,
    pub label: String,
    pub points: TPoints,
    pub why: String,
}

/// A formal estimate: its lines, the development they start from, the total.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimate {
    pub category: Category,
    pub lines: Vec<Line>,
    pub development: TPoints,
    pub total: TPoints,
    pub second_review: bool,
}

fn line(kind: &str, label: impl Into<String>, points: TPoints, why: impl Into<String>) -> Line {
    Line {
        kind: kind.into(),
        label: label.into(),
        points,
        why: why.into(),
    }
}

fn check_tasks(input: &EstimateInput, rules: &CategoryRules, step: Step, errors: &mut Errors) {
    if input.tasks.is_empty() {
        errors.add("tasks", "an estimate needs at least one task");
    }
    if input.tasks.len() > 200 {
        errors.add("tasks", "at most 200 tasks");
    }
    for (i, t) in input.tasks.iter().enumerate() {
        if t.title.trim().is_empty() || t.title.chars().count() > 200 {
            errors.add(format!("tasks[{i}].title"), "1 to 200 characters");
        }
        match &t.module {
            None if rules.modules_required => errors.add(
                format!("tasks[{i}].module"),
                "this category's estimates are split into modules: name the task's module",
            ),
            Some(m) if m.trim().is_empty() || m.chars().count() > 100 => {
                errors.add(format!("tasks[{i}].module"), "1 to 100 characters")
            }
            _ => {}
        }
        step.check(errors, &format!("tasks[{i}].programming"), t.programming);
        step.check(errors, &format!("tasks[{i}].testing"), t.testing);
        if t.programming.saturating_add(t.testing) == TPoints::ZERO && !t.plugin_panel {
            errors.add(
                format!("tasks[{i}].programming"),
                "programming and testing together must be more than 0",
            );
        }
    }
}

fn design_line(
    input: &EstimateInput,
    category: Category,
    rules: &CategoryRules,
    step: Step,
    errors: &mut Errors,
) -> Option<Line> {
    let name = category_name(category);
    if !input.includes_design {
        if input.design.is_some() {
            errors.add("design", "only with includes_design: true");
        }
        return None;
    }
    if let Some(given) = input.design {
        step.check(errors, "design", given);
    }
    let d = &rules.design;
    let points = match (d.points, input.design) {
        (None, None) => {
            errors.add(
                "design",
                format!("{name} requests value design case by case: give the design points"),
            );
            return None;
        }
        (None, Some(given)) => given,
        (Some(base), None) => base,
        (Some(base), Some(given)) if d.or_more && given >= base => given,
        (Some(base), Some(_)) if d.or_more => {
            errors.add(
                "design",
                format!("{name} requests add at least {base} for design"),
            );
            return None;
        }
        (Some(base), Some(given)) if given == base => given,
        (Some(base), Some(_)) => {
            errors.add(
                "design",
                format!("{name} requests add exactly {base} for design"),
            );
            return None;
        }
    };
    let why = match d.points {
        None => format!("design included; {name} requests value it case by case"),
        Some(base) if d.or_more => {
            format!("design included; {name} requests add {base} or more")
        }
        Some(base) => format!("design included; {name} requests add {base}"),
    };
    Some(line("design", "Design", points, why))
}

/// Something the estimator tells the customer before estimating (002 §10.2.1 a, u).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: &'static str,
    pub message: String,
}

/// What the customer is told before an estimate is made: that their other
/// estimates `awaiting` a decision must be closed first (this one is still
/// made), and, on the paid-estimates list, what the request's `first`
/// estimate will cost (later versions of it are not charged again).
pub fn before_estimating(
    program: &ChangeProgram,
    awaiting: &[i64],
    unjustified: u32,
    first: bool,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if !awaiting.is_empty() {
        let list: Vec<String> = awaiting.iter().map(|t| format!("#{t}")).collect();
        warnings.push(Warning {
            code: "estimate_awaiting_confirmation",
            message: format!(
                "the customer has an estimate awaiting their confirmation ({}): it must be accepted or cancelled before this one is developed; this estimate is still made",
                list.join(", ")
            ),
        });
    }
    if first && program.pays_for_estimates(unjustified) {
        warnings.push(Warning {
            code: "paid_estimate",
            message: format!(
                "the customer turned down {unjustified} estimates without a reason (more than {}): this estimate costs {} T-Points, charged when it is made",
                program.paid_estimates.after_unjustified_rejections, program.paid_estimates.fee
            ),
        });
    }
    warnings
}

/// The fee for an estimate, for a customer with `unjustified` rejections:
/// charged on the request's `first` estimate only; zero off the list.
pub fn estimate_fee(program: &ChangeProgram, unjustified: u32, first: bool) -> TPoints {
    if first && program.pays_for_estimates(unjustified) {
        program.paid_estimates.fee
    } else {
        TPoints::ZERO
    }
}

/// The formal estimate of a `category` request from `input` under `program`
/// (002 §10.2.1 j–o): each task (programming + testing, a plug-in panel task
/// at least the minimum), design, the help defining the scope, contingency on
/// development and design, and the follow-up meetings; every line says why.
/// A 400's fields: `tasks`, `tasks[i].…`, `design`, `scope_help`.
pub fn estimate(
    program: &ChangeProgram,
    category: Category,
    input: &EstimateInput,
) -> Result<Estimate, Errors> {
    let rules = program.categories.of(category);
    let step = program.step();
    let name = category_name(category);
    let mut errors = Errors::new();
    check_tasks(input, rules, step, &mut errors);
    step.check(&mut errors, "scope_help", input.scope_help);
    if input
        .summary
        .as_ref()
        .is_some_and(|s| s.chars().count() > 2000)
    {
        errors.add("summary", "at most 2000 characters");
    }
    let design = design_line(input, category, rules, step, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut lines = Vec::with_capacity(input.tasks.len() + 4);
    let mut development = TPoints::ZERO;
    for t in &input.tasks {
        let own = t.programming.saturating_add(t.testing);
        let (points, why) = if t.plugin_panel && own < program.plugin_panel_minimum {
            let min = program.plugin_panel_minimum;
            (
                min,
                format!("plug-in panel work is estimated at least {min} (estimated {own})"),
            )
        } else {
            (
                own,
                format!("programming {} + testing {}", t.programming, t.testing),
            )
        };
        let label = match &t.module {
            Some(m) => format!("{m}: {}", t.title.trim()),
            None => t.title.trim().to_string(),
        };
        development = development.saturating_add(points);
        lines.push(line("task", label, points, why));
    }
    let design_points = design.as_ref().map_or(TPoints::ZERO, |l| l.points);
    lines.extend(design);
    if input.scope_help > TPoints::ZERO {
        lines.push(line(
            "scope_help",
            "Help defining the scope",
            input.scope_help,
            "time spent helping the customer define the scope",
        ));
    }
    let base = development.saturating_add(design_points);
    let contingency = base.percent_up(rules.contingency_percent, step);
    if contingency > TPoints::ZERO {
        lines.push(line(
            "contingency",
            "Contingency",
            contingency,
            format!(
                "{} % of development and design ({base}) for {name} requests, rounded up",
                rules.contingency_percent
            ),
        ));
    }
    if let Some(m) = rules.meetings.as_ref().filter(|_| input.follow_up_meetings) {
        let (points, why) = match m.per_development {
            Some(per) => {
                let n = development.blocks_of(per);
                (
                    m.points.times(n),
                    format!(
                        "{} per {per} of development started ({n} × {} for {development})",
                        m.points, m.points
                    ),
                )
            }
            None => (m.points, format!("{} for {name} requests", m.points)),
        };
        lines.push(line("meetings", "Follow-up meetings", points, why));
    }
    let total = lines
        .iter()
        .fold(TPoints::ZERO, |sum, l| sum.saturating_add(l.points));
    Ok(Estimate {
        category,
        lines,
        development,
        total,
        second_review: rules.second_review,
    })
}

/// Where a change request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeState {
    /// Sized; no estimate sent yet.
    Sizing,
    /// An estimate waits for a second reviewer.
    InReview,
    /// An estimate waits for the customer's decision.
    AwaitingCustomer,
    /// The customer asked for a new version.
    Renegotiating,
    /// Accepted: the points are reserved and the work is to be planned.
    Accepted,
    /// In development (planned and started); hours are booked against it.
    InDevelopment,
    /// Delivered; waiting for the customer's validation.
    Delivered,
    /// The customer turned the estimate down.
    Rejected,
    /// The customer validated the delivered work: the points are spent.
    Validated,
    /// Withdrawn after acceptance: the points are released.
    Cancelled,
}

impl ChangeState {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeState::Sizing => "sizing",
            ChangeState::InReview => "in_review",
            ChangeState::AwaitingCustomer => "awaiting_customer",
            ChangeState::Renegotiating => "renegotiating",
            ChangeState::Accepted => "accepted",
            ChangeState::InDevelopment => "in_development",
            ChangeState::Delivered => "delivered",
            ChangeState::Rejected => "rejected",
            ChangeState::Validated => "validated",
            ChangeState::Cancelled => "cancelled",
        }
    }

    /// Whether the request may be re-sized (its category moved) now: until
    /// an estimate is accepted.
    pub fn takes_sizing(self) -> bool {
        matches!(
            self,
            ChangeState::Sizing
                | ChangeState::InReview
                | ChangeState::AwaitingCustomer
                | ChangeState::Renegotiating
        )
    }

    /// Whether a new estimate version may be made now: before acceptance,
    /// and for a change the customer asks during development, which
    /// re-opens the estimate for approval (002 §10.2.2 "Gestión de cambios").
    pub fn takes_estimate(self) -> bool {
        self.takes_sizing() || self == ChangeState::InDevelopment
    }
}

/// The state a new estimate starts in.
pub fn first_state(estimate: &Estimate) -> ChangeState {
    if estimate.second_review {
        ChangeState::InReview
    } else {
        ChangeState::AwaitingCustomer
    }
}

/// The customer's answer to an estimate (002 §10.2.1 q–u).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
pub enum Decision {
    Accept {
        version: u32,
    },
    Reject {
        version: u32,
        reason: Option<String>,
    },
    Renegotiate {
        version: u32,
        reason: Option<String>,
    },
}

impl Decision {
    pub fn version(&self) -> u32 {
        match self {
            Decision::Accept { version }
            | Decision::Reject { version, .. }
            | Decision::Renegotiate { version, .. } => *version,
        }
    }

    /// The reason, trimmed; `None` when none was given (an unjustified rejection).
    pub fn reason(&self) -> Result<Option<String>, Errors> {
        match self {
            Decision::Accept { .. } => Ok(None),
            Decision::Reject { reason, .. } | Decision::Renegotiate { reason, .. } => {
                check_reason(reason.as_deref())
            }
        }
    }

    /// Where the decision takes the request; `started`: development had
    /// begun (the estimate is a change asked during development), so an
    /// acceptance or a rejection resumes it.
    pub fn to(&self, started: bool) -> ChangeState {
        match (self, started) {
            (Decision::Accept { .. }, false) => ChangeState::Accepted,
            (Decision::Reject { .. }, false) => ChangeState::Rejected,
            (Decision::Accept { .. } | Decision::Reject { .. }, true) => ChangeState::InDevelopment,
            (Decision::Renegotiate { .. }, _) => ChangeState::Renegotiating,
        }
    }
}

/// A reason given with a move, trimmed: `None` when blank; at most 2,000
/// characters (400 naming `reason`).
pub fn check_reason(raw: Option<&str>) -> Result<Option<String>, Errors> {
    let reason = raw.map(str::trim).filter(|r| !r.is_empty());
    let mut errors = Errors::new();
    if reason.is_some_and(|r| r.chars().count() > 2000) {
        errors.add("reason", "at most 2000 characters");
    }
    errors.finish(reason.map(str::to_string))
}

/// Why a move cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The decision is on a version that is not the latest.
    OldVersion { given: u32, current: u32 },
    /// The request is not in a state that takes this move.
    NotNow {
        state: ChangeState,
        wanted: &'static str,
    },
}

/// A decision on version `given` of a request in `state` whose latest
/// estimate is `current`.
pub fn check_decision(state: ChangeState, current: u32, given: u32) -> Result<(), Refusal> {
    if given != current {
        return Err(Refusal::OldVersion { given, current });
    }
    if state != ChangeState::AwaitingCustomer {
        return Err(Refusal::NotNow {
            state,
            wanted: "a decision (the estimate must be awaiting the customer)",
        });
    }
    Ok(())
}

/// What a move does to the customer's T-Points, given the `total` of the
/// current estimate and what the request already `held`: accepting holds the
/// total (for a re-opened estimate, only the difference, or gives the excess
/// back), validating spends what is held, cancelling releases it.
pub fn settlement(
    from: ChangeState,
    to: ChangeState,
    total: TPoints,
    held: TPoints,
) -> Option<Movement> {
    let accepting = from == ChangeState::AwaitingCustomer
        && matches!(to, ChangeState::Accepted | ChangeState::InDevelopment);
    let movement = match to {
        _ if accepting && total > held => Entry::Reserve.of(total.saturating_sub(held)),
        _ if accepting && held > total => Entry::Release.of(held.saturating_sub(total)),
        ChangeState::Validated => Entry::Spend.of(held),
        ChangeState::Cancelled => Entry::Release.of(held),
        _ => return None,
    };
    (movement.available != 0 || movement.reserved != 0).then_some(movement)
}

/// The points an acceptance needs available: what the total adds to what is held.
pub fn needed(
    from: ChangeState,
    to: ChangeState,
    total: TPoints,
    held: TPoints,
) -> Option<TPoints> {
    settlement(from, to, total, held)
        .filter(|m| m.entry == Entry::Reserve)
        .map(|_| total.saturating_sub(held))
}

/// The team's moves on accepted work (002 §10.2.2–10.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkMove {
    /// Development begins (the request must be planned).
    Start,
    /// The work is delivered for the customer's validation.
    Deliver,
    /// The customer rejects the delivered work with a reason: it goes back
    /// to development and is fixed at no extra cost (002 §10.2.3).
    RejectDelivery,
    /// The customer validates the delivered work.
    Validate,
    /// The work is withdrawn.
    Cancel,
}

impl WorkMove {
    pub fn to(self) -> ChangeState {
        match self {
            WorkMove::Start | WorkMove::RejectDelivery => ChangeState::InDevelopment,
            WorkMove::Deliver => ChangeState::Delivered,
            WorkMove::Validate => ChangeState::Validated,
            WorkMove::Cancel => ChangeState::Cancelled,
        }
    }

    fn wanted(self) -> &'static str {
        match self {
            WorkMove::Start => "starting development (the request must be accepted)",
            WorkMove::Deliver => "delivery (the request must be in development)",
            WorkMove::RejectDelivery => "rejecting the delivery (the request must be delivered)",
            WorkMove::Validate => "validation (the request must be delivered)",
            WorkMove::Cancel => "cancellation (the request must be accepted or in development)",
        }
    }

    /// Whether the move may be made from `state`.
    pub fn check(self, state: ChangeState) -> Result<(), Refusal> {
        let ok = match self {
            WorkMove::Start => state == ChangeState::Accepted,
            WorkMove::Deliver => state == ChangeState::InDevelopment,
            WorkMove::RejectDelivery | WorkMove::Validate => state == ChangeState::Delivered,
            WorkMove::Cancel => {
                matches!(state, ChangeState::Accepted | ChangeState::InDevelopment)
            }
        };
        if ok {
            Ok(())
        } else {
            Err(Refusal::NotNow {
                state,
                wanted: self.wanted(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(title: &str, module: Option<&str>, programming: u32, testing: u32) -> TaskInput {
        TaskInput {
            title: title.into(),
            module: module.map(Into::into),
            programming: TPoints::whole(programming),
            testing: TPoints::whole(testing),
            plugin_panel: false,
        }
    }

    fn input(tasks: Vec<TaskInput>) -> EstimateInput {
        EstimateInput {
            tasks,
            includes_design: false,
            design: None,
            scope_help: TPoints::ZERO,
            follow_up_meetings: true,
            summary: None,
        }
    }

    fn kinds(e: &Estimate) -> Vec<(&str, String)> {
        e.lines
            .iter()
            .map(|l| (l.kind.as_str(), l.points.to_string()))
            .collect()
    }

    #[test]
    fn a_simple_request_adds_exactly_two_for_design_and_no_contingency_or_meetings() {
        let p = default_change_program();
        let mut i = input(vec![task("Banner", None, 2, 1)]);
        i.includes_design = true;
        let e = estimate(&p, Category::Simple, &i).unwrap();
        assert_eq!(kinds(&e), [("task", "3".into()), ("design", "2".into())]);
        assert_eq!(e.total, TPoints::whole(5));
        assert!(!e.second_review);
        i.design = Some(TPoints::whole(3));
        let err = estimate(&p, Category::Simple, &i).unwrap_err();
        assert_eq!(err.fields(), ["design"]);
    }

    #[test]
    fn an_advanced_request_adds_design_contingency_and_meetings_and_asks_a_reviewer() {
        let p = default_change_program();
        let mut i = input(vec![
            task("ERP sync", Some("erp"), 10, 4),
            task("Orders export", Some("erp"), 5, 1),
        ]);
        i.includes_design = true;
        i.design = Some(TPoints::whole(5));
        i.scope_help = TPoints::whole(2);
        let e = estimate(&p, Category::Advanced, &i).unwrap();
        // development 20, design 5: 15 % of 25 = 3.75, rounded up to 4; meetings 3.
        assert_eq!(
            kinds(&e),
            [
                ("task", "14".into()),
                ("task", "6".into()),
                ("design", "5".into()),
                ("scope_help", "2".into()),
                ("contingency", "4".into()),
                ("meetings", "3".into()),
            ]
        );
        assert_eq!(e.development, TPoints::whole(20));
        assert_eq!(e.total, TPoints::whole(34));
        assert!(e.second_review);
        assert_eq!(first_state(&e), ChangeState::InReview);
        assert!(e.lines[4]
            .why
            .contains("15 % of development and design (25)"));
        i.design = Some(TPoints::whole(3));
        assert_eq!(
            estimate(&p, Category::Advanced, &i).unwrap_err().fields(),
            ["design"]
        );
    }

    #[test]
    fn complex_meetings_count_per_twenty_of_development_and_design_is_valued_per_case() {
        let p = default_change_program();
        let mut i = input(vec![task("Redesign", None, 35, 6)]);
        let e = estimate(&p, Category::Complex, &i).unwrap();
        // 41 of development: 20 % = 8.2 → 9; meetings 3 blocks × 2 = 6.
        assert_eq!(
            kinds(&e),
            [
                ("task", "41".into()),
                ("contingency", "9".into()),
                ("meetings", "6".into())
            ]
        );
        i.includes_design = true;
        assert_eq!(
            estimate(&p, Category::Complex, &i).unwrap_err().fields(),
            ["design"]
        );
        i.follow_up_meetings = false;
        i.design = Some(TPoints::whole(10));
        let e = estimate(&p, Category::Complex, &i).unwrap();
        assert!(e.lines.iter().all(|l| l.kind != "meetings"));
    }

    #[test]
    fn a_plugin_panel_task_costs_at_least_the_minimum() {
        let p = default_change_program();
        let mut t = task("Configure the payment plug-in", None, 0, 0);
        t.plugin_panel = true;
        let e = estimate(&p, Category::Simple, &input(vec![t])).unwrap();
        assert_eq!(e.total, TPoints::whole(1));
        assert!(e.lines[0].why.contains("at least 1"));
    }

    #[test]
    fn bad_estimates_name_every_field() {
        let p = default_change_program();
        let e = estimate(&p, Category::Simple, &input(vec![])).unwrap_err();
        assert_eq!(e.fields(), ["tasks"]);
        let mut frac = task("x", None, 1, 0);
        frac.testing = TPoints::from_hundredths(50).unwrap();
        let e = estimate(&p, Category::Moderate, &input(vec![frac.clone()])).unwrap_err();
        assert_eq!(e.fields(), ["tasks[0].module", "tasks[0].testing"]);
        // Where the programme allows fractions, 15 % rounds up to the hundredth.
        let fine = ChangeProgram {
            whole_points: false,
            ..default_change_program()
        };
        frac.module = Some("m".into());
        let e = estimate(&fine, Category::Advanced, &input(vec![frac])).unwrap();
        assert_eq!(e.lines[1].points.to_string(), "0.23");
    }

    #[test]
    fn decisions_are_on_the_latest_version_while_awaiting_the_customer() {
        assert_eq!(
            check_decision(ChangeState::AwaitingCustomer, 2, 1),
            Err(Refusal::OldVersion {
                given: 1,
                current: 2
            })
        );
        assert!(check_decision(ChangeState::Accepted, 2, 2).is_err());
        assert!(check_decision(ChangeState::AwaitingCustomer, 2, 2).is_ok());
        let reject: Decision =
            serde_json::from_str(r#"{"decision":"reject","version":1,"reason":"  "}"#).unwrap();
        assert_eq!(reject.reason(), Ok(None));
        assert_eq!(reject.to(false), ChangeState::Rejected);
    }

    #[test]
    fn the_paid_list_starts_after_more_than_three_unjustified_rejections() {
        let p = default_change_program();
        assert!(!p.pays_for_estimates(3));
        assert!(p.pays_for_estimates(4));
        assert_eq!(estimate_fee(&p, 3, true), TPoints::ZERO);
        assert_eq!(estimate_fee(&p, 4, true), TPoints::whole(1));
        assert_eq!(estimate_fee(&p, 4, false), TPoints::ZERO);
        let w = before_estimating(&p, &[7], 4, true);
        let codes: Vec<_> = w.iter().map(|w| w.code).collect();
        assert_eq!(codes, ["estimate_awaiting_confirmation", "paid_estimate"]);
        assert!(w[0].message.contains("#7"));
        assert!(w[1].message.contains("costs 1 T-Points"));
        assert!(before_estimating(&p, &[], 3, true).is_empty());
        assert!(before_estimating(&p, &[], 4, false).is_empty());
    }

    #[test]
    fn accepting_reserves_validating_spends_cancelling_releases() {
        use ChangeState::*;
        let (t, none) = (TPoints::whole(9), TPoints::ZERO);
        assert_eq!(
            settlement(AwaitingCustomer, Accepted, t, none)
                .unwrap()
                .reserved,
            900
        );
        assert_eq!(needed(AwaitingCustomer, Accepted, t, none), Some(t));
        assert_eq!(
            settlement(Delivered, Validated, t, t).unwrap().reserved,
            -900
        );
        assert_eq!(
            settlement(InDevelopment, Cancelled, none, t)
                .unwrap()
                .available,
            900
        );
        assert!(settlement(AwaitingCustomer, Rejected, t, none).is_none());
        // A change during development: only the difference is held, or the excess released.
        let twelve = TPoints::whole(12);
        let m = settlement(AwaitingCustomer, InDevelopment, twelve, t).unwrap();
        assert_eq!((m.entry, m.reserved), (Entry::Reserve, 300));
        assert_eq!(
            needed(AwaitingCustomer, InDevelopment, twelve, t),
            Some(TPoints::whole(3))
        );
        let m = settlement(AwaitingCustomer, InDevelopment, t, twelve).unwrap();
        assert_eq!((m.entry, m.available), (Entry::Release, 300));
        assert!(settlement(AwaitingCustomer, InDevelopment, t, t).is_none());
        assert!(WorkMove::Validate.check(Delivered).is_ok());
        assert!(WorkMove::Validate.check(Accepted).is_err());
        assert!(WorkMove::Cancel.check(Rejected).is_err());
        assert_eq!(WorkMove::RejectDelivery.to(), InDevelopment);
    }

    #[test]
    fn a_decision_on_a_change_during_development_resumes_it() {
        let accept = Decision::Accept { version: 2 };
        assert_eq!(accept.to(false), ChangeState::Accepted);
        assert_eq!(accept.to(true), ChangeState::InDevelopment);
        let reject = Decision::Reject {
            version: 2,
            reason: None,
        };
        assert_eq!(reject.to(true), ChangeState::InDevelopment);
        assert!(ChangeState::InDevelopment.takes_estimate());
        assert!(!ChangeState::InDevelopment.takes_sizing());
    }

    #[test]
    fn the_defaults_are_valid_and_bad_programmes_are_named() {
        assert!(default_change_program().validate().is_ok());
        let mut p = default_change_program();
        p.categories.moderate.contingency_percent = 120;
        p.paid_estimates.fee = TPoints::from_hundredths(50).unwrap();
        assert_eq!(
            p.validate().unwrap_err().fields(),
            [
                "categories.moderate.contingency_percent",
                "paid_estimates.fee"
            ]
        );
    }
}
