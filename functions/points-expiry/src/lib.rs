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

use chrono::{DateTime, Utc};
use vip_kit::db::Db;
use vip_kit::points::{run_expiry, PROGRAM};
use vip_kit::Problem;

struct PointsExpiry;

fn failed(p: Problem) -> Error {
    Error::Other(format!("{}: {}", p.title, p.detail))
}

impl Guest for PointsExpiry {
    fn handle_cron_event(metadata: Metadata) -> Result<(), Error> {
        let as_of = i64::try_from(metadata.timestamp)
            .ok()
            .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
            .ok_or_else(|| Error::Other(format!("bad event time {}", metadata.timestamp)))?;
        let now = vip_kit::now();
        let db = Db::open().map_err(failed)?;
        let program = PROGRAM.load(&db, now).map_err(failed)?.document;
        let run = run_expiry(&db, &program, as_of, "scheduler:cron", now).map_err(failed)?;
        println!(
            "points expiry as of {}: {} members with credits due, {} expired, {} points",
            run.as_of, run.members_with_credits_due, run.members_expired, run.points_expired
        );
        Ok(())
    }
}

export!(PointsExpiry);
