//! A component's cron export (`fermyon:spin-cron`) runs operations of its own
//! HTTP table, as the scheduler, with the event's time as their `as_of`: a
//! scheduled process and its `POST …?as_of=` catch-up are one handler, so
//! they cannot drift apart. Each call prints its answer to the host log;
//! a failure is the trigger's error text.

use chrono::{DateTime, Utc};
use spin_sdk::http::{Method, Request};

use crate::api::Operation;
use crate::router::{find_handler, Binding, Ctx};
use crate::Problem;

/// One cron event.
pub struct Event<'b> {
    /// The event's time: the `as_of` of every operation it runs.
    pub as_of: DateTime<Utc>,
    bindings: &'b [Binding],
}

/// Runs `jobs` for a cron event fired at `timestamp` (Unix seconds) for a
/// component whose operations are `bindings`.
pub fn run(
    timestamp: u64,
    bindings: &[Binding],
    jobs: impl FnOnce(&Event<'_>) -> Result<(), Problem>,
) -> Result<(), String> {
    let as_of = i64::try_from(timestamp)
        .ok()
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .ok_or_else(|| format!("bad event time {timestamp}"))?;
    jobs(&Event { as_of, bindings }).map_err(|p| format!("{}: {}", p.title, p.detail))
}

impl Event<'_> {
    /// Runs `operation` (`api::POST_DUNNING_RUNS`) with `query` (`month=2026-01`,
    /// or empty) as the scheduler would call it, and logs its answer.
    pub fn call(&self, operation: &Operation, query: &str) -> Result<(), Problem> {
        let handler = find_handler(self.bindings, operation);
        let Operation { method, path, .. } = *operation;
        let operation = format!("{method} {path}");
        let handler =
            handler.ok_or_else(|| Problem::internal(format!("no handler for {operation}")))?;
        let uri = match query {
            "" => path.to_string(),
            q => format!("{path}?{q}"),
        };
        let req = Request::builder()
            .method(if method == "GET" {
                Method::Get
            } else {
                Method::Post
            })
            .uri(uri)
            .build();
        let mut ctx = Ctx::scheduled(&req, self.as_of);
        let response = handler(&mut ctx)?;
        let body = String::from_utf8_lossy(response.body());
        if !(200..300).contains(response.status()) {
            return Err(Problem::internal(format!(
                "{operation} answered {}: {body}",
                response.status()
            )));
        }
        println!(
            "cron {operation} as of {}: {body}",
            crate::db::timestamp_text(self.as_of)
        );
        Ok(())
    }
}

/// The `fermyon:spin-cron` world, bound from its WIT (`wit/deps/spin-cron`:
/// the trigger plugin's SDK is not on crates.io).
pub mod bindings {
    wit_bindgen::generate!({
        world: "fermyon:spin-cron/spin-cron",
        path: "../../wit/deps/spin-cron",
        pub_export_macro: true,
        export_macro_name: "export_cron",
        default_bindings_module: "vip_kit::cron::bindings",
    });
}

/// Exports a component's cron entry: `jobs` gets each [`Event`] and calls
/// the component's own operations (`bindings`, its HTTP table) through it.
#[macro_export]
macro_rules! cron_component {
    ($bindings:expr, $jobs:expr) => {
        struct CronExport;

        impl $crate::cron::bindings::Guest for CronExport {
            fn handle_cron_event(
                metadata: $crate::cron::bindings::Metadata,
            ) -> Result<(), $crate::cron::bindings::Error> {
                $crate::cron::run(metadata.timestamp, $bindings, $jobs)
                    .map_err($crate::cron::bindings::Error::Other)
            }
        }

        $crate::cron::bindings::export_cron!(CronExport);
    };
}
