//! Membership cards (docs/domain.md §2; seed 004 "会员卡号编制": `755 00243` is the
//! 243rd card issued in region 755).
//!
//! A [`CardNumber`] is the region code, the card's sequence within the region
//! zero-padded, and a Luhn check digit; the type can only hold valid numbers,
//! so a typo is caught when a number is parsed. Card status changes are edges
//! of a small state machine; anything else is refused with the reason.
//! The offline verification payload (for a QR code) is signed with Ed25519:
//! a shop or partner verifies it with the programme's public key, and cannot
//! forge one.

use chrono::{DateTime, Months, NaiveDate, Utc};
pub use ed25519_dalek::SigningKey;
use ed25519_dalek::{Signature, Signer, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

/// The Luhn check digit for a string of ASCII digits.
pub fn luhn_check_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b.wrapping_sub(b'0'));
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Whether digits end in a correct Luhn check digit.
pub fn luhn_valid(digits: &str) -> bool {
    match digits
        .len()
        .checked_sub(1)
        .and_then(|n| digits.get(..n).zip(digits.get(n..)))
    {
        Some((body, check)) if !body.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            check.bytes().next().map(|c| c - b'0') == Some(luhn_check_digit(body))
        }
        _ => false,
    }
}

/// A valid card number (digits only), e.g. `755002433`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct CardNumber(String);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardNumberError {
    Region(String),
    SequenceExhausted { region: String, digits: u32 },
    Format(String),
    CheckDigit(String),
}

impl std::fmt::Display for CardNumberError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CardNumberError::Region(r) => {
                write!(f, "`{r}` is not a region code (three digits, 100 to 999)")
            }
            CardNumberError::SequenceExhausted { region, digits } => {
                write!(
                    f,
                    "region {region} has used all {digits}-digit card sequences"
                )
            }
            CardNumberError::Format(s) => {
                write!(f, "`{s}` is not a card number (digits, spaces or dashes)")
            }
            CardNumberError::CheckDigit(s) => {
                write!(f, "`{s}` fails its check digit: probably a typing error")
            }
        }
    }
}

/// Checks a region code: three digits, 100 to 999.
pub fn validate_region(region: &str) -> Result<(), CardNumberError> {
    let ok =
        region.len() == 3 && region.bytes().all(|b| b.is_ascii_digit()) && !region.starts_with('0');
    if ok {
        Ok(())
    } else {
        Err(CardNumberError::Region(region.to_string()))
    }
}

impl CardNumber {
    /// The number of the `sequence`-th card of `region`.
    pub fn issue(
        region: &str,
        sequence: u64,
        sequence_digits: u32,
    ) -> Result<Self, CardNumberError> {
        validate_region(region)?;
        let limit = 10u64.checked_pow(sequence_digits).unwrap_or(u64::MAX);
        if sequence == 0 || sequence >= limit {
            return Err(CardNumberError::SequenceExhausted {
                region: region.to_string(),
                digits: sequence_digits,
            });
        }
        let body = format!(
            "{region}{sequence:0width$}",
            width = sequence_digits as usize
        );
        let check = luhn_check_digit(&body);
        Ok(CardNumber(format!("{body}{check}")))
    }

