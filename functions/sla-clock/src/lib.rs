//! The SLA sweep, fired every minute by the cron trigger (`spin.toml`):
//! records each ticket's clock events due by the event's time (warnings,
//! breaches, follow-ups, escalation, reminders, automatic close) exactly
//! once. The same sweep is `POST /api/v1/tickets/sla-sweep?as_of=` for
//! external schedulers and catch-up (`vip_kit::sla_sweep::run`). The cron
//! world is bound from its WIT (`wit/deps/spin-cron`): the trigger plugin's
//! SDK is not on crates.io.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

wit_bindgen::generate!({
    world: "fermyon:spin-cron/spin-cron",
    path: "../../wit/deps/spin-cron",
});

use vip_kit::sla_sweep;
use vip_kit::tickets::PROGRAM;

struct SlaClock;

impl Guest for SlaClock {
    fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        vip_kit::cron::run(metadata.timestamp, |db, as_of, now| {
            let program = PROGRAM.load(db, now)?.document;
            let run = sla_sweep::run(db, &program, as_of, "scheduler:cron", now)?;
            Ok(format!(
                "sla sweep as of {}: {} tickets, {} events recorded, {} tickets moved",
                run.as_of, run.tickets_swept, run.events_recorded, run.tickets_moved
            ))
        })
        .map_err(Error::Other)
    }
}

export!(SlaClock);
