//! `Idempotency-Key` for creating and spending POSTs: the first request with a
//! key runs; a retry with the same key and the same request (method, path and
//! the body's JSON meaning) gets the first response again, status and body,
//! with header `Idempotent-Replayed: true`; the same key with a different
//! request is a 422; a retry while the first is still running is a 409.
//!
//! A key is claimed with one atomic insert before the handler runs and
//! completed with the response after; failures (non-2xx) release the claim so
//! the client may retry. A claim left by a crash (the instance died before
//! answering) is held for [`LEASE_SECONDS`], answering 409 meanwhile, then
//! taken over by the next retry. The handlers' own effects are single
//! idempotent statements keyed by the caller's key, so a takeover never
//! applies anything twice: a handler that finds what the crashed attempt
//! created answers as that attempt would have (201) and says it replayed.

use sha2::{Digest, Sha256};
use spin_sdk::http::{Request, Response};

use crate::api::Operation;
use crate::db::{timestamp, Db, Value};
use crate::problem::Problem;
use crate::router::{method_name, Ctx, Handler};

/// The response header that says an answer is a replay of an earlier one.
pub const REPLAYED: &str = "idempotent-replayed";

/// How long a claim protects a request still running.
const LEASE_SECONDS: i64 = 60;

/// The request's key, if any, checked for shape.
pub fn key_of(req: &Request) -> Result<Option<String>, Problem> {
    let Some(value) = req.header("idempotency-key") else {
        return Ok(None);
    };
    let key = value.as_str().unwrap_or("").trim();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Problem::field(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(Some(key.to_string()))
}

/// What makes two requests "the same": method, path and body. A JSON body
/// counts by its meaning, not its bytes: object keys are sorted and
/// insignificant whitespace dropped, so a client whose encoder orders keys
/// differently on a retry is still recognised. Other bodies count byte for byte.
fn fingerprint(req: &Request) -> String {
    let mut h = Sha256::new();
    h.update(method_name(req.method()).as_bytes());
    h.update(b" ");
    h.update(req.path().as_bytes());
    h.update(b"\n");
    match serde_json::from_slice::<serde_json::Value>(req.body()) {
        Ok(value) => h.update(canonical_json(&value).as_bytes()),
        Err(_) => h.update(req.body()),
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `value` as compact JSON with every object's keys in sorted order. Sorted
/// here, not left to serde_json: its `preserve_order` feature, which any
/// crate in the build may turn on, keeps keys in arrival order.
fn canonical_json(value: &serde_json::Value) -> String {
    use serde_json::Value as J;
    match value {
        J::Object(map) => {
            let mut entries: Vec<(&String, &J)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}:{}", J::String(k.clone()), canonical_json(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        J::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical_json).collect();
            format!("[{}]", inner.join(","))
        }
        scalar => scalar.to_string(),
    }
}

/// A key's stored claim.
struct Claim {
    request_hash: String,
    done: bool,
    status: Option<i64>,
    body: Option<String>,
    claimed_at: String,
}

pub fn run(
    ctx: &mut Ctx<'_>,
    op: &Operation,
    handler: Handler,
    key: &str,
) -> Result<Response, Problem> {
    let db = Db::open()?;
    // Keys are per caller and per operation: two clients never collide.
    let scope = format!("{} {} {}", ctx.actor(), op.method, op.path);
    let hash = fingerprint(ctx.req);
    let now = ctx.now;
    let claimed = db
        .first(
            "INSERT INTO idempotency_keys (scope, key, request_hash, state, claimed_at)
             VALUES (?, ?, ?, 'pending', ?)
             ON CONFLICT (scope, key) DO NOTHING RETURNING 1",
            &[
                Value::Text(scope.clone()),
                Value::Text(key.into()),
                Value::Text(hash.clone()),
                timestamp(now),
            ],
        )?
        .is_some();
    if !claimed {
        let claim = db
            .one(
                "SELECT request_hash, state, status, body, claimed_at FROM idempotency_keys WHERE scope = ? AND key = ?",
                &[Value::Text(scope.clone()), Value::Text(key.into())],
                |row| {
                    Ok(Claim {
                        request_hash: row.text("request_hash")?,
                        done: row.text("state")? == "done",
                        status: row.opt_int("status")?,
                        body: row.opt_text("body")?,
                        claimed_at: row.text("claimed_at")?,
                    })
                },
            )?
            .ok_or_else(|| Problem::internal("idempotency claim vanished"))?;
        if claim.request_hash != hash {
            return Err(Problem::unprocessable(
                "idempotency-key-reused",
                "Idempotency-Key reused with a different request",
                "this Idempotency-Key was used for a different request body; use a new key",
            ));
        }
        if claim.done {
            let status = claim
                .status
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(200);
            return Ok(Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .header(REPLAYED, "true")
                .body(claim.body.unwrap_or_default())
                .build());
        }
        let claimed_at = claim.claimed_at;
        let expired = chrono::DateTime::parse_from_rfc3339(&claimed_at)
            .map(|t| (now - t.with_timezone(&chrono::Utc)).num_seconds() >= LEASE_SECONDS)
            .unwrap_or(true);
        let taken_over = expired
            && db
                .first(
                    "UPDATE idempotency_keys SET claimed_at = ?
                     WHERE scope = ? AND key = ? AND state = 'pending' AND claimed_at = ? RETURNING 1",
                    &[timestamp(now), Value::Text(scope.clone()), Value::Text(key.into()), Value::Text(claimed_at)],
                )?
                .is_some();
        if !taken_over {
            return Err(Problem::conflict(
                "idempotency-request-in-progress",
                "A request with this Idempotency-Key is in progress",
                "retry after the first request finishes",
            ));
        }
    }
    let result = handler(ctx);
    match &result {
        Ok(response) if (200..300).contains(response.status()) => {
            db.exec(
                "UPDATE idempotency_keys SET state = 'done', status = ?, body = ? WHERE scope = ? AND key = ?",
                &[
                    Value::Integer(i64::from(*response.status())),
                    Value::Text(String::from_utf8_lossy(response.body()).into_owned()),
                    Value::Text(scope),
                    Value::Text(key.into()),
                ],
            )?;
        }
        _ => {
            db.exec(
                "DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND state = 'pending'",
                &[Value::Text(scope), Value::Text(key.into())],
            )?;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::canonical_json;

    #[test]
    fn json_meaning_not_bytes() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b": 1, "a": {"y": [1, {"d": 2, "c": 3}], "x": "s"}}"#)
                .unwrap();
        let b: serde_json::Value =
            serde_json::from_str(r#"{"a":{"x":"s","y":[1,{"c":3,"d":2}]},"b":1}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            canonical_json(&b),
            r#"{"a":{"x":"s","y":[1,{"c":3,"d":2}]},"b":1}"#
        );
        let c: serde_json::Value =
            serde_json::from_str(r#"{"a":{"x":"s","y":[{"c":3,"d":2},1]},"b":1}"#).unwrap();
        assert_ne!(canonical_json(&b), canonical_json(&c), "array order counts");
    }
}
