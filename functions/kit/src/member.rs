//! Member sessions in the key-value store (`default`): one-time codes, the
//! wrong-code counters, and member tokens. Only digests are kept
//! (`vip_domain::sessions::digest`), so reading the store gives no code and
//! no token that works. Spin's key-value store has no expiry: every record
//! carries its own end, checked on read, and a spent record is deleted.
//!
//! Counters are read and written without a transaction (the store has
//! none): two wrong codes at the same instant may count once. The limit is a
//! brake on guessing, and a 6-digit code with 5 tries per 15 minutes holds
//! even if a few more slip through.

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Serialize};
use spin_sdk::key_value::Store;
use vip_domain::sessions::{code_from, digest, Attempts, CodeRecord, MemberSession, SessionPolicy};

use crate::problem::Problem;

/// The prefix that tells a member token from an API key.
pub const TOKEN_PREFIX: &str = "vipm_";

fn store() -> Result<Store, Problem> {
    Store::open_default().map_err(|e| Problem::internal(format!("key-value store: {e}")))
}

fn get<T: DeserializeOwned>(store: &Store, key: &str) -> Result<Option<T>, Problem> {
    let Some(bytes) = store.get(key).map_err(Problem::internal)? else {
        return Ok(None);
    };
    // A record this version cannot read is treated as absent.
    Ok(serde_json::from_slice(&bytes).ok())
}

fn set<T: Serialize>(store: &Store, key: &str, value: &T) -> Result<(), Problem> {
    let bytes = serde_json::to_vec(value).map_err(Problem::internal)?;
    store.set(key, &bytes).map_err(Problem::internal)
}

/// `n` random bytes as hex (an unguessable id).
pub fn random_hex<const N: usize>() -> Result<String, Problem> {
    Ok(random::<N>()?.iter().map(|b| format!("{b:02x}")).collect())
}

fn random<const N: usize>() -> Result<[u8; N], Problem> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|e| Problem::internal(format!("random: {e}")))?;
    Ok(bytes)
}

fn session_key(token: &str) -> String {
    format!("member-session/{}", digest(token, "member-token"))
}

/// A new one-time code for `customer_id`, replacing any earlier one.
pub fn new_code(
    customer_id: &str,
    now: DateTime<Utc>,
    policy: &SessionPolicy,
) -> Result<(String, DateTime<Utc>), Problem> {
    let code = code_from(random()?, policy.code_digits);
    let record = CodeRecord::new(customer_id, &code, now, policy);
    set(&store()?, &format!("member-code/{customer_id}"), &record)?;
    Ok((code, record.expires_at))
}

/// Whether `code` is `customer_id`'s live code; a matching code is spent.
pub fn take_code(customer_id: &str, code: &str, now: DateTime<Utc>) -> Result<bool, Problem> {
    let store = store()?;
    let key = format!("member-code/{customer_id}");
    let Some(record) = get::<CodeRecord>(&store, &key)? else {
        return Ok(false);
    };
    let matches = record.accepts(customer_id, code, now);
    if matches {
        store.delete(&key).map_err(Problem::internal)?;
    }
    Ok(matches)
}

/// A counter of wrong codes or of code requests (`what/who`).
pub fn attempts(key: &str) -> Result<Attempts, Problem> {
    Ok(get(&store()?, &format!("member-attempts/{key}"))?.unwrap_or_default())
}

pub fn save_attempts(key: &str, attempts: Attempts) -> Result<(), Problem> {
    set(&store()?, &format!("member-attempts/{key}"), &attempts)
}

pub fn clear_attempts(key: &str) -> Result<(), Problem> {
    store()?
        .delete(&format!("member-attempts/{key}"))
        .map_err(Problem::internal)
}

/// A new member token for `customer_id`; returns it and its end.
pub fn issue(
    customer_id: &str,
    now: DateTime<Utc>,
    policy: &SessionPolicy,
) -> Result<(String, DateTime<Utc>), Problem> {
    let token = format!("{TOKEN_PREFIX}{}", random_hex::<32>()?);
    let session = MemberSession::new(customer_id, now, policy);
    set(&store()?, &session_key(&token), &session)?;
    Ok((token, session.expires_at))
}

fn invalid() -> Problem {
    Problem::new(
        401,
        "member-token-invalid",
        "Member token not accepted",
        "the member token is unknown, expired or revoked; ask for a new code",
    )
}

/// The live session of `token` (`MemberSession::live`).
fn live(store: &Store, token: &str, now: DateTime<Utc>) -> Result<MemberSession, Problem> {
    if !token.starts_with(TOKEN_PREFIX) {
        return Err(invalid());
    }
    let Some(session) = get::<MemberSession>(store, &session_key(token))? else {
        return Err(invalid());
    };
    let revoked: Option<DateTime<Utc>> =
        get(store, &format!("member-revoked/{}", session.customer_id))?;
    if !session.live(now, revoked) {
        return Err(invalid());
    }
    Ok(session)
}

/// The member a live `token` stands for; 401 otherwise.
pub fn verify(token: &str, now: DateTime<Utc>) -> Result<String, Problem> {
    Ok(live(&store()?, token, now)?.customer_id)
}

/// Extends a live token by the policy's lifetime from `now`; returns its new end.
pub fn renew(
    token: &str,
    now: DateTime<Utc>,
    policy: &SessionPolicy,
) -> Result<DateTime<Utc>, Problem> {
    let store = store()?;
    let session = live(&store, token, now)?.renewed(now, policy);
    set(&store, &session_key(token), &session)?;
    Ok(session.expires_at)
}

/// Ends every session of `customer_id` issued up to `now` (an erasure).
pub fn revoke_all(customer_id: &str, now: DateTime<Utc>) -> Result<(), Problem> {
    set(&store()?, &format!("member-revoked/{customer_id}"), &now)
}

/// Ends a token at once.
pub fn revoke(token: &str) -> Result<(), Problem> {
    store()?
        .delete(&session_key(token))
        .map_err(Problem::internal)
}
