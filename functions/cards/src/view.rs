//! Cards as stored and as shown: the status a card has now (an active card
//! past its expiry is expired without any job), the card it replaced and
//! the one that replaced it, and, for a card in use, the signed payload of
//! its QR code.

use chrono::{DateTime, Utc};

use serde::Serialize;
use spin_sdk::sqlite::RowResult;
use vip_domain::card::{self, CardNumber, CardStatus, SigningKey};
use vip_kit::db::{int, opt_text, parse_timestamp, text, timestamp_text, Db, Value};
use vip_kit::{Ctx, Problem};
use vip_store::cards::parse_status;

/// A card as stored.
pub struct Card {
    pub number: CardNumber,
    pub customer_id: String,
    pub region: String,
    pub sequence: i64,
    pub tier: String,
    /// As stored; [`Card::status_at`] is what it is now.
    pub stored_status: CardStatus,
    pub issued_at: String,
    pub expires_at: DateTime<Utc>,
    pub replaces: Option<String>,
    pub replaced_by: Option<String>,
}

const COLUMNS: &str =
    "c.number, c.customer_id, c.region, c.sequence, c.tier, c.status, c.issued_at,
     c.expires_at, c.replaces, (SELECT n.number FROM cards n WHERE n.replaces = c.number)";

fn card(row: &RowResult) -> Result<Card, Problem> {
    Ok(Card {
        number: CardNumber::parse(&text(row, 0)?).map_err(Problem::internal)?,
        customer_id: text(row, 1)?,
        region: text(row, 2)?,
        sequence: int(row, 3)?,
        tier: text(row, 4)?,
        stored_status: parse_status(&text(row, 5)?)?,
        issued_at: text(row, 6)?,
        expires_at: parse_timestamp(&text(row, 7)?)?,
        replaces: opt_text(row, 8),
        replaced_by: opt_text(row, 9),
    })
}

impl Card {
    pub fn status_at(&self, now: DateTime<Utc>) -> CardStatus {
        card::effective_status(self.stored_status, self.expires_at, now)
    }
}

/// The card with this number, or 404.
pub fn by_number(db: &Db, number: &CardNumber) -> Result<Card, Problem> {
    let row = db
        .first(
            &format!("SELECT {COLUMNS} FROM cards c WHERE c.number = ?"),
            &[Value::Text(number.as_str().into())],
        )?
        .ok_or_else(|| Problem::not_found(format!("no card {} was issued", number.display())))?;
    card(&row)
}

/// A member's cards, newest first.
pub fn of_customer(db: &Db, customer_id: &str) -> Result<Vec<Card>, Problem> {
    db.exec(
        &format!("SELECT {COLUMNS} FROM cards c WHERE c.customer_id = ? ORDER BY c.issued_at DESC, c.sequence DESC"),
        &[Value::Text(customer_id.into())],
    )?
    .rows
    .iter()
    .map(card)
    .collect()
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
        customer_id: card.customer_id.clone(),
        region: card.region.clone(),
        sequence: card.sequence,
        tier: card.tier.clone(),
        status,
        issued_at: card.issued_at.clone(),
        expires_at: timestamp_text(card.expires_at),
        replaces: card.replaces.clone(),
        replaced_by: card.replaced_by.clone(),
        verification_payload: status.accepted().then(|| {
            card::sign_payload(key, &card.number, &card.tier, card.expires_at.date_naive())
        }),
    }
}
