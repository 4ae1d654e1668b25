//! Triggers: what makes a component run.

pub mod cron;
pub mod http;