    /// Parses a typed number; spaces and dashes are ignored.
    pub fn parse(text: &str) -> Result<Self, CardNumberError> {
        let digits: String = text.chars().filter(|c| *c != ' ' && *c != '-').collect();
        if digits.len() < 6 || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardNumberError::Format(text.to_string()));
        }
        if !luhn_valid(&digits) {
            return Err(CardNumberError::CheckDigit(text.to_string()));
        }
        Ok(CardNumber(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn region(&self) -> &str {
        self.0.get(..3).unwrap_or("")
    }

    /// Printed form: region, sequence, check digit (`755 00243 3`).
    pub fn display(&self) -> String {
        let n = self.0.len();
        format!(
            "{} {} {}",
            self.0.get(..3).unwrap_or(""),
            self.0.get(3..n - 1).unwrap_or(""),
            self.0.get(n - 1..).unwrap_or("")
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardStatus {
    Active,
    Suspended,
    Lost,
    Replaced,
    Revoked,
    Expired,
}

impl CardStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CardStatus::Active => "active",
            CardStatus::Suspended => "suspended",
            CardStatus::Lost => "lost",
            CardStatus::Replaced => "replaced",
            CardStatus::Revoked => "revoked",
            CardStatus::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            CardStatus::Active,
            CardStatus::Suspended,
            CardStatus::Lost,
            CardStatus::Replaced,
            CardStatus::Revoked,
            CardStatus::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Whether a point of sale may accept the card (an invalid card earns nothing, 004).
    pub fn accepted(self) -> bool {
        self == CardStatus::Active
    }
}

/// What can happen to a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardEvent {
    Suspend,
    Reactivate,
    ReportLost,
    /// A new card replaces this one (tier change, or after a loss).
    Replace,
    Revoke,
    Expire,
}

impl CardEvent {
    /// The event as a past participle: "reported lost".
    pub fn done(self) -> &'static str {
        match self {
            CardEvent::Suspend => "suspended",
            CardEvent::Reactivate => "reactivated",
            CardEvent::ReportLost => "reported lost",
            CardEvent::Replace => "replaced",
            CardEvent::Revoke => "revoked",
            CardEvent::Expire => "expired",
        }
    }
}

/// What a point of sale is told about a presented card: accept it or not, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub accepted: bool,
    pub reason: String,
}

/// The verdict on a card presented at `now` (an invalid card is refused and earns nothing, 004).
pub fn verdict(
    status: CardStatus,
    tier: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Verdict {
    let expires_on = expires_at.format("%Y-%m-%d");
    let (accepted, reason) = match effective_status(status, expires_at, now) {
        CardStatus::Active => (true, format!("valid {tier} card until {expires_on}")),
        CardStatus::Suspended => (
            false,
            "the card is suspended: refuse it; it earns nothing".to_string(),
        ),
        CardStatus::Lost => (
            false,
            "the card was reported lost: refuse and retain it; it earns nothing".to_string(),
        ),
        CardStatus::Replaced => (
            false,
            "the card was replaced by a newer card: refuse it; it earns nothing".to_string(),
        ),
        CardStatus::Revoked => (
            false,
            "the card was revoked: refuse and retain it; it earns nothing".to_string(),
        ),
        CardStatus::Expired => (
            false,
            format!("the card expired on {expires_on}: refuse it; it earns nothing"),
        ),
    };
    Verdict { accepted, reason }
}

/// A refused card transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardTransitionError {
    pub from: CardStatus,
    pub event: CardEvent,
}

impl std::fmt::Display for CardTransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a {} card cannot be {}",
            self.from.as_str(),
            self.event.done()
        )
    }
}

/// The card state machine.
pub fn transition(from: CardStatus, event: CardEvent) -> Result<CardStatus, CardTransitionError> {
    use CardEvent as E;
    use CardStatus as S;
    let to = match (from, event) {
        (S::Active, E::Suspend) => S::Suspended,
        (S::Suspended, E::Reactivate) => S::Active,
        (S::Active | S::Suspended, E::ReportLost) => S::Lost,
        (S::Active | S::Suspended, E::Replace) => S::Replaced,
        (S::Active | S::Suspended | S::Lost, E::Revoke) => S::Revoked,
        (S::Active | S::Suspended, E::Expire) => S::Expired,
        _ => return Err(CardTransitionError { from, event }),
    };
    Ok(to)
}

/// The status a card has at `now`: an active card past its expiry is expired.
pub fn effective_status(
    status: CardStatus,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> CardStatus {
    if matches!(status, CardStatus::Active | CardStatus::Suspended) && now >= expires_at {
        CardStatus::Expired
    } else {
        status
    }
}

/// When a card issued at `issued_at` expires.
pub fn expiry(issued_at: DateTime<Utc>, validity_months: u32) -> Option<DateTime<Utc>> {
    issued_at.checked_add_months(Months::new(validity_months))
}

/// Why a card is to be issued (a card order, written with the event that
/// causes it: an approval, a tier change, a loss, a staff request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// The member needs a valid card: none if one is held already.
    Issue,
    /// The tier changed: the card in use is replaced by one with the new tier.
    Reissue,
    /// The card was lost: a new card with a new number.
    ReplaceLost,
}

