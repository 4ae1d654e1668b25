//! What every cron component does around its job: the event's time as the
//! job's `as_of`, the wall clock read once, the database opened, a one-line
//! summary printed to the host log, failures as text for the trigger.

use chrono::{DateTime, Utc};

use crate::db::Db;
use crate::Problem;

/// Runs `job(db, as_of, now)` for a cron event fired at `timestamp` (Unix
/// seconds); the job answers its summary line.
pub fn run(
    timestamp: u64,
    job: impl FnOnce(&Db, DateTime<Utc>, DateTime<Utc>) -> Result<String, Problem>,
) -> Result<(), String> {
    let as_of = i64::try_from(timestamp)
        .ok()
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .ok_or_else(|| format!("bad event time {timestamp}"))?;
    let failed = |p: Problem| format!("{}: {}", p.title, p.detail);
    let db = Db::open().map_err(failed)?;
    let summary = job(&db, as_of, crate::now()).map_err(failed)?;
    println!("{summary}");
    Ok(())
}
