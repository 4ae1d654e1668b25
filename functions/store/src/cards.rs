//! Cards, card orders and card sequences (docs/domain.md §2). The event that
//! needs a card (an approval, a tier change, a loss) writes a `card_orders`
//! row in its own statement (SQL triggers); whichever component wrote the
//! event then fulfils the member's pending orders at once with
//! [`fulfil_pending`], and `POST /api/v1/cards/orders/run` fulfils any a
//! crash left behind. The rules (number format, Luhn digit, expiry, which
//! card an order ends) are `vip_domain::card`'s; this is the shell that
//! applies them to SQL.
//!
//! Every step is re-runnable: a card carries the order it fulfils (unique)
//! and its INSERT marks the order done (SQL trigger), so an order is never
//! fulfilled twice, and sequences come from one `UPDATE … RETURNING` per
//! region, so two issuances never share a number.

use crate::effects::Effect;
use chrono::{DateTime, Utc};
use vip_domain::card::{self, plan_order, CardNumber, CardStatus, HeldCard, OrderKind, OrderPlan};
use vip_domain::customer::CustomerId;

use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::Ctx;
use vip_kit::Problem;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "cards_audit_insert",
        table: "cards",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits an issued card",
    },
    Effect {
        trigger: "cards_audit_status",
        table: "cards",
        on: "UPDATE OF status",
        writes: &["audit_events"],
        does: "audits each status change of a card",
    },
    Effect {
        trigger: "cards_fulfil_order",
        table: "cards",
        on: "INSERT",
        writes: &["card_orders"],
        does: "marks the order the card fulfils done, in the issuing statement",
    },
    Effect {
        trigger: "cards_lost_order",
        table: "cards",
        on: "UPDATE OF status",
        writes: &["card_orders"],
        does: "a card reported lost orders its replacement",
    },
];

/// Blocks the card `number` as lost if it is still `from`; answers its
/// holder, `None` if it changed meanwhile. Fires `cards_audit_status` and
/// `cards_lost_order`: the replacement's order is written in this statement
/// (fulfil it with [`fulfil_pending`]).
pub fn report_lost(
    db: &Db,
    number: &CardNumber,
    from: CardStatus,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Option<CustomerId>, Problem> {
    db.one(
        "UPDATE cards SET status = 'lost', updated_at = ?, updated_by = ?
         WHERE number = ? AND status = ? RETURNING customer_id",
        &[
            timestamp(at),
            Value::Text(actor.into()),
            Value::Text(number.as_str().into()),
            Value::Text(from.as_str().into()),
        ],
        |row| customer_of(&row),
    )
}

/// Moves card `number` from `from` (still its status) to `to` (a suspension,
/// reactivation or revocation of the card alone); answers its holder, `None`
/// if it changed meanwhile. Fires `cards_audit_status`.
pub fn move_status(
    db: &Db,
    number: &CardNumber,
    from: CardStatus,
    to: CardStatus,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<Option<CustomerId>, Problem> {
    db.one(
        "UPDATE cards SET status = ?, updated_at = ?, updated_by = ?
         WHERE number = ? AND status = ? RETURNING customer_id",
        &[
            Value::Text(to.as_str().into()),
            timestamp(at),
            Value::Text(actor.into()),
            Value::Text(number.as_str().into()),
            Value::Text(from.as_str().into()),
        ],
        |row| customer_of(&row),
    )
}

/// Orders a first card for `customer` (a staff request), in `region` or the
/// default one; `order_id` is the order's identity, so a retry writes nothing.
pub fn order_issue(
    db: &Db,
    order_id: &str,
    customer: &CustomerId,
    region: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO card_orders (id, customer_id, kind, region, created_at)
         VALUES (?, ?, 'issue', ?, ?) ON CONFLICT (id) DO NOTHING",
        &[
            Value::Text(order_id.into()),
            Value::Text(customer.as_str().into()),
            region.map_or(Value::Null, |r| Value::Text(r.into())),
            timestamp(at),
        ],
    )?;
    Ok(())
}

/// Fulfils `customer_id`'s pending orders on behalf of the request's caller;
/// returns `(order id, card number)` for each.
pub fn fulfil_pending(
    db: &Db,
    ctx: &Ctx<'_>,
    customer_id: &str,
) -> Result<Vec<(String, String)>, Problem> {
    Fulfilment::new(db, ctx)?.pending(customer_id)
}

/// Who fulfils, and when: one per request.
pub struct Fulfilment<'a> {
    db: &'a Db,
    config: CardConfig,
    now: DateTime<Utc>,
    actor: String,
}

