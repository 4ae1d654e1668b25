//! A VIP customer's service status (docs/domain.md §6; seed 001): suspension for
//! non-payment, reconnection, and the disconnection request flow, as a
//! state machine whose every edge has a guard. Illegal moves are refused
//! with the reason.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    Active,
    /// The 24-hour suspension notice went out (dunning day 26).
    SuspensionNotice,
    Suspended,
    /// Equipment recovery or capacity reassignment, legal handoff (next month, day 6).
    Pickup,
    /// Reconnected on a payment still being confirmed.
    ActiveTemporaryPayment,
    /// Reconnected while a billing dispute is under review.
    Investigate,
    /// Reconnected on an agreed payment plan.
    PaymentPlan,
    /// The customer asked to leave (or powered equipment off): sales try to retain.
    RetentionSales,
    /// Not retained by sales: recovery try.
    RetentionRecovery,
    /// Uninstalled (direct) or capacity reassigned (third party); any balance to legal.
    Disconnected,
}

/// Why a reconnection is allowed (docs/domain.md §6: on payment, or on an agreed plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReconnectionBasis {
    /// A payment was received (confirmation pending): `active_temporary_payment`.
    Payment,
    /// A billing dispute is under review: `investigate`.
    Dispute,
    /// A payment plan was agreed: `payment_plan`.
    PaymentPlan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "event")]
pub enum ServiceEvent {
    /// Dunning: the suspension notice went out.
    Notice,
    /// Dunning: the suspension day came, still unpaid.
    Suspend,
    /// Dunning: next month's day 6, still unpaid.
    Pickup,
    /// The invoice is paid in full.
    Paid,
    Reconnect {
        basis: ReconnectionBasis,
    },
    /// The customer asks to leave.
    RequestDisconnection,
    /// A suspended third-party customer powered the equipment off.
    PoweredOff,
    /// Sales or recovery kept the customer.
    Retained,
    /// The retention window passed without keeping the customer.
    NotRetained,
}

impl ServiceStatus {
    /// Reconnected on a basis (temporary payment, investigation, payment plan).
    pub fn reconnected(self) -> bool {
        matches!(
            self,
            ServiceStatus::ActiveTemporaryPayment
                | ServiceStatus::Investigate
                | ServiceStatus::PaymentPlan
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::Active => "active",
            ServiceStatus::SuspensionNotice => "suspension_notice",
            ServiceStatus::Suspended => "suspended",
            ServiceStatus::Pickup => "pickup",
            ServiceStatus::ActiveTemporaryPayment => "active_temporary_payment",
            ServiceStatus::Investigate => "investigate",
            ServiceStatus::PaymentPlan => "payment_plan",
            ServiceStatus::RetentionSales => "retention_sales",
            ServiceStatus::RetentionRecovery => "retention_recovery",
            ServiceStatus::Disconnected => "disconnected",
        }
    }

    /// Service is delivered (the customer is connected).
    pub fn connected(self) -> bool {
        matches!(
            self,
            ServiceStatus::Active
                | ServiceStatus::SuspensionNotice
                | ServiceStatus::ActiveTemporaryPayment
                | ServiceStatus::Investigate
                | ServiceStatus::PaymentPlan
                | ServiceStatus::RetentionSales
                | ServiceStatus::RetentionRecovery
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceTransitionError {
    pub from: ServiceStatus,
    pub why: &'static str,
}

impl std::fmt::Display for ServiceTransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a customer whose service is {}: {}",
            self.from.as_str(),
            self.why
        )
    }
}

/// The status a reconnection on `basis` moves to.
fn reconnected(basis: ReconnectionBasis) -> ServiceStatus {
    match basis {
        ReconnectionBasis::Payment => ServiceStatus::ActiveTemporaryPayment,
        ReconnectionBasis::Dispute => ServiceStatus::Investigate,
        ReconnectionBasis::PaymentPlan => ServiceStatus::PaymentPlan,
    }
}

