//! The application end to end: the real `spin.toml`, the wasm components as
//! built by the bootstrap, served by the host over real HTTP.

mod cards;
mod changes;
mod collections;
mod conventions;
mod eligibility;
mod hardening;
mod health;
mod lifecycle;
mod members;
mod month_end;
mod notices;
mod onboarding;
mod openapi;
mod reports;
mod rewards;
mod schema;
mod sessions;
mod shared_stores;
mod sla_clock;
mod suspension;
mod tickets;
mod workspace;
