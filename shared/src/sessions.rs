//! Member sessions: how a member proves who they are to a web form or a chat
//! bot. A one-time code goes to the email or phone on file; the code, checked,
//! gives a short-lived member token. Wrong codes are counted per member and
//! per client address in a sliding window; past the limit, the caller waits.
//!
//! Everything here is arithmetic on times and counts; where codes, tokens
//! and counters are kept (the key-value store) is the shell's business.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::validation::Errors;

/// The numbers of member sessions (defaults from issue 17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionPolicy {
    /// Digits of a one-time code.
    pub code_digits: u32,
    /// How long a code may be used.
    pub code_minutes: i64,
    /// How long a token lives after it is issued or renewed.
    pub token_minutes: i64,
    /// Wrong codes allowed per member and per client address in a window.
    pub max_wrong_codes: u32,
    /// Code requests allowed per client address in a window.
    pub max_code_requests: u32,
    /// Applications from the public web form per client address in a window.
    pub max_applications: u32,
    /// The window the limits count in.
    pub window_minutes: i64,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            code_digits: 6,
            code_minutes: 10,
            token_minutes: 15,
            max_wrong_codes: 5,
            max_code_requests: 5,
            max_applications: 3,
            window_minutes: 15,
        }
    }
}

impl SessionPolicy {
    /// Bounds that keep codes guessable only by chance and windows sensible.
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        let mut within = |field: &str, value: i64, min: i64, max: i64| {
            if !(min..=max).contains(&value) {
                errors.add(field, format!("must be from {min} to {max}"));
            }
        };
        within("code_digits", i64::from(self.code_digits), 6, 10);
        within("code_minutes", self.code_minutes, 1, 60);
        within("token_minutes", self.token_minutes, 1, 24 * 60);
        within("max_wrong_codes", i64::from(self.max_wrong_codes), 1, 20);
        within(
            "max_code_requests",
            i64::from(self.max_code_requests),
            1,
            100,
        );
        within("max_applications", i64::from(self.max_applications), 1, 100);
        within("window_minutes", self.window_minutes, 1, 24 * 60);
        errors.finish(())
    }
}

/// Failures counted since `since` (the window's start).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempts {
    pub count: u32,
    pub since: Option<DateTime<Utc>>,
}

impl Attempts {
    /// The count that still applies at `now` (zero once its window has passed).
    fn current(&self, now: DateTime<Utc>, window: Duration) -> u32 {
        match self.since {
            Some(since) if now < since + window => self.count,
            _ => 0,
        }
    }

    /// How many more are allowed at `now` under `limit`.
    pub fn left(&self, now: DateTime<Utc>, limit: u32, window_minutes: i64) -> u32 {
        limit.saturating_sub(self.current(now, Duration::minutes(window_minutes)))
    }

    /// When the caller may try again, if the limit is reached at `now`.
    pub fn locked_until(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        window_minutes: i64,
    ) -> Option<DateTime<Utc>> {
        let window = Duration::minutes(window_minutes);
        (self.current(now, window) >= limit).then(|| self.since.unwrap_or(now) + window)
    }

    /// One more, at `now`: a new window starts if the old one has passed.
    pub fn one_more(self, now: DateTime<Utc>, window_minutes: i64) -> Attempts {
        let window = Duration::minutes(window_minutes);
        match self.since {
            Some(since) if now < since + window => Attempts {
                count: self.count.saturating_add(1),
                since: Some(since),
            },
            _ => Attempts {
                count: 1,
                since: Some(now),
            },
        }
    }
}

/// What is kept of a one-time code: its digest (salted with the member's
/// id) and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    pub digest: String,
    pub expires_at: DateTime<Utc>,
}

impl CodeRecord {
    /// `code` sent to `customer_id` at `now`, usable for the policy's minutes.
    pub fn new(customer_id: &str, code: &str, now: DateTime<Utc>, policy: &SessionPolicy) -> Self {
        CodeRecord {
            digest: digest(code, &format!("code:{customer_id}")),
            expires_at: now + Duration::minutes(policy.code_minutes),
        }
    }

    /// Whether `code` is this record's code for `customer_id` and still usable
    /// at `now` (digests compared in constant time).
    pub fn accepts(&self, customer_id: &str, code: &str, now: DateTime<Utc>) -> bool {
        let presented = digest(code, &format!("code:{customer_id}"));
        let same: bool = self.digest.as_bytes().ct_eq(presented.as_bytes()).into();
        same && now < self.expires_at
    }
}

