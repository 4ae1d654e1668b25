//! Standard Webhooks 1.0 (ARCHITECTURE.md; https://www.standardwebhooks.com):
//! the signature partners put on the webhooks they send us, and the one we
//! put on ours. The signed content is `{webhook-id}.{webhook-timestamp}.{body}`,
//! signed with HMAC-SHA256 under the secret (`whsec_` + base64 key); the
//! `webhook-signature` header lists space-separated `v1,<base64>` signatures
//! (several during a key rotation). A timestamp more than the tolerance away
//! from now is refused, so a captured delivery cannot be replayed later; the
//! `webhook-id` is the idempotency key against replays within it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Seconds a webhook's timestamp may be away from now (the standard's 5 minutes).
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 300;

/// A webhook signing secret: the key behind `whsec_<base64>`.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

impl Secret {
    /// Parses `whsec_<base64 key>` (at least 16 bytes of key).
    pub fn parse(text: &str) -> Result<Secret, String> {
        let encoded = text
            .trim()
            .strip_prefix("whsec_")
            .ok_or("a webhook secret starts with whsec_")?;
        let key = STANDARD
            .decode(encoded)
            .map_err(|_| "a webhook secret is whsec_ followed by base64".to_string())?;
        if key.len() < 16 {
            return Err("a webhook secret's key has at least 16 bytes".into());
        }
        Ok(Secret(key))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return Vec::new();
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    /// The `webhook-signature` header value for a delivery.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        format!("v1,{}", STANDARD.encode(self.mac(id, timestamp, body)))
    }
}

/// Why a webhook is refused (each is a 401: nothing is applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// A `webhook-id`, `webhook-timestamp` or `webhook-signature` header is missing.
    Unsigned(&'static str),
    /// The timestamp is not whole seconds since the epoch.
    BadTimestamp,
    /// Further than the tolerance from now (seconds off, positive: in the past).
    Stale { seconds_off: i64 },
    /// No `v1` signature in the header matches.
    BadSignature,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Unsigned(header) => write!(f, "the {header} header is missing"),
            Refused::BadTimestamp => {
                f.write_str("webhook-timestamp is not seconds since the epoch")
            }
            Refused::Stale { seconds_off } => write!(
                f,
                "webhook-timestamp is {} s {} now, beyond the tolerance",
                seconds_off.abs(),
                if *seconds_off >= 0 { "before" } else { "after" }
            ),
            Refused::BadSignature => f.write_str("no webhook-signature matches the body"),
        }
    }
}

/// The three headers of a delivery, as received.
#[derive(Debug, Clone, Copy)]
pub struct Headers<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Verifies a delivery against any of `secrets` (more than one during a
/// rotation); answers the `webhook-id`, the delivery's idempotency key.
pub fn verify<'a>(
    secrets: &[Secret],
    headers: Headers<'a>,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance_seconds: i64,
) -> Result<&'a str, Refused> {
    let id = headers.id.ok_or(Refused::Unsigned("webhook-id"))?;
    let timestamp = headers
        .timestamp
        .ok_or(Refused::Unsigned("webhook-timestamp"))?;
    let signature = headers
        .signature
        .ok_or(Refused::Unsigned("webhook-signature"))?;
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| Refused::BadTimestamp)?;
    let seconds_off = now.timestamp() - ts;
    if seconds_off.abs() > tolerance_seconds {
        return Err(Refused::Stale { seconds_off });
    }
    let offered: Vec<Vec<u8>> = signature
        .split_whitespace()
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|b| STANDARD.decode(b).ok())
        .collect();
    let matches = secrets.iter().any(|secret| {
        let expected = secret.mac(id, ts, body);
        offered
            .iter()
            .any(|o| bool::from(o.as_slice().ct_eq(expected.as_slice())))
    });
    if matches {
        Ok(id)
    } else {
        Err(Refused::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The test vector of the Standard Webhooks reference libraries.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1_614_265_330;
    const BODY: &str = r#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn at(ts: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(ts, 0).unwrap()
    }

    fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> Headers<'a> {
        Headers {
            id: Some(id),
            timestamp: Some(ts),
            signature: Some(sig),
        }
    }

    #[test]
    fn the_reference_vector_signs_and_verifies() {
        let secret = Secret::parse(SECRET).unwrap();
        assert_eq!(secret.sign(ID, TS, BODY.as_bytes()), SIGNATURE);
        let ts = TS.to_string();
        assert_eq!(
            verify(
                &[secret],
                headers(ID, &ts, SIGNATURE),
                BODY.as_bytes(),
                at(TS + 10),
                300
            ),
            Ok(ID)
        );
    }

    #[test]
    fn tampering_staleness_and_missing_headers_are_refused() {
        let secret = Secret::parse(SECRET).unwrap();
        let ts = TS.to_string();
        fn check<'a>(
            secret: &Secret,
            h: Headers<'a>,
            body: &str,
            now: i64,
        ) -> Result<&'a str, Refused> {
            verify(
                std::slice::from_ref(secret),
                h,
                body.as_bytes(),
                at(now),
                DEFAULT_TOLERANCE_SECONDS,
            )
        }
        assert_eq!(
            check(
                &secret,
                headers(ID, &ts, SIGNATURE),
                r#"{"test": 2432232315}"#,
                TS
            ),
            Err(Refused::BadSignature)
        );
        assert_eq!(
            check(&secret, headers("msg_other", &ts, SIGNATURE), BODY, TS),
            Err(Refused::BadSignature)
        );
        assert_eq!(
            check(&secret, headers(ID, &ts, SIGNATURE), BODY, TS + 301),
            Err(Refused::Stale { seconds_off: 301 })
        );
        assert_eq!(
            check(&secret, headers(ID, &ts, SIGNATURE), BODY, TS - 301),
            Err(Refused::Stale { seconds_off: -301 })
        );
        assert_eq!(
            check(&secret, headers(ID, &ts, SIGNATURE), BODY, TS + 300),
            Ok(ID)
        );
        assert_eq!(
            check(&secret, headers(ID, "yesterday", SIGNATURE), BODY, TS),
            Err(Refused::BadTimestamp)
        );
        let unsigned = Headers {
            signature: None,
            ..headers(ID, &ts, SIGNATURE)
        };
        assert_eq!(
            check(&secret, unsigned, BODY, TS),
            Err(Refused::Unsigned("webhook-signature"))
        );
        // Several signatures (a rotation): one match is enough; other versions are ignored.
        let several = format!("v2,abc v1,bm90IGl0 {SIGNATURE}");
        assert_eq!(check(&secret, headers(ID, &ts, &several), BODY, TS), Ok(ID));
        // Another secret (the old one, during a rotation) also verifies.
        let other = Secret::parse("whsec_c2VjcmV0LWtleS1mb3ItdGVzdHMtMDE=").unwrap();
        let theirs = other.sign(ID, TS, BODY.as_bytes());
        assert_eq!(
            verify(
                &[secret.clone(), other],
                headers(ID, &ts, &theirs),
                BODY.as_bytes(),
                at(TS),
                300
            ),
            Ok(ID)
        );
    }

    #[test]
    fn secrets_must_be_whsec_base64_of_16_bytes_or_more() {
        assert!(Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_err());
        assert!(Secret::parse("whsec_not base64!").is_err());
        assert!(Secret::parse("whsec_c2hvcnQ=").is_err());
        assert_eq!(
            format!("{:?}", Secret::parse(SECRET).unwrap()),
            "Secret(redacted)"
        );
    }
}
