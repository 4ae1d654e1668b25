//! Effects that SQL triggers carry, declared in Rust so a reader finds them.
//!
//! Why triggers: a write and its effects (the ledger entry, the stock, the
//! audit row, the notice, the card order) must commit together or not at
//! all. This code holds no transaction across host calls (hosted SQL, such
//! as libSQL, may not keep one), so each write is one statement, and a
//! trigger makes its effects part of that statement on any SQLite host.
//! The cost is that effects live in SQL: every trigger with an effect
//! beyond its own row is declared here, in the `EFFECTS` of the store
//! module whose statement fires it, and the test `tests/api/schema.rs`
//! compares the declarations with the triggers of the migrated schema, so
//! the two cannot drift. (Guard triggers that only refuse, such as an
//! append-only table's `no_update`, have no effect and are not declared.)

pub use vip_kit::db::Effect;

/// Every declared effect: the store modules' and the settings documents'.
pub fn all() -> Vec<Effect> {
    [
        crate::customers::EFFECTS,
        crate::onboarding::EFFECTS,
        crate::memberships::EFFECTS,
        crate::member_tasks::EFFECTS,
        crate::birthdays::EFFECTS,
        crate::cards::EFFECTS,
        crate::points::EFFECTS,
        crate::rewards::EFFECTS,
        crate::calendars::EFFECTS,
        crate::tickets::EFFECTS,
        crate::conversation::EFFECTS,
        crate::tpoints::EFFECTS,
        crate::change_requests::EFFECTS,
        crate::change_delivery::EFFECTS,
        crate::trainings::EFFECTS,
        crate::provider_waits::EFFECTS,
        crate::collections::EFFECTS,
        crate::service::EFFECTS,
        crate::legal::EFFECTS,
        crate::notices::EFFECTS,
        crate::broadcasts::EFFECTS,
        crate::privacy::EFFECTS,
        vip_kit::settings::EFFECTS,
    ]
    .concat()
}
