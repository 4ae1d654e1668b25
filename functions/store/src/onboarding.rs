//! Onboarding cases (docs/domain.md §1; seed 000 SOP-001).

use vip_kit::db::{Db, Value};
use vip_kit::Problem;

use crate::effects::Effect;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "onboarding_audit_insert",
        table: "onboarding_cases",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits an opened case",
    },
    Effect {
        trigger: "onboarding_audit_update",
        table: "onboarding_cases",
        on: "UPDATE OF state",
        writes: &["audit_events"],
        does: "audits each move of a case",
    },
    Effect {
        trigger: "onboarding_approved",
        table: "onboarding_cases",
        on: "UPDATE OF state",
        writes: &["memberships", "notice_outbox"],
        does: "on approval: the membership at the entry tier stamped by `stamp_entry_tier`, and the customer's notice",
    },
    Effect {
        trigger: "onboarding_rejected",
        table: "onboarding_cases",
        on: "UPDATE OF state",
        writes: &["notice_outbox"],
        does: "on rejection: the customer's notice with the reason",
    },
    Effect {
        trigger: "onboarding_card_order",
        table: "onboarding_cases",
        on: "UPDATE OF state",
        writes: &["card_orders"],
        does: "on approval: the order for the member's first card",
    },
];

/// Stamps the tier case `case_id` starts its membership at (the ladder's
/// lowest), read by the approval's trigger `onboarding_approved`. Written
/// just before the approving UPDATE; a stamp left by an approval that then
/// lost a race is overwritten by the next one and harmless meanwhile.
pub fn stamp_entry_tier(db: &Db, case_id: i64, tier: &str) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO onboarding_entry_tiers (case_id, tier) VALUES (?, ?)
         ON CONFLICT (case_id) DO UPDATE SET tier = excluded.tier",
        &[Value::Integer(case_id), Value::Text(tier.into())],
    )?;
    Ok(())
}
