//! Change-request estimates computed per second, natively (`scripts/bench.sh
//! changes`): an advanced request of 12 tasks in 4 modules, with design and
//! scope help, under the default programme; each computation is the full
//! `vip_domain::change_requests::estimate` (checks, lines, explanations). A
//! benchmark, not a test: it reports and asserts nothing.

use std::time::Instant;
use vip_domain::change_requests::{
    default_change_program, estimate, Category, EstimateInput, TaskInput,
};
use vip_domain::tpoints::TPoints;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let program = default_change_program();
    let input = EstimateInput {
        tasks: (0..12)
            .map(|i| TaskInput {
                title: format!("Task {i}"),
                module: Some(format!("module {}", i % 4)),
                programming: TPoints::whole(3 + i % 5),
                testing: TPoints::whole(1 + i % 2),
                plugin_panel: i == 11,
            })
            .collect(),
        includes_design: true,
        design: Some(TPoints::whole(6)),
        scope_help: TPoints::whole(2),
        follow_up_meetings: true,
        summary: None,
    };
    let started = Instant::now();
    let mut checksum = 0i64;
    for _ in 0..n {
        match estimate(&program, Category::Advanced, &input) {
            Ok(e) => checksum = checksum.wrapping_add(e.total.hundredths() + e.lines.len() as i64),
            Err(e) => {
                eprintln!("the benchmark's estimate is invalid: {e}");
                std::process::exit(1);
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{n} estimates (advanced, 12 tasks, design, scope help) in {secs:.3} s: {:.0} per second, {:.2} µs each (checksum {checksum})",
        n as f64 / secs,
        secs * 1e6 / n as f64
    );
}
