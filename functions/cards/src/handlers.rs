//! The card operations. Each effect is one statement: a loss blocks the card
//! and orders its replacement in the same UPDATE (SQL trigger), and orders are
//! fulfilled by `vip_store::cards`, re-runnably.

use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::card::{self, plan_order, CardEvent, OrderKind, OrderPlan};
use vip_domain::customer::CustomerId;
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::cards::{self, fulfil_pending, held_card, Fulfilment};
use vip_store::memberships::tier_of;

use crate::view::{by_number, parse_number, show, signing_key};

/// Customers whose pending orders one catch-up call fulfils.
const CATCH_UP_LIMIT: i64 = 500;

fn customer_id(text: &str, field: &str) -> Result<CustomerId, Problem> {
    CustomerId::parse(text).map_err(|m| Problem::field(field, m))
}

/// 404 unless the customer holds a membership.
fn require_member(db: &Db, id: &CustomerId) -> Result<(), Problem> {
    tier_of(db, id)?.map(|_| ()).ok_or_else(|| {
        Problem::not_found(format!(
            "customer `{}` holds no membership (cards are issued to approved members)",
            id.as_str()
        ))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueBody {
    customer_id: String,
    /// Region code (three digits); default: the variable `card_region`.
    #[serde(default)]
    region: Option<String>,
}

/// `POST /api/v1/cards`: a card for a member who holds none in use (the
/// first after an expiry or a revocation). Approvals, tier changes and losses
/// issue their cards themselves.
pub fn issue(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let body: IssueBody = read_json(ctx.req)?;
    let id = customer_id(&body.customer_id, "customer_id")?;
    if let Some(region) = &body.region {
        card::validate_region(region).map_err(|e| Problem::field("region", e.to_string()))?;
    }
    let db = Db::open()?;
    require_member(&db, &id)?;
    vip_store::memberships::require_active(&db, &id)?;
    let key = signing_key()?;
    // The domain's rule for an issue order: a member holding a valid card keeps it.
    if let Some(held) = held_card(&db, &id)? {
        if plan_order(OrderKind::Issue, Some(held.card), ctx.now) == Ok(OrderPlan::KeepHeld) {
            return Err(Problem::conflict(
                "card-in-use",
                "The member already holds a card",
                format!(
                    "card {} is {}; report it lost to replace it",
                    held.number.display(),
                    held.card.status.as_str()
                ),
            ));
        }
    }
    let order = format!("request-{}-{}", id.as_str(), ctx.now.timestamp_micros());
    cards::order_issue(&db, &order, &id, body.region.as_deref(), ctx.now)?;
    let done = fulfil_pending(&db, ctx, id.as_str())?;
    let number = done
        .iter()
        .find(|(o, _)| *o == order)
        .map(|(_, n)| n.clone())
        .ok_or_else(|| Problem::internal("the card order was not fulfilled"))?;
    let issued = by_number(&db, &parse_number(&number, "number")?)?;
    Ok(vip_kit::json(201, &show(&issued, &key, ctx)))
}

/// `GET /api/v1/cards?customer_id=…` (and `/api/v1/me/cards`): a member's
/// cards, newest first.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = customer_id(
        &ctx.customer_filter().ok_or_else(|| {
            Problem::field("customer_id", "is required, like ?customer_id=C-1001")
        })?,
        "customer_id",
    )?;
    let db = Db::open()?;
    require_member(&db, &id)?;
    let key = signing_key()?;
    let shown: Vec<_> = cards::of_customer(&db, &id)?
        .iter()
        .map(|c| show(c, &key, ctx))
        .collect();
    Ok(vip_kit::json(
        200,
        &json!({ "customer_id": id.as_str(), "cards": shown }),
    ))
}

/// `GET /api/v1/cards/{number}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let number = parse_number(ctx.param("number"), "number")?;
    let card = by_number(&Db::open()?, &number)?;
    Ok(vip_kit::json(200, &show(&card, &signing_key()?, ctx)))
}

