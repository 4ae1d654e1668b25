//! Customers and their VIP status over time: customer facts, eligibility decisions, the month-end VIP list (docs/domain.md §1).

use crate::effects::Effect;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "customers_audit_insert",
        table: "customers",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a new customer",
    },
    Effect {
        trigger: "customers_audit_update",
        table: "customers",
        on: "UPDATE",
        writes: &["audit_events"],
        does: "audits a change to a customer's facts",
    },
    Effect {
        trigger: "month_end_runs_audit",
        table: "month_end_runs",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a month-end close",
    },
];
