//! Memberships and their tiers: purchases and tier changes (docs/domain.md §1).

use vip_domain::customer::CustomerId;
use vip_kit::db::{Db, Value};
use vip_kit::Problem;

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

/// The tier `customer` holds, if a member.
pub fn tier_of(db: &Db, customer: &CustomerId) -> Result<Option<String>, Problem> {
    db.one(
        "SELECT tier FROM memberships WHERE customer_id = ?",
        &[Value::Text(customer.as_str().into())],
        |row| row.text("tier"),
    )
}
