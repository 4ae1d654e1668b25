//! The deadline workload both deadline benchmarks run: natively
//! (`shared/examples/sla_bench`) and inside a wasm component
//! (`bench/guests/deadlines`). `add_business` on the default Madrid calendar
//! with holidays, from starts spread over two years (both DST changes, year
//! ends), for the durations of the default targets table (1 h to 24 h, and 1
//! to 20 business days of 9 h).

use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use vip_domain::calendar::Calendar;

/// Runs `n` deadline computations: (seconds, checksum of the due instants).
pub fn run(n: usize) -> (f64, i64) {
    let holidays: Vec<NaiveDate> = [
        "2026-01-01",
        "2026-01-06",
        "2026-04-03",
        "2026-05-01",
        "2026-08-15",
        "2026-10-12",
        "2026-12-08",
        "2026-12-25",
        "2027-01-01",
        "2027-01-06",
    ]
    .iter()
    .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    .collect();
    let calendar = Calendar {
        holidays,
        ..Calendar::default_business()
    }
    .compile();
    let hours: Vec<Duration> = [1, 2, 4, 8, 16, 24]
        .iter()
        .map(|h| Duration::hours(*h))
        .chain(
            [1, 2, 3, 5, 8, 10, 15, 20]
                .iter()
                .map(|d| Duration::hours(9 * d)),
        )
        .collect();
    let base = 1_767_225_600_i64; // 2026-01-01
    let span = 2 * 365 * 86_400_i64;
    let mut checksum = 0_i64;
    let started = Instant::now();
    for (i, d) in (0..n).zip(hours.iter().cycle()) {
        // A cheap spread of start times (minute resolution) and durations.
        let offset = (i as i64).wrapping_mul(7_919 * 60) % span;
        let start = DateTime::<Utc>::from_timestamp(base + offset, 0).unwrap_or_default();
        if let Some(due) = calendar.add_business(start, *d) {
            checksum = checksum.wrapping_add(due.timestamp());
        }
    }
    (started.elapsed().as_secs_f64(), checksum)
}
