//! Deadline computations per second, natively (`scripts/bench.sh sla`); the
//! workload is `workload.rs`, which `bench/guests/deadlines` runs inside a
//! wasm component. A benchmark, not a test: it reports and asserts nothing.

mod workload;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let (secs, checksum) = workload::run(n);
    println!(
        "{n} deadline computations (add_business, business calendar) in {secs:.3} s: {:.0} per second (checksum {checksum})",
        n as f64 / secs
    );
}
