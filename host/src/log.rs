//! One log line per request or cron event: what ran, the outcome and the time
//! taken. Never bodies, never query strings (they may carry personal data).

use std::io::Write;
use std::time::Instant;

use chrono::{SecondsFormat, Utc};

/// Builds the log line of one HTTP request.
pub struct RequestLog {
    method: String,
    path: String,
    component: Option<String>,
    error: Option<String>,
}

impl RequestLog {
    pub fn new(method: &str, path: &str) -> Self {
        RequestLog {
            method: method.to_string(),
            path: path.to_string(),
            component: None,
            error: None,
        }
    }

    pub fn component(&mut self, id: &str) {
        self.component = Some(id.to_string());
    }

    pub fn error(&mut self, message: String) {
        self.error = Some(message);
    }

    /// Writes the line: `http <component> <METHOD> <path> route=<route> status=<n> us=<total> inst_us=<n>`.
    pub fn finish(
        self,
        route: Option<&str>,
        status: http::StatusCode,
        started: Instant,
        instantiate_ns: Option<u64>,
    ) {
        let mut line = format!(
            "{} http {} {} {} route={} status={} us={}",
            Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
            self.component.as_deref().unwrap_or("-"),
            self.method,
            self.path,
            route.unwrap_or("-"),
            status.as_u16(),
            started.elapsed().as_micros(),
        );
        if let Some(ns) = instantiate_ns {
            line.push_str(&format!(" inst_us={}", ns / 1000));
        }
        if let Some(e) = self.error {
            line.push_str(&format!(" error={e:?}"));
        }
        emit(line);
    }
}

/// Writes the line of one cron event.
pub fn cron_event(component: &str, timestamp: u64, outcome: &Result<(), String>, started: Instant) {
    let mut line = format!(
        "{} cron {} timestamp={} status={} us={}",
        Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        component,
        timestamp,
        if outcome.is_ok() { "ok" } else { "error" },
        started.elapsed().as_micros(),
    );
    if let Err(e) = outcome {
        line.push_str(&format!(" error={e:?}"));
    }
    emit(line);
}

/// An error as one short line: its outermost context and its root cause, without
/// wasm backtraces (which can span dozens of lines).
pub fn one_line(e: &anyhow::Error) -> String {
    let top = e.to_string();
    let root = e.root_cause().to_string();
    let root = root.lines().last().unwrap_or_default();
    if top == root {
        top
    } else {
        format!("{top}: {root}")
    }
}

fn emit(mut line: String) {
    line.push('\n');
    // One write per line, so concurrent requests never interleave.
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}
