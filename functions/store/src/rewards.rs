//! The rewards catalogue and its stock (docs/domain.md §3).

use crate::effects::Effect;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "rewards_audit_insert",
        table: "rewards",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a new reward",
    },
    Effect {
        trigger: "rewards_audit_update",
        table: "rewards",
        on: "UPDATE OF spec",
        writes: &["audit_events"],
        does: "audits a change to a reward",
    },
    Effect {
        trigger: "rewards_audit_restock",
        table: "rewards",
        on: "UPDATE OF restocks",
        writes: &["audit_events"],
        does: "audits a restock",
    },
];