/// `GET /api/v1/cards/verification-key`: what a shop needs to check a QR code offline.
pub fn verification_key(_: &mut Ctx<'_>) -> Result<Response, Problem> {
    let key = signing_key()?;
    Ok(vip_kit::json(
        200,
        &json!({
            "algorithm": "Ed25519",
            "public_key": card::public_key_hex(&key),
            "payload_format": "VIP1.<card number>.<tier>.<expires on, YYYY-MM-DD>.<signature, hex>",
            "signed_message": "everything before the last `.`, as UTF-8 bytes",
            "accept_when": "the signature verifies with public_key and the expiry date has not passed; ask POST /api/v1/cards/verify when online, since a lost card's payload stays validly signed",
        }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    #[serde(default)]
    number: Option<String>,
    #[serde(default)]
    payload: Option<String>,
}

/// `POST /api/v1/cards/verify`: at a point of sale, by the typed number or the
/// scanned payload. Known cards answer 200 with `accepted` and why; a number
/// with a typo or a payload not signed by the programme is a 400.
pub fn verify(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let body: VerifyBody = read_json(ctx.req)?;
    let key = signing_key()?;
    let (number, by) = match (body.number, body.payload) {
        (Some(n), None) => (parse_number(&n, "number")?, "number"),
        (None, Some(p)) => {
            let verified = card::verify_payload(&card::public_key_hex(&key), p.trim())
                .map_err(|e| Problem::field("payload", e.to_string()))?;
            (verified.card_number, "payload")
        }
        _ => {
            return Err(Problem::field(
                "body",
                "give exactly one of `number` or `payload`",
            ))
        }
    };
    let card = by_number(&Db::open()?, &number)?;
    let verdict = card::verdict(card.stored_status, &card.tier, card.expires_at, ctx.now);
    Ok(vip_kit::json(
        200,
        &json!({
            "number": card.number.as_str(),
            "display": card.number.display(),
            "checked_by": by,
            "status": card.status_at(ctx.now),
            "tier": card.tier,
            "expires_on": card.expires_at.date_naive(),
            "accepted": verdict.accepted,
            "reason": verdict.reason,
            "replaced_by": card.replaced_by,
        }),
    ))
}

/// `POST /api/v1/cards/{number}/report-lost`: the member reported the card
/// lost (identity checked by staff). The number is blocked at once and a
/// replacement with a new number is issued; points stay on the membership.
pub fn report_lost(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let number = parse_number(ctx.param("number"), "number")?;
    let db = Db::open()?;
    let key = signing_key()?;
    let lost = by_number(&db, &number)?;
    card::transition(lost.status_at(ctx.now), CardEvent::ReportLost).map_err(refused)?;
    let blocked = cards::report_lost(&db, &number, lost.stored_status, &ctx.actor(), ctx.now)?;
    let holder = blocked.ok_or_else(changed_meanwhile)?;
    fulfil_pending(&db, ctx, holder.as_str())?;
    let lost = by_number(&db, &number)?;
    let replacement = lost
        .replaced_by
        .as_deref()
        .map(|n| parse_number(n, "number").and_then(|n| by_number(&db, &n)))
        .transpose()?
        .ok_or_else(|| Problem::internal("no replacement after the loss"))?;
    Ok(vip_kit::json(
        201,
        &json!({ "lost": show(&lost, &key, ctx), "replacement": show(&replacement, &key, ctx) }),
    ))
}

fn refused(e: card::CardTransitionError) -> Problem {
    Problem::conflict(
        "invalid-card-transition",
        "That does not apply to this card",
        e.to_string(),
    )
}

fn changed_meanwhile() -> Problem {
    Problem::conflict(
        "concurrent-change",
        "The card changed meanwhile",
        "read the card again and retry",
    )
}

/// Suspends, reactivates or revokes one card (its membership unchanged; the
/// membership's own moves take the card with them). A card is reactivated
/// only for a member whose membership is active.
fn move_card(ctx: &mut Ctx<'_>, event: CardEvent) -> Result<Response, Problem> {
    let number = parse_number(ctx.param("number"), "number")?;
    let db = Db::open()?;
    let key = signing_key()?;
    let held = by_number(&db, &number)?;
    let to = card::transition(held.status_at(ctx.now), event).map_err(refused)?;
    if event == CardEvent::Reactivate {
        vip_store::memberships::require_active(&db, &held.customer_id)?;
    }
    cards::move_status(&db, &number, held.stored_status, to, &ctx.actor(), ctx.now)?
        .ok_or_else(changed_meanwhile)?;
    let moved = by_number(&db, &number)?;
    Ok(vip_kit::json(200, &show(&moved, &key, ctx)))
}

/// `POST /api/v1/cards/{number}/suspend`.
pub fn suspend(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    move_card(ctx, CardEvent::Suspend)
}

/// `POST /api/v1/cards/{number}/reactivate`.
pub fn reactivate(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    move_card(ctx, CardEvent::Reactivate)
}

/// `POST /api/v1/cards/{number}/revoke`: the card is retained at the next
/// presentation; the member may be issued another (`POST /api/v1/cards`).
pub fn revoke(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    move_card(ctx, CardEvent::Revoke)
}

/// `POST /api/v1/cards/orders/run`: fulfils card orders a crash left pending
/// (an approval or tier change committed, its card not yet issued). Safe to
/// repeat; `remaining` says whether to call again.
pub fn run_orders(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let fulfilment = Fulfilment::new(&db, ctx)?;
    let customers = fulfilment.customers_pending(CATCH_UP_LIMIT)?;
    let mut fulfilled = Vec::new();
    for customer in &customers {
        for (order, number) in fulfilment.pending(customer)? {
            fulfilled
                .push(json!({ "order_id": order, "customer_id": customer, "card_number": number }));
        }
    }
    let remaining = !fulfilment.customers_pending(1)?.is_empty();
    Ok(vip_kit::json(
        200,
        &json!({ "fulfilled": fulfilled, "remaining": remaining }),
    ))
}
