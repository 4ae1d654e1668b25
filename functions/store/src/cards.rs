//! Card orders, fulfilled (docs/domain.md §2). The event that needs a card (an
//! approval, a tier change, a loss) writes a `card_orders` row in its own
//! statement (SQL triggers); whichever component wrote the event then
//! fulfils the member's pending orders at once with [`fulfil_pending`], and
//! `POST /api/v1/cards/orders/run` fulfils any a crash left behind. The rules
//! (number format, Luhn digit, expiry, which card an order ends) are
//! `vip_domain::card`'s; this is the shell that applies them to SQL.
//!
//! Every step is re-runnable: a card carries the order it fulfils (unique)
//! and its INSERT marks the order done (SQL trigger), so an order is never
//! fulfilled twice, and sequences come from one `UPDATE … RETURNING` per
//! region, so two issuances never share a number.

use crate::effects::Effect;
use chrono::{DateTime, Utc};
use spin_sdk::sqlite::RowResult;
use vip_domain::card::{self, plan_order, CardNumber, CardStatus, HeldCard, OrderKind, OrderPlan};

use vip_kit::db::{int, opt_text, parse_timestamp, text, timestamp, Db, Value};
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

pub fn parse_status(name: &str) -> Result<CardStatus, Problem> {
    CardStatus::parse(name).ok_or_else(|| Problem::internal(format!("card status {name}")))
}

struct Order {
    id: String,
    kind: OrderKind,
    region: Option<String>,
    replaces: Option<String>,
}

fn order(row: &RowResult) -> Result<Order, Problem> {
    let kind = text(row, 1)?;
    Ok(Order {
        id: text(row, 0)?,
        kind: OrderKind::parse(&kind)
            .ok_or_else(|| Problem::internal(format!("card order kind {kind}")))?,
        region: opt_text(row, 2),
        replaces: opt_text(row, 3),
    })
}

/// The card a member holds in use (`active` or `suspended`), if any.
pub struct Held {
    pub number: CardNumber,
    pub card: HeldCard,
    pub region: String,
}

/// The card `customer_id` holds in use (at most one: a unique index).
pub fn held_card(db: &Db, customer_id: &str) -> Result<Option<Held>, Problem> {
    let Some(row) = db.first(
        "SELECT number, status, expires_at, region FROM cards
         WHERE customer_id = ? AND status IN ('active', 'suspended')",
        &[Value::Text(customer_id.into())],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(Held {
        number: CardNumber::parse(&text(&row, 0)?).map_err(Problem::internal)?,
        card: HeldCard {
            status: parse_status(&text(&row, 1)?)?,
            expires_at: parse_timestamp(&text(&row, 2)?)?,
        },
        region: text(&row, 3)?,
    }))
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
        let orders = self.db.exec(
            "SELECT id, kind, region, replaces FROM card_orders
             WHERE customer_id = ? AND done_at IS NULL ORDER BY created_at, id",
            &[Value::Text(customer_id.into())],
        )?;
        let mut done = Vec::new();
        for row in &orders.rows {
            let o = order(row)?;
            let number = self.fulfil(customer_id, &o)?;
            done.push((o.id, number));
        }
        Ok(done)
    }

    /// Customers with pending orders (for the catch-up run), at most `limit`.
    pub fn customers_pending(&self, limit: i64) -> Result<Vec<String>, Problem> {
        self.db
            .exec(
                "SELECT DISTINCT customer_id FROM card_orders WHERE done_at IS NULL
                 ORDER BY customer_id LIMIT ?",
                &[Value::Integer(limit)],
            )?
            .rows
            .iter()
            .map(|r| text(r, 0))
            .collect()
    }

    fn fulfil(&self, customer_id: &str, o: &Order) -> Result<String, Problem> {
        // Fulfilled meanwhile by a concurrent request? (A card's INSERT completes its order.)
        if let Some(row) = self.db.first(
            "SELECT number FROM cards WHERE order_id = ?",
            &[Value::Text(o.id.clone())],
        )? {
            return self.finish(o, &text(&row, 0)?);
        }
        let tier = self
            .db
            .first(
                "SELECT tier FROM memberships WHERE customer_id = ?",
                &[Value::Text(customer_id.into())],
            )?
            .ok_or_else(|| Problem::internal(format!("card order {} without membership", o.id)))
            .and_then(|r| text(&r, 0))?;
        let held = held_card(self.db, customer_id)?;
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
        self.issue(customer_id, o, &tier, &region, replaces)
    }

    fn issue(
        &self,
        customer_id: &str,
        o: &Order,
        tier: &str,
        region: &str,
        replaces: Option<String>,
    ) -> Result<String, Problem> {
        let row = self
            .db
            .first(
                "INSERT INTO card_sequences (region, last) VALUES (?, 1)
                 ON CONFLICT (region) DO UPDATE SET last = last + 1 RETURNING last",
                &[Value::Text(region.into())],
            )?
            .ok_or_else(|| Problem::internal("card sequence allocation returned nothing"))?;
        let sequence = u64::try_from(int(&row, 0)?).map_err(Problem::internal)?;
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
        let inserted = self.db.first(
            "INSERT INTO cards (number, customer_id, region, sequence, tier, status, issued_at, expires_at,
                                order_id, replaces, updated_at, updated_by)
             VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, ?7, ?8, ?9, ?6, ?10)
             ON CONFLICT DO NOTHING RETURNING number",
            &[
                Value::Text(number.as_str().into()),
                Value::Text(customer_id.into()),
                Value::Text(region.into()),
                Value::Integer(i64::try_from(sequence).map_err(Problem::internal)?),
                Value::Text(tier.into()),
                timestamp(self.now),
                timestamp(expires_at),
                Value::Text(o.id.clone()),
                replaces.map_or(Value::Null, Value::Text),
                Value::Text(self.actor.clone()),
            ],
        )?;
        if inserted.is_none() {
            // Another request fulfilled this order, or issued this member a card, meanwhile.
            return match self.db.first(
                "SELECT number FROM cards WHERE order_id = ?",
                &[Value::Text(o.id.clone())],
            )? {
                Some(row) => self.finish(o, &text(&row, 0)?),
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

/// Fulfils `customer_id`'s pending orders on behalf of the request's caller;
/// returns `(order id, card number)` for each.
pub fn fulfil_pending(
    db: &Db,
    ctx: &Ctx<'_>,
    customer_id: &str,
) -> Result<Vec<(String, String)>, Problem> {
    Fulfilment::new(db, ctx)?.pending(customer_id)
}
