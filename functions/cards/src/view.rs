//! Cards as shown (stored ones are `vip_store::cards::Card`): the status a
//! card has now (an active card past its expiry is expired without any job),
//! the card it replaced and the one that replaced it, and, for a card in
//! use, the signed payload of its QR code.

use serde::Serialize;
use vip_domain::card::{self, CardNumber, CardStatus, SigningKey};
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::cards::{self as store, Card};

/// The card with this number, or 404.
pub fn by_number(db: &Db, number: &CardNumber) -> Result<Card, Problem> {
    store::find(db, number)?
        .ok_or_else(|| Problem::not_found(format!("no card {} was issued", number.display())))
}

/// A typed card number (`{number}` or a body field); a typo is a 400 naming the field.
pub fn parse_number(text: &str, field: &str) -> Result<CardNumber, Problem> {
    CardNumber::parse(text).map_err(|e| Problem::field(field, e.to_string()))
}

/// The programme's signing key, from the secret variable `card_signing_key`
/// (64 hex digits: an Ed25519 seed).
pub fn signing_key() -> Result<SigningKey, Problem> {
    let seed = spin_sdk::variables::get("card_signing_key")
        .map_err(|e| Problem::internal(format!("card_signing_key: {e}")))?;
    card::signing_key(&seed).ok_or_else(|| {
        Problem::internal("card_signing_key must be 64 hex digits (an Ed25519 seed)")
    })
}

#[derive(Serialize)]
pub struct CardView {
    number: String,
    display: String,
    customer_id: String,
    region: String,
    sequence: i64,
    tier: String,
    status: CardStatus,
    issued_at: String,
    expires_at: String,
    replaces: Option<String>,
    replaced_by: Option<String>,
    /// For the QR code of a card in use: verifiable offline with the key at
    /// `GET /api/v1/cards/verification-key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    verification_payload: Option<String>,
}

pub fn show(card: &Card, key: &SigningKey, ctx: &Ctx<'_>) -> CardView {
    let status = card.status_at(ctx.now);
    CardView {
        number: card.number.as_str().to_string(),
        display: card.number.display(),
        customer_id: card.customer_id.as_str().to_string(),
        region: card.region.clone(),
        sequence: card.sequence,
        tier: card.tier.clone(),
        status,
        issued_at: timestamp_text(card.issued_at),
        expires_at: timestamp_text(card.expires_at),
        replaces: card.replaces.clone(),
        replaced_by: card.replaced_by.clone(),
        verification_payload: status.accepted().then(|| {
            card::sign_payload(key, &card.number, &card.tier, card.expires_at.date_naive())
        }),
    }
}
