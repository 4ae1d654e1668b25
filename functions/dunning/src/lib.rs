//! The dunning run, fired daily by the cron trigger (`spin.toml`): records
//! each unpaid invoice's collection steps due by the event's day (reminders,
//! the suspension notice, suspension, pickup) exactly once, moving the
//! customer's service status. The same run is `POST /api/v1/dunning/runs?as_of=`
//! for external schedulers and catch-up (`vip_kit::collections::run`). The
//! cron world is bound from its WIT (`wit/deps/spin-cron`): the trigger
//! plugin's SDK is not on crates.io.
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

use vip_kit::collections::{run, PROGRAM};

struct Dunning;

impl Guest for Dunning {
    fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        vip_kit::cron::run(metadata.timestamp, |db, as_of, now| {
            let program = PROGRAM.load(db, now)?.document;
            let run = run(db, &program, as_of, "scheduler:cron", now)?;
            Ok(format!(
                "dunning as of {} ({}): {} unpaid invoices, {} steps recorded, {} service moves",
                run.as_of, run.day, run.unpaid_invoices, run.steps_recorded, run.service_moves
            ))
        })
        .map_err(Error::Other)
    }
}

export!(Dunning);
