//! Outbound partner calls: a JSON POST signed per Standard Webhooks 1.0
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature` over
//! `id.timestamp.body` with the endpoint's `whsec_` secret), to an endpoint
//! configured by two variables (its URL and its secret). The host allows
//! only the origins in `allowed_outbound_hosts`.
//!
//! A call succeeds on any 2xx. The `webhook-id` is stable for a message
//! (an order, a notice), so a receiver drops a repeat: delivery is at least
//! once. After a few failures in a row a run stops calling that endpoint
//! (it is down), and what is left is tried by the next run.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::sqlite::RowResult;
use vip_domain::suspension::RetryPolicy;
use vip_domain::webhooks::Secret;
use vip_kit::db::{timestamp, Value};
use vip_kit::Problem;

/// Consecutive failures after which a run stops calling an endpoint.
const FAILURES_BEFORE_PAUSE: u32 = 3;

/// A partner endpoint from its variables.
pub struct Endpoint {
    url: String,
    secret: Secret,
}

fn variable(name: &str) -> Result<String, Problem> {
    spin_sdk::variables::get(name).map_err(|e| Problem::internal(format!("variable {name}: {e}")))
}

impl Endpoint {
    pub fn configured(url: &str, secret: &str) -> Result<Endpoint, Problem> {
        Ok(Endpoint {
            url: variable(url)?,
            secret: Secret::parse(&variable(secret)?)
                .map_err(|e| Problem::internal(format!("variable {secret}: {e}")))?,
        })
    }

    /// POSTs `body` as message `id`, signed at `now`.
    pub fn post(&self, id: &str, body: &[u8], now: DateTime<Utc>) -> Result<(), String> {
        let request = Request::builder()
            .method(Method::Post)
            .uri(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", now.timestamp().to_string())
            .header(
                "webhook-signature",
                self.secret.sign(id, now.timestamp(), body),
            )
            .body(body.to_vec())
            .build();
        let response: Response = spin_sdk::http::run(spin_sdk::http::send(request))
            .map_err(|e| format!("{} unreachable: {e}", self.url))?;
        match *response.status() {
            200..=299 => Ok(()),
            status => Err(format!("{} answered {status}", self.url)),
        }
    }
}

/// Delivers what is due to the endpoint of variables `url` and `secret`:
/// `read(cursor)` reads the next batch after the cursor (empty: done);
/// `deliver(endpoint, row, cursor)` moves the cursor past the row, makes its
/// call, records the outcome and answers it. The endpoint is configured only
/// if something is due; the run stops calling once it pauses.
pub fn deliver_due<K>(
    (url, secret): (&str, &str),
    mut cursor: K,
    mut read: impl FnMut(&K) -> Result<Vec<RowResult>, Problem>,
    mut deliver: impl FnMut(&Endpoint, &RowResult, &mut K) -> Result<Result<(), String>, Problem>,
) -> Result<Tally, Problem> {
    let mut tally = Tally::default();
    let mut endpoint = None;
    loop {
        let due = read(&cursor)?;
        if due.is_empty() {
            return Ok(tally);
        }
        let endpoint = match &endpoint {
            Some(e) => e,
            None => endpoint.insert(Endpoint::configured(url, secret)?),
        };
        for row in &due {
            let outcome = deliver(endpoint, row, &mut cursor)?;
            if !tally.count(&outcome) {
                return Ok(tally);
            }
        }
    }
}

/// After try number `attempts` (counting this one) at `as_of`: when to try
/// again and the error to keep, both NULL once the call succeeded.
pub fn next_try(
    retry: &RetryPolicy,
    attempts: i64,
    outcome: &Result<(), String>,
    as_of: DateTime<Utc>,
) -> (Value, Value) {
    match outcome {
        Ok(()) => (Value::Null, Value::Null),
        Err(e) => (
            timestamp(retry.next_attempt(u32::try_from(attempts).unwrap_or(u32::MAX), as_of)),
            Value::Text(e.clone()),
        ),
    }
}

/// What a run delivered to one endpoint.
#[derive(Debug, Default, Serialize)]
pub struct Tally {
    pub delivered: u64,
    pub failed: u64,
    /// Stopped after failures in a row: the rest waits for the next run.
    pub paused: bool,
    #[serde(skip)]
    failing: u32,
}

impl Tally {
    /// Counts a call's outcome; false once the run should stop calling.
    pub fn count(&mut self, outcome: &Result<(), String>) -> bool {
        match outcome {
            Ok(()) => {
                self.delivered += 1;
                self.failing = 0;
            }
            Err(_) => {
                self.failed += 1;
                self.failing += 1;
            }
        }
        self.paused = self.failing >= FAILURES_BEFORE_PAUSE;
        !self.paused
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} delivered, {} failed", self.delivered, self.failed)?;
        if self.paused {
            write!(f, " (paused)")?;
        }
        Ok(())
    }
}
