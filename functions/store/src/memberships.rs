//! Memberships and their tiers: purchases and tier changes (docs/domain.md §1).

use crate::effects::Effect;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "purchases_audit",
        table: "purchases",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a recorded purchase",
    },
    Effect {
        trigger: "tier_changes_apply",
        table: "tier_changes",
        on: "INSERT",
        writes: &["audit_events", "card_orders", "memberships", "notice_outbox"],
        does: "moves the membership to the new tier, audits it, tells the member and orders a card with the new tier",
    },
];
