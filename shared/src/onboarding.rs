//! VIP onboarding (docs/domain.md §1; seed 000 SOP-001): an eligibility pass opens a
//! case; customer success reviews it (manual review and data validation); the
//! programme manager approves or rejects it; the customer is notified. The
//! whole path has a target (24 h by default), and overdue cases are listed.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Opened by an eligibility pass; waiting for customer success.
    PendingReview,
    /// Reviewed and data validated; waiting for the programme manager.
    Reviewed,
    Approved,
    Rejected,
}

/// Who acts on a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    CustomerSuccess,
    ProgramManager,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseAction {
    Review,
    Approve,
    Reject { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseError {
    /// The action does not apply in this state (e.g. approving a case not reviewed).
    InvalidTransition {
        state: CaseState,
        action: &'static str,
    },
    /// This role may not take this action.
    NotAllowed {
        action: &'static str,
    },
    ReasonRequired,
}

impl std::fmt::Display for CaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CaseError::InvalidTransition { state, action } => {
                let state = serde_json::to_string(state).unwrap_or_default();
                write!(f, "a case in state {state} cannot be {action}")
            }
            CaseError::NotAllowed { action } => {
                write!(f, "this role may not {action} onboarding cases")
            }
            CaseError::ReasonRequired => f.write_str("a rejection needs a reason"),
        }
    }
}

impl CaseAction {
    fn name(&self) -> &'static str {
        match self {
            CaseAction::Review => "reviewed",
            CaseAction::Approve => "approved",
            CaseAction::Reject { .. } => "rejected",
        }
    }
}

/// The onboarding state machine: customer success reviews; the programme
/// manager approves; either may reject (with a reason) before approval.
pub fn apply(state: CaseState, actor: Actor, action: &CaseAction) -> Result<CaseState, CaseError> {
    use CaseState as S;
    let allowed = match action {
        CaseAction::Review => actor == Actor::CustomerSuccess,
        CaseAction::Approve => actor == Actor::ProgramManager,
        CaseAction::Reject { .. } => true,
    };
    if !allowed {
        return Err(CaseError::NotAllowed {
            action: match action {
                CaseAction::Review => "review",
                CaseAction::Approve => "approve",
                CaseAction::Reject { .. } => "reject",
            },
        });
    }
    if let CaseAction::Reject { reason } = action {
        if reason.trim().is_empty() {
            return Err(CaseError::ReasonRequired);
        }
    }
    match (state, action) {
        (S::PendingReview, CaseAction::Review) => Ok(S::Reviewed),
        (S::Reviewed, CaseAction::Approve) => Ok(S::Approved),
        (S::PendingReview | S::Reviewed, CaseAction::Reject { .. }) => Ok(S::Rejected),
        _ => Err(CaseError::InvalidTransition {
            state,
            action: action.name(),
        }),
    }
}

/// When a case opened at `opened_at` is due, for a target in hours.
pub fn due_at(opened_at: DateTime<Utc>, target_hours: u32) -> DateTime<Utc> {
    opened_at + Duration::hours(i64::from(target_hours))
}

/// Whether an open case has missed its target at `now`.
pub fn is_overdue(
    state: CaseState,
    opened_at: DateTime<Utc>,
    target_hours: u32,
    now: DateTime<Utc>,
) -> bool {
    matches!(state, CaseState::PendingReview | CaseState::Reviewed)
        && now > due_at(opened_at, target_hours)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_happy_path_needs_both_roles_in_order() {
        let s = apply(
            CaseState::PendingReview,
            Actor::CustomerSuccess,
            &CaseAction::Review,
        )
        .unwrap();
        assert_eq!(s, CaseState::Reviewed);
        assert_eq!(
            apply(s, Actor::ProgramManager, &CaseAction::Approve),
            Ok(CaseState::Approved)
        );
    }

    #[test]
    fn approving_a_case_not_reviewed_is_refused() {
        let e = apply(
            CaseState::PendingReview,
            Actor::ProgramManager,
            &CaseAction::Approve,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "a case in state \"pending_review\" cannot be approved"
        );
    }

    #[test]
    fn roles_and_reasons_are_enforced() {
        assert_eq!(
            apply(
                CaseState::PendingReview,
                Actor::ProgramManager,
                &CaseAction::Review
            ),
            Err(CaseError::NotAllowed { action: "review" })
        );
        assert_eq!(
            apply(
                CaseState::Reviewed,
                Actor::CustomerSuccess,
                &CaseAction::Approve
            ),
            Err(CaseError::NotAllowed { action: "approve" })
        );
        let reject = |r: &str| CaseAction::Reject { reason: r.into() };
        assert_eq!(
            apply(CaseState::Reviewed, Actor::ProgramManager, &reject(" ")),
            Err(CaseError::ReasonRequired)
        );
        assert_eq!(
            apply(
                CaseState::Reviewed,
                Actor::CustomerSuccess,
                &reject("duplicate")
            ),
            Ok(CaseState::Rejected)
        );
        for done in [CaseState::Approved, CaseState::Rejected] {
            assert!(apply(done, Actor::ProgramManager, &reject("late")).is_err());
            assert!(apply(done, Actor::ProgramManager, &CaseAction::Approve).is_err());
        }
    }

    #[test]
    fn overdue_means_open_past_the_target() {
        let opened = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
        assert_eq!(
            due_at(opened, 24),
            Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
        );
        let later = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 1).unwrap();
        assert!(is_overdue(CaseState::Reviewed, opened, 24, later));
        assert!(!is_overdue(
            CaseState::Reviewed,
            opened,
            24,
            due_at(opened, 24)
        ));
        assert!(!is_overdue(CaseState::Approved, opened, 24, later));
    }
}
