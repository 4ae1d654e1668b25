//! Business calendars the SLA clocks run on (docs/domain.md §4).

use crate::effects::Effect;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "calendars_audit_insert",
        table: "calendars",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a new calendar",
    },
    Effect {
        trigger: "calendars_audit_update",
        table: "calendars",
        on: "UPDATE OF document",
        writes: &["audit_events"],
        does: "audits a change to a calendar",
    },
    Effect {
        trigger: "calendars_audit_delete",
        table: "calendars",
        on: "DELETE",
        writes: &["audit_events"],
        does: "audits a deleted calendar with who deleted it",
    },
];