impl<'a> Fulfilment<'a> {
    /// Fulfilment on behalf of the request's caller, with the card settings read once.
    pub fn new(db: &'a Db, ctx: &Ctx<'_>) -> Result<Self, Problem> {
        Ok(Fulfilment {
            db,
            config: CardConfig::from_variables()?,
            now: ctx.now,
            actor: ctx.actor(),
        })
    }

    /// Fulfils every pending order of `customer_id`, oldest first; returns
    /// the card number each order ended with.
    pub fn pending(&self, customer_id: &str) -> Result<Vec<(String, String)>, Problem> {
        let orders = self.db.all(
            "SELECT id, kind, region, replaces FROM card_orders
             WHERE customer_id = ? AND done_at IS NULL ORDER BY created_at, id",
            &[Value::Text(customer_id.into())],
            order,
        )?;
        let mut done = Vec::new();
        for o in orders {
            let number = self.fulfil(customer_id, &o)?;
            done.push((o.id, number));
        }
        Ok(done)
    }

    /// Customers with pending orders (for the catch-up run), at most `limit`.
    pub fn customers_pending(&self, limit: i64) -> Result<Vec<String>, Problem> {
        self.db.all(
            "SELECT DISTINCT customer_id FROM card_orders WHERE done_at IS NULL
             ORDER BY customer_id LIMIT ?",
            &[Value::Integer(limit)],
            |row| row.text("customer_id"),
        )
    }

    /// Ends the order: keeps the held card, or ends it (`cards_audit_status`
    /// audits that) and issues the next.
    fn fulfil(&self, customer_id: &str, o: &Order) -> Result<String, Problem> {
        // Fulfilled meanwhile by a concurrent request? (A card's INSERT completes its order.)
        if let Some(number) = self.fulfilled(o)? {
            return self.finish(o, &number);
        }
        let customer = CustomerId::parse(customer_id).map_err(Problem::internal)?;
        let tier = crate::memberships::tier_of(self.db, &customer)?
            .ok_or_else(|| Problem::internal(format!("card order {} without membership", o.id)))?;
        let held = held_card(self.db, &customer)?;
        let plan = plan_order(o.kind, held.as_ref().map(|h| h.card), self.now)
            .map_err(|e| Problem::internal(format!("card order {}: {e}", o.id)))?;
        let end_held_as = match plan {
            OrderPlan::KeepHeld => {
                let number = held.as_ref().map(|h| h.number.as_str()).unwrap_or_default();
                return self.finish(o, number);
            }
            OrderPlan::Issue { end_held_as } => end_held_as,
        };
        let mut replaces = o.replaces.clone();
        if let (Some(h), Some(to)) = (&held, end_held_as) {
            self.db.exec(
                "UPDATE cards SET status = ?, updated_at = ?, updated_by = ? WHERE number = ? AND status = ?",
                &[
                    Value::Text(to.as_str().into()),
                    timestamp(self.now),
                    Value::Text(self.actor.clone()),
                    Value::Text(h.number.as_str().into()),
                    Value::Text(h.card.status.as_str().into()),
                ],
            )?;
            replaces = replaces.or_else(|| Some(h.number.as_str().to_string()));
        }
        let region = o
            .region
            .clone()
            .or_else(|| held.as_ref().map(|h| h.region.clone()))
            .unwrap_or_else(|| self.config.default_region.clone());
        self.issue(&customer, o, &tier, &region, replaces)
    }

