//! A membership's state (seed 004: a membership ends on the member's request or for misconduct):
//! active, suspended (by staff, with a reason), exited (the member asked to leave) or revoked
//! (misconduct; the programme manager, with a reason). Cards follow the membership. Only an
//! active member whose service is delivered earns and redeems points: a suspended service
//! (dunning, pickup) or a disconnection suspends the membership's benefits too.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::card::CardEvent;
use crate::service::ServiceStatus;
use crate::validation::Errors;

/// Longest reason or note recorded with a change.
pub const REASON_MAX_CHARS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipState {
    Active,
    Suspended,
    Exited,
    Revoked,
}

impl MembershipState {
    pub fn as_str(self) -> &'static str {
        match self {
            MembershipState::Active => "active",
            MembershipState::Suspended => "suspended",
            MembershipState::Exited => "exited",
            MembershipState::Revoked => "revoked",
        }
    }

    /// Whether the membership has ended (nothing moves it again).
    pub fn ended(self) -> bool {
        matches!(self, MembershipState::Exited | MembershipState::Revoked)
    }
}

/// What staff, the member or the programme manager do to a membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipEvent {
    Suspend,
    Reactivate,
    Exit,
    Revoke,
}

impl MembershipEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            MembershipEvent::Suspend => "suspend",
            MembershipEvent::Reactivate => "reactivate",
            MembershipEvent::Exit => "exit",
            MembershipEvent::Revoke => "revoke",
        }
    }

    /// What the member's cards undergo with it.
    pub fn card_event(self) -> CardEvent {
        match self {
            MembershipEvent::Suspend => CardEvent::Suspend,
            MembershipEvent::Reactivate => CardEvent::Reactivate,
            MembershipEvent::Exit | MembershipEvent::Revoke => CardEvent::Revoke,
        }
    }

    /// Whether a reason must be given: suspending and revoking need one (an exit is the
    /// member's own request; a reactivation undoes a suspension).
    pub fn needs_reason(self) -> bool {
        matches!(self, MembershipEvent::Suspend | MembershipEvent::Revoke)
    }
}

/// A refused membership move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipTransitionError {
    pub from: MembershipState,
    pub event: MembershipEvent,
}

impl std::fmt::Display for MembershipTransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = match (self.from, self.event) {
            (from, _) if from.ended() => "the membership has ended; nothing moves it again",
            (MembershipState::Active, MembershipEvent::Reactivate) => "it is already active",
            (MembershipState::Suspended, MembershipEvent::Suspend) => "it is already suspended",
            _ => "that move does not apply",
        };
        write!(
            f,
            "the membership is {} and cannot {}: {why}",
            self.from.as_str(),
            self.event.as_str()
        )
    }
}

/// The membership state machine.
pub fn transition(
    from: MembershipState,
    event: MembershipEvent,
) -> Result<MembershipState, MembershipTransitionError> {
    use MembershipEvent as E;
    use MembershipState as S;
    match (from, event) {
        (S::Active, E::Suspend) => Ok(S::Suspended),
        (S::Suspended, E::Reactivate) => Ok(S::Active),
        (S::Active | S::Suspended, E::Exit) => Ok(S::Exited),
        (S::Active | S::Suspended, E::Revoke) => Ok(S::Revoked),
        _ => Err(MembershipTransitionError { from, event }),
    }
}

/// Checks the reason given with `event`: required where [`MembershipEvent::needs_reason`], at
/// most [`REASON_MAX_CHARS`]; trimmed, or `None` when none was given and none is needed.
pub fn check_reason(
    event: MembershipEvent,
    reason: Option<&str>,
) -> Result<Option<String>, Errors> {
    let mut errors = Errors::new();
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match reason {
        None if event.needs_reason() => errors.add(
            "reason",
            format!("required to {} a membership", event.as_str()),
        ),
        Some(r) if r.chars().count() > REASON_MAX_CHARS => {
            errors.add("reason", format!("at most {REASON_MAX_CHARS} characters"))
        }
        _ => {}
    }
    errors.finish(reason.map(str::to_string))
}

/// The membership's last recorded state and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateRecord {
    pub state: MembershipState,
    pub since: DateTime<Utc>,
    pub reason: Option<String>,
}

/// Service statuses under which the service is not delivered, so the membership's benefits stop.
pub fn service_stops_benefits(status: ServiceStatus) -> bool {
    matches!(
        status,
        ServiceStatus::Suspended | ServiceStatus::Pickup | ServiceStatus::Disconnected
    )
}

/// Why a member may not earn or redeem now, or `None` if they may. `record` is the last state
/// change (none: active since joining); `service` the customer's service status.
pub fn not_active_because(record: Option<&StateRecord>, service: ServiceStatus) -> Option<String> {
    if let Some(r) = record.filter(|r| r.state != MembershipState::Active) {
        let mut why = format!(
            "the membership is {} since {}",
            r.state.as_str(),
            r.since.format("%Y-%m-%dT%H:%M:%SZ")
        );
        if let Some(reason) = &r.reason {
            why = format!("{why}: {reason}");
        }
        return Some(why);
    }
    service_stops_benefits(service).then(|| {
        format!(
            "the customer's service is {}: the membership's benefits are suspended with it",
            service.as_str()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use MembershipEvent as E;
    use MembershipState as S;

    #[test]
    fn the_state_machine_ends_at_exit_or_revocation() {
        assert_eq!(transition(S::Active, E::Suspend), Ok(S::Suspended));
        assert_eq!(transition(S::Suspended, E::Reactivate), Ok(S::Active));
        assert_eq!(transition(S::Suspended, E::Exit), Ok(S::Exited));
        assert_eq!(transition(S::Active, E::Revoke), Ok(S::Revoked));
        for ended in [S::Exited, S::Revoked] {
            for event in [E::Suspend, E::Reactivate, E::Exit, E::Revoke] {
                let e = transition(ended, event).unwrap_err();
                assert!(e.to_string().contains("has ended"), "{e}");
            }
        }
        let e = transition(S::Active, E::Reactivate).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the membership is active and cannot reactivate: it is already active"
        );
        assert_eq!(E::Exit.card_event(), CardEvent::Revoke);
    }

    #[test]
    fn suspending_and_revoking_need_a_reason() {
        assert_eq!(
            check_reason(E::Revoke, Some("  ")).unwrap_err().fields(),
            vec!["reason"]
        );
        assert_eq!(check_reason(E::Exit, None), Ok(None));
        assert_eq!(
            check_reason(E::Suspend, Some(" abusive calls ")),
            Ok(Some("abusive calls".into()))
        );
        let long = "x".repeat(REASON_MAX_CHARS + 1);
        assert!(check_reason(E::Exit, Some(&long)).is_err());
    }

    #[test]
    fn benefits_stop_with_the_membership_or_the_service() {
        let since = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        assert_eq!(not_active_because(None, ServiceStatus::Active), None);
        assert_eq!(
            not_active_because(None, ServiceStatus::SuspensionNotice),
            None
        );
        let why = not_active_because(None, ServiceStatus::Suspended).unwrap();
        assert!(why.contains("service is suspended"), "{why}");
        let record = StateRecord {
            state: S::Suspended,
            since,
            reason: Some("card misuse under review".into()),
        };
        assert_eq!(
            not_active_because(Some(&record), ServiceStatus::Active).unwrap(),
            "the membership is suspended since 2026-11-02T09:00:00Z: card misuse under review"
        );
        let active = StateRecord {
            state: S::Active,
            ..record
        };
        assert_eq!(
            not_active_because(Some(&active), ServiceStatus::Active),
            None
        );
    }
}