impl OrderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Issue => "issue",
            OrderKind::Reissue => "reissue",
            OrderKind::ReplaceLost => "replace_lost",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [OrderKind::Issue, OrderKind::Reissue, OrderKind::ReplaceLost]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// The card a member holds now (`active` or `suspended`), as an order sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldCard {
    pub status: CardStatus,
    pub expires_at: DateTime<Utc>,
}

/// What fulfilling an order does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderPlan {
    /// The member keeps the card held: nothing is issued.
    KeepHeld,
    /// Issue a new card; first move the held card (if any) to this status.
    Issue { end_held_as: Option<CardStatus> },
}

/// Decides what an order does given the card the member holds at `now`:
/// a member holds at most one card in use, and sequences are never spent on
/// a card that is not needed.
pub fn plan_order(
    kind: OrderKind,
    held: Option<HeldCard>,
    now: DateTime<Utc>,
) -> Result<OrderPlan, CardTransitionError> {
    let Some(held) = held else {
        return Ok(OrderPlan::Issue { end_held_as: None });
    };
    let expired = effective_status(held.status, held.expires_at, now) == CardStatus::Expired;
    let event = match (kind, expired) {
        (_, true) => CardEvent::Expire,
        (OrderKind::Issue, false) => return Ok(OrderPlan::KeepHeld),
        (OrderKind::Reissue | OrderKind::ReplaceLost, false) => CardEvent::Replace,
    };
    Ok(OrderPlan::Issue {
        end_held_as: Some(transition(held.status, event)?),
    })
}

/// What an offline verifier learns from a payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedPayload {
    pub card_number: CardNumber,
    pub tier: String,
    pub expires_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    Format,
    Card(CardNumberError),
    Signature,
}

impl std::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PayloadError::Format => f.write_str("not a card payload (VIP1.<card>.<tier>.<YYYY-MM-DD>.<signature>)"),
            PayloadError::Card(e) => write!(f, "{e}"),
            PayloadError::Signature => f.write_str("the signature does not match: the payload was altered or not issued by this programme"),
        }
    }
}

const PAYLOAD_PREFIX: &str = "VIP1";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

/// The signing key from its 32-byte seed (hex, from a secret variable).
pub fn signing_key(seed_hex: &str) -> Option<SigningKey> {
    let bytes: [u8; 32] = unhex(seed_hex.trim())?.try_into().ok()?;
    Some(SigningKey::from_bytes(&bytes))
}

/// The public key partners verify with, as hex.
pub fn public_key_hex(key: &SigningKey) -> String {
    hex(key.verifying_key().as_bytes())
}

/// `VIP1.<card>.<tier>.<YYYY-MM-DD>.<ed25519 signature of everything before it, hex>`.
pub fn sign_payload(
    key: &SigningKey,
    card: &CardNumber,
    tier: &str,
    expires_on: NaiveDate,
) -> String {
    let message = format!("{PAYLOAD_PREFIX}.{}.{tier}.{expires_on}", card.as_str());
    let signature = key.sign(message.as_bytes());
    format!("{message}.{}", hex(&signature.to_bytes()))
}