    /// Issues a card for the order with the region's next number. Fires
    /// `cards_audit_insert` and `cards_fulfil_order`: the card's INSERT
    /// audits it and completes its order.
    fn issue(
        &self,
        customer: &CustomerId,
        o: &Order,
        tier: &str,
        region: &str,
        replaces: Option<String>,
    ) -> Result<String, Problem> {
        let last = self
            .db
            .one(
                "INSERT INTO card_sequences (region, last) VALUES (?, 1)
                 ON CONFLICT (region) DO UPDATE SET last = last + 1 RETURNING last",
                &[Value::Text(region.into())],
                |row| row.int("last"),
            )?
            .ok_or_else(|| Problem::internal("card sequence allocation returned nothing"))?;
        let sequence = u64::try_from(last).map_err(Problem::internal)?;
        let number =
            CardNumber::issue(region, sequence, self.config.sequence_digits).map_err(|e| {
                Problem::conflict(
                    "card-sequence-exhausted",
                    "No card numbers left",
                    e.to_string(),
                )
            })?;
        let expires_at = card::expiry(self.now, self.config.validity_months)
            .ok_or_else(|| Problem::internal("card expiry out of range"))?;
        let inserted = self.db.one(
            "INSERT INTO cards (number, customer_id, region, sequence, tier, status, issued_at, expires_at,
                                order_id, replaces, updated_at, updated_by)
             VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7, ?8, ?9, ?6, ?10)
             ON CONFLICT DO NOTHING RETURNING number",
            &[
                Value::Text(number.as_str().into()),
                Value::Text(customer.as_str().into()),
                Value::Text(region.into()),
                Value::Integer(i64::try_from(sequence).map_err(Problem::internal)?),
                Value::Text(tier.into()),
                timestamp(self.now),
                timestamp(expires_at),
                Value::Text(o.id.clone()),
                replaces.map_or(Value::Null, Value::Text),
                Value::Text(self.actor.clone()),
            ],
            |row| row.text("number"),
        )?;
        if inserted.is_none() {
            // Another request fulfilled this order, or issued this member a card, meanwhile.
            return match self.fulfilled(o)? {
                Some(number) => self.finish(o, &number),
                None => Err(Problem::conflict(
                    "concurrent-change",
                    "The member's cards changed meanwhile",
                    "retry the request",
                )),
            };
        }
        // The insert completed the order (trigger `cards_fulfil_order`).
        Ok(number.as_str().to_string())
    }

    /// The number of the card that fulfilled `o`, if one did.
    fn fulfilled(&self, o: &Order) -> Result<Option<String>, Problem> {
        self.db.one(
            "SELECT number FROM cards WHERE order_id = ?",
            &[Value::Text(o.id.clone())],
            |row| row.text("number"),
        )
    }

    fn finish(&self, o: &Order, number: &str) -> Result<String, Problem> {
        self.db.exec(
            "UPDATE card_orders SET card_number = ?, done_at = ? WHERE id = ? AND done_at IS NULL",
            &[
                Value::Text(number.into()),
                timestamp(self.now),
                Value::Text(o.id.clone()),
            ],
        )?;
        Ok(number.to_string())
    }
}

struct Order {
    id: String,
    kind: OrderKind,
    region: Option<String>,
    replaces: Option<String>,
}

fn order(row: Row<'_>) -> Result<Order, Problem> {
    let kind = row.text("kind")?;
    Ok(Order {
        id: row.text("id")?,
        kind: OrderKind::parse(&kind)
            .ok_or_else(|| Problem::internal(format!("card order kind {kind}")))?,
        region: row.opt_text("region")?,
        replaces: row.opt_text("replaces")?,
    })
}

/// The card a member holds in use (`active` or `suspended`), if any.
pub struct Held {
    pub number: CardNumber,
    pub card: HeldCard,
    pub region: String,
}

