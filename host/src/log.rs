//! One log line per request or cron event: what ran, the outcome and the time
//! taken. Never bodies, never query strings, and no path segment that could
//! name a person (they may carry personal data: see [`redact_path`]).

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
            path: redact_path(path),
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

/// The path with every segment that could be data replaced by `*`: only
/// route words (a lowercase letter, then lowercase letters, digits, `-`, `_`,
/// `.`) are kept, so `/api/v1/customers/ana%40example.com/service` is logged
/// as `/api/v1/customers/*/service`. Ids, emails, card and phone numbers are
/// never in the log; the route column still says which operation ran.
pub fn redact_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            let word = segment
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_lowercase())
                && segment.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
                });
            if word || segment.is_empty() {
                segment
            } else {
                "*"
            }
        })
        .collect::<Vec<_>>()
        .join("/")
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

#[cfg(test)]
mod tests {
    use super::redact_path;

    #[test]
    fn paths_are_logged_without_data() {
        assert_eq!(
            redact_path("/api/v1/customers/ana%40example.com/service"),
            "/api/v1/customers/*/service"
        );
        assert_eq!(
            redact_path("/api/v1/cards/4111111111111111"),
            "/api/v1/cards/*"
        );
        assert_eq!(
            redact_path("/api/v1/customers/C-77/"),
            "/api/v1/customers/*/"
        );
        assert_eq!(redact_path("/api/v1/openapi.json"), "/api/v1/openapi.json");
        assert_eq!(redact_path("/"), "/");
    }
}