/// What is kept of a member token: whose it is, when it was issued, when it
/// ends unless renewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSession {
    pub customer_id: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl MemberSession {
    pub fn new(customer_id: &str, now: DateTime<Utc>, policy: &SessionPolicy) -> Self {
        MemberSession {
            customer_id: customer_id.to_string(),
            issued_at: now,
            expires_at: now + Duration::minutes(policy.token_minutes),
        }
    }

    /// Whether the token still works at `now`: not expired, and not issued
    /// before `revoked_at`, when all the member's sessions were ended.
    pub fn live(&self, now: DateTime<Utc>, revoked_at: Option<DateTime<Utc>>) -> bool {
        now < self.expires_at && revoked_at.is_none_or(|at| self.issued_at > at)
    }

    /// The same session, running for the policy's minutes from `now`.
    pub fn renewed(self, now: DateTime<Utc>, policy: &SessionPolicy) -> Self {
        MemberSession {
            expires_at: now + Duration::minutes(policy.token_minutes),
            ..self
        }
    }
}

/// A one-time code from `random` bytes: `digits` decimal digits, leading
/// zeros kept. The modulo bias of 8 random bytes over 10^6 is below 10^-13.
pub fn code_from(random: [u8; 8], digits: u32) -> String {
    let modulus = 10u64.saturating_pow(digits.clamp(4, 10));
    let n = u64::from_le_bytes(random) % modulus;
    format!("{n:0width$}", width = digits.clamp(4, 10) as usize)
}

/// What is kept of a code or a token: its SHA-256, salted with what it is for,
/// so the key-value store never holds one that could be used.
pub fn digest(secret: &str, purpose: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(purpose.as_bytes());
    hash.update([0]);
    hash.update(secret.as_bytes());
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minute)
    }

    #[test]
    fn five_wrong_codes_lock_until_the_window_ends() {
        let policy = SessionPolicy::default();
        let mut a = Attempts::default();
        for minute in 0..5 {
            assert_eq!(a.locked_until(at(minute), 5, 15), None);
            a = a.one_more(at(minute), policy.window_minutes);
        }
        assert_eq!(a.left(at(5), 5, 15), 0);
        assert_eq!(a.locked_until(at(5), 5, 15), Some(at(15)));
        // The window started at the first failure; it ends 15 minutes later.
        assert_eq!(a.locked_until(at(15), 5, 15), None);
        assert_eq!(a.left(at(15), 5, 15), 5);
        let fresh = a.one_more(at(16), 15);
        assert_eq!(
            fresh,
            Attempts {
                count: 1,
                since: Some(at(16))
            }
        );
    }

    #[test]
    fn the_policy_is_bounded() {
        assert!(SessionPolicy::default().validate().is_ok());
        let weak = SessionPolicy {
            code_digits: 4,
            max_wrong_codes: 0,
            ..SessionPolicy::default()
        };
        let fields: Vec<String> = weak
            .validate()
            .unwrap_err()
            .into_vec()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["code_digits", "max_wrong_codes"]);
    }

    #[test]
    fn codes_keep_their_digits() {
        assert_eq!(code_from([0; 8], 6), "000000");
        assert_eq!(code_from(7u64.to_le_bytes(), 6), "000007");
        assert_eq!(code_from(u64::MAX.to_le_bytes(), 6).len(), 6);
    }

    #[test]
    fn a_code_works_once_for_its_member_until_it_expires() {
        let policy = SessionPolicy::default();
        let record = CodeRecord::new("c1", "123456", at(0), &policy);
        assert!(record.accepts("c1", "123456", at(9)));
        assert!(!record.accepts("c1", "123457", at(1)));
        // The digest is salted with the member: the same code is not c2's.
        assert!(!record.accepts("c2", "123456", at(1)));
        // Ten minutes by default: at the tenth minute it no longer works.
        assert!(!record.accepts("c1", "123456", at(10)));
        assert!(!record.digest.contains("123456"));
    }

    #[test]
    fn a_token_lives_until_its_end_or_a_revocation_after_it() {
        let policy = SessionPolicy::default();
        let session = MemberSession::new("c1", at(0), &policy);
        assert!(session.live(at(14), None));
        assert!(!session.live(at(15), None), "15 minutes by default");
        // Renewed while live, it runs 15 minutes from the renewal.
        let renewed = session.clone().renewed(at(10), &policy);
        assert!(renewed.live(at(24), None));
        assert!(!renewed.live(at(25), None));
        // All sessions ended at minute 5 (an erasure): this one was issued before.
        assert!(!session.live(at(6), Some(at(5))));
        assert!(
            !session.live(at(6), Some(at(0))),
            "issued at the revocation instant"
        );
        // A session issued after the revocation works.
        let later = MemberSession::new("c1", at(6), &policy);
        assert!(later.live(at(7), Some(at(5))));
    }

    #[test]
    fn digests_differ_by_purpose() {
        assert_ne!(digest("123456", "code:c1"), digest("123456", "code:c2"));
        assert_eq!(digest("x", "token").len(), 64);
    }
}
