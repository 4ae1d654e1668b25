//! Bearer keys bound to roles.
//!
//! Keys come from the secret Spin variable `api_keys`:
//! `role=key,role=key,…` where a role is `webform`, `chatbot`, `staff`,
//! `scheduler`, `customer_success`, `program_manager` or `partner:<id>`.
//! A presented key is hashed (SHA-256) and compared with every configured
//! key's hash in constant time, without stopping at the first match, so
//! timing reveals neither which key nor how much of it matched.

use sha2::{Digest, Sha256};

use crate::problem::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Webform,
    Chatbot,
    Staff,
    Scheduler,
    CustomerSuccess,
    ProgramManager,
    Partner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Webform => "webform",
            Role::Chatbot => "chatbot",
            Role::Staff => "staff",
            Role::Scheduler => "scheduler",
            Role::CustomerSuccess => "customer_success",
            Role::ProgramManager => "program_manager",
            Role::Partner => "partner",
        }
    }
}

/// Who is calling: a role (and a partner id for partners) plus a short
/// fingerprint of the key, safe to record in audit events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub role: Role,
    pub partner: Option<String>,
    pub key_fingerprint: String,
}

impl Principal {
    /// `staff#1a2b3c4d`, `partner:acme#…`: how audit events name the actor.
    pub fn actor(&self) -> String {
        match &self.partner {
            Some(p) => format!("partner:{p}#{}", self.key_fingerprint),
            None => format!("{}#{}", self.role.as_str(), self.key_fingerprint),
        }
    }
}

struct Entry {
    role: Role,
    partner: Option<String>,
    digest: [u8; 32],
}

/// The configured keys.
pub struct KeyRing(Vec<Entry>);

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

fn parse_role(name: &str) -> Option<(Role, Option<String>)> {
    if let Some(id) = name.strip_prefix("partner:") {
        let valid = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        return valid.then(|| (Role::Partner, Some(id.to_string())));
    }
    let role = match name {
        "webform" => Role::Webform,
        "chatbot" => Role::Chatbot,
        "staff" => Role::Staff,
        "scheduler" => Role::Scheduler,
        "customer_success" => Role::CustomerSuccess,
        "program_manager" => Role::ProgramManager,
        _ => return None,
    };
    Some((role, None))
}

/// The credential of an `Authorization: Bearer <credential>` header.
pub fn bearer(authorization: Option<&str>) -> Result<&str, Problem> {
    let Some(header) = authorization else {
        return Err(Problem::unauthorized("send `Authorization: Bearer <key>`"));
    };
    // The scheme is case-insensitive (RFC 9110 §11.1); the credential is not.
    header
        .trim()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim())
        .filter(|k| !k.is_empty())
        .ok_or_else(|| Problem::unauthorized("the Authorization header must be `Bearer <key>`"))
}

/// Whether `a` and `b` are equal, in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl KeyRing {
    /// Parses `role=key,…`; a malformed entry is a configuration fault.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut entries = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, key) = item
                .split_once('=')
                .ok_or_else(|| "api_keys entries are role=key".to_string())?;
            let (role, partner) = parse_role(name.trim())
                .ok_or_else(|| format!("api_keys: unknown role `{}`", name.trim()))?;
            if key.len() < 16 {
                return Err(format!(
                    "api_keys: the key for `{}` is shorter than 16 characters",
                    name.trim()
                ));
            }
            entries.push(Entry {
                role,
                partner,
                digest: digest(key),
            });
        }
        Ok(KeyRing(entries))
    }

    /// Reads the ring from the component's `api_keys` variable.
    pub fn from_variables() -> Result<Self, Problem> {
        let spec = spin_sdk::variables::get("api_keys")
            .map_err(|e| Problem::internal(format!("api_keys: {e}")))?;
        KeyRing::parse(&spec).map_err(Problem::internal)
    }

    /// Authenticates an `Authorization` header value.
    pub fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, Problem> {
        let presented = digest(bearer(authorization)?);
        let mut found: Option<&Entry> = None;
        for entry in &self.0 {
            if constant_time_eq(&entry.digest, &presented) && found.is_none() {
                found = Some(entry);
            }
        }
        let entry = found.ok_or_else(|| Problem::unauthorized("the key is not valid"))?;
        let fingerprint: String = presented
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Principal {
            role: entry.role,
            partner: entry.partner.clone(),
            key_fingerprint: fingerprint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &str = "staff=staff-key-0123456789, webform=webform-key-0123456789,partner:acme=acme-key-0123456789";

    #[test]
    fn keys_map_to_roles() {
        let ring = KeyRing::parse(KEYS).unwrap();
        let p = ring
            .authenticate(Some("Bearer webform-key-0123456789"))
            .unwrap();
        assert_eq!(p.role, Role::Webform);
        let p = ring
            .authenticate(Some("Bearer acme-key-0123456789"))
            .unwrap();
        assert_eq!(
            (p.role, p.partner.as_deref()),
            (Role::Partner, Some("acme"))
        );
        assert!(p.actor().starts_with("partner:acme#"));
        for scheme in ["bearer", "BEARER", "BeArEr"] {
            let p = ring
                .authenticate(Some(&format!("{scheme} staff-key-0123456789")))
                .unwrap();
            assert_eq!(p.role, Role::Staff, "{scheme}");
        }
    }

    #[test]
    fn missing_malformed_or_wrong_keys_are_401() {
        let ring = KeyRing::parse(KEYS).unwrap();
        for header in [
            None,
            Some("staff-key-0123456789"),
            Some("Bearer "),
            Some("Bearer nope-nope-nope-nope"),
            Some("Basic abc"),
            Some("Bearerstaff-key-0123456789"),
            Some("Bearer STAFF-KEY-0123456789"),
        ] {
            let e = ring.authenticate(header).unwrap_err();
            assert_eq!(e.status, 401, "{header:?}");
        }
    }

    #[test]
    fn bad_configuration_is_refused() {
        assert!(KeyRing::parse("staff").is_err());
        assert!(KeyRing::parse("root=0123456789abcdef").is_err());
        assert!(KeyRing::parse("staff=short").is_err());
        assert!(KeyRing::parse("partner:=0123456789abcdef").is_err());
    }
}