/// The card `customer` holds in use (at most one: a unique index).
pub fn held_card(db: &Db, customer: &CustomerId) -> Result<Option<Held>, Problem> {
    db.one(
        "SELECT number, status, expires_at, region FROM cards
         WHERE customer_id = ? AND status IN ('active', 'suspended')",
        &[Value::Text(customer.as_str().into())],
        |row| {
            Ok(Held {
                number: number_of(&row)?,
                card: HeldCard {
                    status: status_of(&row)?,
                    expires_at: row.time("expires_at")?,
                },
                region: row.text("region")?,
            })
        },
    )
}

/// A card as stored.
pub struct Card {
    pub number: CardNumber,
    pub customer_id: CustomerId,
    pub region: String,
    pub sequence: i64,
    pub tier: String,
    /// As stored; [`Card::status_at`] is what it is now.
    pub stored_status: CardStatus,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The card it took over from.
    pub replaces: Option<String>,
    /// The card that took over from it.
    pub replaced_by: Option<String>,
}

impl Card {
    /// Its status at `now`: an active card past its expiry is expired without any job.
    pub fn status_at(&self, now: DateTime<Utc>) -> CardStatus {
        card::effective_status(self.stored_status, self.expires_at, now)
    }
}

const CARD: &str = "SELECT c.number, c.customer_id, c.region, c.sequence, c.tier, c.status, c.issued_at,
     c.expires_at, c.replaces, (SELECT n.number FROM cards n WHERE n.replaces = c.number) AS replaced_by
     FROM cards c";

fn card_of(row: Row<'_>) -> Result<Card, Problem> {
    Ok(Card {
        number: number_of(&row)?,
        customer_id: customer_of(&row)?,
        region: row.text("region")?,
        sequence: row.int("sequence")?,
        tier: row.text("tier")?,
        stored_status: status_of(&row)?,
        issued_at: row.time("issued_at")?,
        expires_at: row.time("expires_at")?,
        replaces: row.opt_text("replaces")?,
        replaced_by: row.opt_text("replaced_by")?,
    })
}

/// The card with this number, if one was issued.
pub fn find(db: &Db, number: &CardNumber) -> Result<Option<Card>, Problem> {
    db.one(
        &format!("{CARD} WHERE c.number = ?"),
        &[Value::Text(number.as_str().into())],
        card_of,
    )
}

/// A member's cards, newest first.
pub fn of_customer(db: &Db, customer: &CustomerId) -> Result<Vec<Card>, Problem> {
    db.all(
        &format!("{CARD} WHERE c.customer_id = ? ORDER BY c.issued_at DESC, c.sequence DESC"),
        &[Value::Text(customer.as_str().into())],
        card_of,
    )
}

fn status_of(row: &Row<'_>) -> Result<CardStatus, Problem> {
    let name = row.text("status")?;
    CardStatus::parse(&name).ok_or_else(|| Problem::internal(format!("card status {name}")))
}

fn number_of(row: &Row<'_>) -> Result<CardNumber, Problem> {
    CardNumber::parse(&row.text("number")?).map_err(Problem::internal)
}

fn customer_of(row: &Row<'_>) -> Result<CustomerId, Problem> {
    CustomerId::parse(&row.text("customer_id")?).map_err(Problem::internal)
}

/// Card settings, from variables (defaults: region 755 as in seed 004's
/// example, 5-digit sequences, cards valid 24 months).
pub struct CardConfig {
    pub default_region: String,
    pub sequence_digits: u32,
    pub validity_months: u32,
}

fn variable<T: std::str::FromStr>(name: &str, default: T) -> T {
    spin_sdk::variables::get(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

impl CardConfig {
    pub fn from_variables() -> Result<Self, Problem> {
        let config = CardConfig {
            default_region: variable("card_region", "755".to_string()),
            sequence_digits: variable("card_sequence_digits", 5),
            validity_months: variable("card_validity_months", 24),
        };
        card::validate_region(&config.default_region)
            .map_err(|e| Problem::internal(format!("variable card_region: {e}")))?;
        if !(1..=12).contains(&config.sequence_digits) || config.validity_months == 0 {
            return Err(Problem::internal(
                "variables card_sequence_digits (1-12) / card_validity_months (> 0) out of range",
            ));
        }
        Ok(config)
    }
}