/// The next status, or why the event does not apply.
pub fn transition(
    from: ServiceStatus,
    event: ServiceEvent,
) -> Result<ServiceStatus, ServiceTransitionError> {
    use ServiceEvent as E;
    use ServiceStatus as S;
    let refuse = |why| Err(ServiceTransitionError { from, why });
    let in_good_standing = matches!(
        from,
        S::Active | S::ActiveTemporaryPayment | S::Investigate | S::PaymentPlan
    );
    match (from, event) {
        (_, E::Notice) if in_good_standing => Ok(S::SuspensionNotice),
        (_, E::Notice) => {
            refuse("a suspension notice goes only to a connected customer in good standing")
        }
        (S::SuspensionNotice, E::Suspend) => Ok(S::Suspended),
        (_, E::Suspend) => refuse("service is suspended only after the 24-hour notice"),
        (S::Suspended, E::Pickup) => Ok(S::Pickup),
        (_, E::Pickup) => refuse("equipment is picked up only from a suspended customer"),
        (S::SuspensionNotice | S::ActiveTemporaryPayment, E::Paid) => Ok(S::Active),
        (S::Suspended | S::Pickup, E::Paid) => {
            refuse("a suspended customer is reconnected, with the payment as the basis")
        }
        (_, E::Paid) => Ok(from),
        (S::SuspensionNotice | S::Suspended | S::Pickup, E::Reconnect { basis }) => {
            Ok(reconnected(basis))
        }
        // Seed 001: a reconnected customer moves between temporary payment,
        // investigation and payment plan as the basis changes (the service
        // stays connected).
        (S::ActiveTemporaryPayment | S::Investigate | S::PaymentPlan, E::Reconnect { basis })
            if reconnected(basis) == from =>
        {
            refuse("it is reconnected on that basis already")
        }
        (S::ActiveTemporaryPayment | S::Investigate | S::PaymentPlan, E::Reconnect { basis }) => {
            Ok(reconnected(basis))
        }
        (_, E::Reconnect { .. }) => refuse("only a suspended (or noticed) customer is reconnected"),
        (S::Disconnected, E::RequestDisconnection) => refuse("it is disconnected already"),
        (S::RetentionSales | S::RetentionRecovery, E::RequestDisconnection) => {
            refuse("a disconnection request is already in progress")
        }
        (_, E::RequestDisconnection) => Ok(S::RetentionSales),
        (S::Suspended, E::PoweredOff) => Ok(S::RetentionSales),
        (_, E::PoweredOff) => refuse("powering off matters only for a suspended customer"),
        (S::RetentionSales | S::RetentionRecovery, E::Retained) => Ok(S::Active),
        (_, E::Retained) => refuse("no retention is in progress"),
        (S::RetentionSales, E::NotRetained) => Ok(S::RetentionRecovery),
        (S::RetentionRecovery, E::NotRetained) => Ok(S::Disconnected),
        (_, E::NotRetained) => refuse("no retention is in progress"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ServiceEvent as E;
    use ServiceStatus as S;

    #[test]
    fn suspension_reconnection_and_disconnection_follow_domain_md() {
        let walk =
            |from, events: &[ServiceEvent]| events.iter().try_fold(from, |s, e| transition(s, *e));
        assert_eq!(
            walk(S::Active, &[E::Notice, E::Suspend, E::Pickup]),
            Ok(S::Pickup)
        );
        assert_eq!(walk(S::Active, &[E::Notice, E::Paid]), Ok(S::Active));
        let paid = E::Reconnect {
            basis: ReconnectionBasis::Payment,
        };
        assert_eq!(
            walk(S::Active, &[E::Notice, E::Suspend, paid, E::Paid]),
            Ok(S::Active)
        );
        assert_eq!(
            transition(
                S::Suspended,
                E::Reconnect {
                    basis: ReconnectionBasis::PaymentPlan
                }
            ),
            Ok(S::PaymentPlan)
        );
        assert_eq!(
            walk(
                S::Active,
                &[E::RequestDisconnection, E::NotRetained, E::NotRetained]
            ),
            Ok(S::Disconnected)
        );
        assert_eq!(
            walk(S::Suspended, &[E::PoweredOff, E::Retained]),
            Ok(S::Active)
        );
    }

    #[test]
    fn illegal_moves_are_refused_with_the_reason() {
        let e = transition(S::Active, E::Suspend).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a customer whose service is active: service is suspended only after the 24-hour notice"
        );
        assert!(transition(S::Suspended, E::Paid).is_err());
        assert!(transition(
            S::Active,
            E::Reconnect {
                basis: ReconnectionBasis::Payment
            }
        )
        .is_err());
        assert!(transition(S::Disconnected, E::Notice).is_err());
        assert!(transition(S::RetentionSales, E::RequestDisconnection).is_err());
        assert!(transition(S::Active, E::NotRetained).is_err());
        assert!(S::SuspensionNotice.connected() && !S::Suspended.connected());
    }

    #[test]
    fn a_reconnected_customer_moves_between_bases() {
        let plan = E::Reconnect {
            basis: ReconnectionBasis::PaymentPlan,
        };
        let dispute = E::Reconnect {
            basis: ReconnectionBasis::Dispute,
        };
        assert_eq!(
            transition(S::ActiveTemporaryPayment, plan),
            Ok(S::PaymentPlan)
        );
        assert_eq!(transition(S::PaymentPlan, dispute), Ok(S::Investigate));
        let e = transition(S::Investigate, dispute).unwrap_err();
        assert!(e.to_string().contains("on that basis already"), "{e}");
        assert!(transition(S::Active, plan).is_err());
    }
}
