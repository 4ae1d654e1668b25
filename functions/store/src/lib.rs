//! The store layer: one module per aggregate, and the only place its
//! tables' SQL lives. Functions take and return domain types; rows are read
//! into structs by column name. Every SQL trigger a module's statements fire
//! is declared in that module's `EFFECTS` ([`effects`]), and a test
//! compares the declarations with the triggers of the migrated schema.

pub mod applications;
pub mod audit;
pub mod birthdays;
pub mod broadcasts;
pub mod calendars;
pub mod cards;
pub mod change_delivery;
pub mod change_requests;
pub mod collections;
pub mod consents;
pub mod conversation;
pub mod customers;
pub mod effects;
pub mod legal;
pub mod member_tasks;
pub mod memberships;
pub mod notices;
pub mod onboarding;
pub mod ownership;
pub mod points;
pub mod privacy;
pub mod provider_waits;
pub mod reports;
pub mod rewards;
pub mod service;
pub mod sessions;
pub mod sla_sweep;
pub mod surveys;
pub mod tickets;
pub mod tpoints;
pub mod trainings;
