//! The daily points expiry, fired by the cron trigger (`spin.toml`): expires
//! what is left of the credits due by the event's time, oldest first. The
//! same run is `POST /api/v1/points/expiry?as_of=` for external schedulers and
//! catch-up; both are idempotent per day (`vip_kit::points::run_expiry`).
//! The cron world is bound from its WIT (`wit/deps/spin-cron`): the trigger
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

use vip_kit::points::{run_expiry, PROGRAM};

struct PointsExpiry;

impl Guest for PointsExpiry {
    fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        vip_kit::cron::run(metadata.timestamp, |db, as_of, now| {
            let program = PROGRAM.load(db, now)?.document;
            let run = run_expiry(db, &program, as_of, "scheduler:cron", now)?;
            Ok(format!(
                "points expiry as of {}: {} members with credits due, {} expired, {} points",
                run.as_of, run.members_with_credits_due, run.members_expired, run.points_expired
            ))
        })
        .map_err(Error::Other)
    }
}

export!(PointsExpiry);
