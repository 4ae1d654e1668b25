//! The VIP operations domain: every business rule of the platform, as pure
//! functions over plain data. No I/O, no clock reads (time is always an
//! argument), no dependency on Spin, so it is unit-tested natively and fast.
//!
//! Every number the rules use is program configuration with the defaults of
//! `docs/domain.md`, never a constant buried in code.
#![forbid(unsafe_code)]
// No panic is reachable from input: these hold for all non-test code.

pub mod birthdays;
pub mod broadcasts;
pub mod calendar;
pub mod card;
pub mod change_delivery;
pub mod change_requests;
pub mod channels;
pub mod chart;
pub mod conversation;
pub mod customer;
pub mod dunning;
pub mod eligibility;
pub mod figures;
pub mod levels;
pub mod member_tasks;
pub mod membership;
pub mod money;
pub mod month_end;
pub mod notice_texts;
pub mod notices;
pub mod onboarding;
pub mod points;
pub mod reports;
pub mod rewards;
pub mod service;
pub mod sessions;
pub mod sla;
pub mod surveys;
pub mod suspension;
pub mod sweep;
pub mod tickets;
pub mod tiers;
pub mod tpoints;
pub mod training;
pub mod validation;
pub mod webhooks;
pub mod zone;