/// Verifies a payload offline with the programme's public key (hex).
pub fn verify_payload(
    public_key_hex: &str,
    payload: &str,
) -> Result<VerifiedPayload, PayloadError> {
    let (message, signature) = payload.rsplit_once('.').ok_or(PayloadError::Format)?;
    let mut parts = message.split('.');
    let (Some(PAYLOAD_PREFIX), Some(card), Some(tier), Some(date), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(PayloadError::Format);
    };
    let card_number = CardNumber::parse(card).map_err(PayloadError::Card)?;
    let expires_on =
        NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| PayloadError::Format)?;
    let key_bytes: [u8; 32] = unhex(public_key_hex)
        .and_then(|b| b.try_into().ok())
        .ok_or(PayloadError::Signature)?;
    let key = VerifyingKey::from_bytes(&key_bytes).map_err(|_| PayloadError::Signature)?;
    let sig_bytes: [u8; 64] = unhex(signature)
        .and_then(|b| b.try_into().ok())
        .ok_or(PayloadError::Format)?;
    key.verify(message.as_bytes(), &Signature::from_bytes(&sig_bytes))
        .map_err(|_| PayloadError::Signature)?;
    Ok(VerifiedPayload {
        card_number,
        tier: tier.to_string(),
        expires_on,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";

    #[test]
    fn the_seed_example_and_its_check_digit() {
        let n = CardNumber::issue("755", 243, 5).unwrap();
        assert_eq!(n.as_str(), "755002433");
        assert_eq!(n.display(), "755 00243 3");
        assert_eq!(n.region(), "755");
        assert_eq!(CardNumber::parse("755 00243 3").unwrap(), n);
        assert!(matches!(
            CardNumber::parse("755 00243 4"),
            Err(CardNumberError::CheckDigit(_))
        ));
        assert!(matches!(
            CardNumber::parse("755 0O243 3"),
            Err(CardNumberError::Format(_))
        ));
    }

    #[test]
    fn regions_and_exhausted_sequences_are_refused() {
        assert!(matches!(
            CardNumber::issue("75", 1, 5),
            Err(CardNumberError::Region(_))
        ));
        assert!(matches!(
            CardNumber::issue("055", 1, 5),
            Err(CardNumberError::Region(_))
        ));
        assert!(CardNumber::issue("755", 99_999, 5).is_ok());
        assert!(matches!(
            CardNumber::issue("755", 100_000, 5),
            Err(CardNumberError::SequenceExhausted { .. })
        ));
        assert!(matches!(
            CardNumber::issue("755", 0, 5),
            Err(CardNumberError::SequenceExhausted { .. })
        ));
    }

    #[test]
    fn card_state_machine() {
        use CardEvent as E;
        use CardStatus as S;
        assert_eq!(transition(S::Active, E::ReportLost), Ok(S::Lost));
        assert_eq!(transition(S::Active, E::Replace), Ok(S::Replaced));
        assert_eq!(transition(S::Suspended, E::Reactivate), Ok(S::Active));
        let err = transition(S::Lost, E::ReportLost).unwrap_err();
        assert_eq!(err.to_string(), "a lost card cannot be reported lost");
        for terminal in [S::Replaced, S::Revoked, S::Expired] {
            for event in [
                E::Suspend,
                E::Reactivate,
                E::ReportLost,
                E::Replace,
                E::Expire,
            ] {
                assert!(
                    transition(terminal, event).is_err(),
                    "{terminal:?} {event:?}"
                );
            }
        }
        assert!(S::Active.accepted() && !S::Lost.accepted() && !S::Expired.accepted());
        for s in [
            S::Active,
            S::Suspended,
            S::Lost,
            S::Replaced,
            S::Revoked,
            S::Expired,
        ] {
            assert_eq!(S::parse(s.as_str()), Some(s));
        }
        assert_eq!(S::parse("stolen"), None);
    }

    #[test]
    fn expiry_is_effective_without_a_job() {
        use chrono::TimeZone;
        let issued = Utc.with_ymd_and_hms(2026, 1, 31, 10, 0, 0).unwrap();
        let expires = expiry(issued, 24).unwrap();
        assert_eq!(
            expires,
            Utc.with_ymd_and_hms(2028, 1, 31, 10, 0, 0).unwrap()
        );
        assert_eq!(
            effective_status(CardStatus::Active, expires, issued),
            CardStatus::Active
        );
        assert_eq!(
            effective_status(CardStatus::Active, expires, expires),
            CardStatus::Expired
        );
        assert_eq!(
            effective_status(CardStatus::Lost, expires, expires),
            CardStatus::Lost
        );
    }

    #[test]
    fn verdicts_refuse_every_card_not_in_use() {
        use chrono::TimeZone;
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let later = now + chrono::Duration::days(30);
        let v = verdict(CardStatus::Active, "gold", later, now);
        assert!(
            v.accepted && v.reason == "valid gold card until 2026-07-01",
            "{v:?}"
        );
        let v = verdict(CardStatus::Active, "gold", now, now);
        assert!(
            !v.accepted && v.reason.contains("expired on 2026-06-01"),
            "{v:?}"
        );
        for s in [
            CardStatus::Suspended,
            CardStatus::Lost,
            CardStatus::Replaced,
            CardStatus::Revoked,
            CardStatus::Expired,
        ] {
            let v = verdict(s, "gold", later, now);
            assert!(!v.accepted && v.reason.contains("earns nothing"), "{s:?}");
        }
    }

    #[test]
    fn orders_issue_only_the_cards_needed() {
        use chrono::TimeZone;
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let valid = HeldCard {
            status: CardStatus::Active,
            expires_at: now + chrono::Duration::days(1),
        };
        let expired = HeldCard {
            expires_at: now,
            ..valid
        };
        let issue_new = |end| Ok(OrderPlan::Issue { end_held_as: end });
        assert_eq!(plan_order(OrderKind::Issue, None, now), issue_new(None));
        assert_eq!(
            plan_order(OrderKind::Issue, Some(valid), now),
            Ok(OrderPlan::KeepHeld)
        );
        assert_eq!(
            plan_order(OrderKind::Issue, Some(expired), now),
            issue_new(Some(CardStatus::Expired))
        );
        assert_eq!(
            plan_order(OrderKind::Reissue, Some(valid), now),
            issue_new(Some(CardStatus::Replaced))
        );
        assert_eq!(
            plan_order(OrderKind::ReplaceLost, None, now),
            issue_new(None)
        );
        for kind in [OrderKind::Issue, OrderKind::Reissue, OrderKind::ReplaceLost] {
            assert_eq!(OrderKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn payloads_verify_offline_and_tampering_is_caught() {
        let key = signing_key(SEED).unwrap();
        let public = public_key_hex(&key);
        let card = CardNumber::issue("755", 243, 5).unwrap();
        let date = NaiveDate::from_ymd_opt(2028, 1, 31).unwrap();
        let payload = sign_payload(&key, &card, "gold", date);
        assert!(payload.starts_with("VIP1.755002433.gold.2028-01-31."));
        let v = verify_payload(&public, &payload).unwrap();
        assert_eq!(
            (v.card_number, v.tier.as_str(), v.expires_on),
            (card, "gold", date)
        );
        let forged = payload.replace(".gold.", ".diamond.");
        assert_eq!(
            verify_payload(&public, &forged),
            Err(PayloadError::Signature)
        );
        let other = public_key_hex(&signing_key(&"11".repeat(32)).unwrap());
        assert_eq!(
            verify_payload(&other, &payload),
            Err(PayloadError::Signature)
        );
        assert_eq!(
            verify_payload(&public, "garbage"),
            Err(PayloadError::Format)
        );
        assert!(signing_key("nothex").is_none());
    }

    proptest! {
        #[test]
        fn issued_numbers_are_always_luhn_valid_and_round_trip(region in 100u32..1000, seq in 1u64..99_999) {
            let n = CardNumber::issue(&region.to_string(), seq, 5).unwrap();
            prop_assert!(luhn_valid(n.as_str()));
            prop_assert_eq!(CardNumber::parse(&n.display()).unwrap(), n);
        }

        #[test]
        fn any_single_digit_typo_is_caught(region in 100u32..1000, seq in 1u64..99_999, pos in 0usize..9, delta in 1u8..10) {
            let n = CardNumber::issue(&region.to_string(), seq, 5).unwrap();
            let mut bytes = n.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert!(CardNumber::parse(&typo).is_err(), "{} -> {}", n.as_str(), typo);
        }
    }
}
