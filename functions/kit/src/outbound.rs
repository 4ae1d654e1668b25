//! Outbound partner calls: a JSON POST signed per Standard Webhooks 1.0
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature` over
//! `id.timestamp.body` with the endpoint's `whsec_` secret), to an endpoint
//! configured by two variables (its URL and its secret). The host allows
//! only the origins in `allowed_outbound_hosts`.
//!
//! A call succeeds on any 2xx, within the programme's timeout. The
//! `webhook-id` is stable for a message (an order, a notice), so a receiver
//! drops a repeat: delivery is at least once. After a few failures in a row a run stops calling that endpoint
//! (it is down), and what is left is tried by the next run.

use std::fmt;

use crate::db::{timestamp, Value};
use crate::Problem;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use spin_sdk::sqlite::RowResult;
use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
use spin_sdk::wit::wasi::http0_2_0::types::{
    Fields, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use vip_domain::suspension::RetryPolicy;
use vip_domain::webhooks::Secret;

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

    /// POSTs `body` as message `id`, signed at `now`; a call that takes
    /// longer than `timeout` (to connect, to the first byte, between bytes)
    /// fails. Written on `wasi:http` directly: spin-sdk's `send` takes no
    /// request options, and the runtime's default timeouts are minutes.
    pub fn post(
        &self,
        id: &str,
        body: &[u8],
        now: DateTime<Utc>,
        timeout: Duration,
    ) -> Result<(), String> {
        self.call(id, body, now, timeout).map_err(|f| f.message)
    }

    /// As [`Endpoint::post`], keeping the partner's status when it answered
    /// (so a refusal for good can be told from a failure for now).
    pub fn call(
        &self,
        id: &str,
        body: &[u8],
        now: DateTime<Utc>,
        timeout: Duration,
    ) -> Result<(), CallFailure> {
        let headers = [
            ("content-type", "application/json".to_string()),
            ("webhook-id", id.to_string()),
            ("webhook-timestamp", now.timestamp().to_string()),
            (
                "webhook-signature",
                self.secret.sign(id, now.timestamp(), body),
            ),
        ];
        match post(&self.url, &headers, body, timeout) {
            Ok(200..=299) => Ok(()),
            Ok(status) => Err(CallFailure {
                status: Some(status),
                message: format!("{} answered {status}", self.url),
            }),
            Err(e) => Err(CallFailure {
                status: None,
                message: format!("{} unreachable: {e}", self.url),
            }),
        }
    }
}

/// A call that did not succeed: the partner's status if it answered, and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFailure {
    pub status: Option<u16>,
    pub message: String,
}

/// One POST on `wasi:http`, waiting for the response status.
fn post(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<u16, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("`{url}` has no scheme"))?;
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    let fields = Fields::from_list(
        &headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.as_bytes().to_vec()))
            .collect::<Vec<_>>(),
    )
    .map_err(|e| format!("headers: {e:?}"))?;
    let request = OutgoingRequest::new(fields);
    let scheme = match scheme {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => Scheme::Other(other.to_string()),
    };
    request
        .set_method(&Method::Post)
        .and_then(|()| request.set_scheme(Some(&scheme)))
        .and_then(|()| request.set_authority(Some(authority)))
        .and_then(|()| request.set_path_with_query(Some(path)))
        .map_err(|()| format!("`{url}` is not a valid request target"))?;
    let outgoing = request
        .body()
        .map_err(|()| "the request body was taken".to_string())?;
    let options = RequestOptions::new();
    let nanos = u64::try_from(timeout.num_nanoseconds().unwrap_or(i64::MAX)).unwrap_or(u64::MAX);
    for set in [
        RequestOptions::set_connect_timeout,
        RequestOptions::set_first_byte_timeout,
        RequestOptions::set_between_bytes_timeout,
    ] {
        set(&options, Some(nanos)).map_err(|()| "the runtime refused a timeout".to_string())?;
    }
    let response = outgoing_handler::handle(request, Some(options)).map_err(|e| e.to_string())?;
    {
        let stream = outgoing
            .write()
            .map_err(|()| "the request body is not writable".to_string())?;
        // `blocking-write-and-flush` takes at most 4096 bytes a call.
        for chunk in body.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| format!("writing the body: {e:?}"))?;
        }
    }
    OutgoingBody::finish(outgoing, None).map_err(|e| e.to_string())?;
    response.subscribe().block();
    match response.get() {
        Some(Ok(Ok(r))) => Ok(r.status()),
        Some(Ok(Err(e))) => Err(e.to_string()),
        Some(Err(())) | None => Err("no response".into()),
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
