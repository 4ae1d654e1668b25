//! Payments (from staff, and from the payment processor's signed webhook)
//! and payment commitments. A payment is idempotent by its id: the same id
//! again changes nothing (with other details it is a 409); partial payments
//! add up, and the one that completes the amount marks the invoice paid
//! (the INSERT's trigger). A payment above what is outstanding, or on a paid
//! invoice, is refused (409, naming the outstanding amount) unless staff
//! record the excess as an explicit credit (`"credit": true`); the guard is
//! the INSERT's own condition, so two payments at once cannot both pass it. A customer with nothing left unpaid who was only
//! noticed, or reconnected on a pending payment, is active again.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use spin_sdk::http::Response;
use vip_domain::dunning::{check_commitment, CommitmentRefusal};
use vip_domain::money::Money;
use vip_domain::service::{transition, ServiceEvent, ServiceStatus};
use vip_domain::tiers::PurchaseId;
use vip_kit::body::read_json;
use vip_kit::db::{int, opt_text, parse_enum, text, timestamp, Db, Value};
use vip_kit::{webhooks, Ctx, Problem};
use vip_store::collections::{commitments_of, PROGRAM};

use crate::invoices::{load, view};

/// A payment as staff enter it, and as the processor's webhook carries it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Payment {
    payment_id: String,
    amount: Money,
    #[serde(default)]
    received_at: Option<DateTime<Utc>>,
    /// Staff only: accept an amount above the outstanding; the excess is a
    /// credit (the invoice's `paid` exceeds its `amount`).
    #[serde(default)]
    credit: bool,
}

/// Records a payment of invoice `invoice`: 201, or 200 for a replay.
fn record(
    ctx: &Ctx<'_>,
    db: &Db,
    invoice: i64,
    payment: &Payment,
    source: &str,
    actor: &str,
) -> Result<(u16, serde_json::Value), Problem> {
    let id = PurchaseId::parse(&payment.payment_id).map_err(|m| Problem::field("payment_id", m))?;
    if payment.amount.minor() <= 0 {
        return Err(Problem::field("amount.amount", "must be more than zero"));
    }
    let row = load(db, invoice)?;
    let currency = text(&row, 4)?;
    if payment.amount.currency().to_string() != currency {
        return Err(Problem::unprocessable(
            "currency-mismatch",
            "Currencies do not match",
            format!("invoice {invoice} is billed in {currency}"),
        ));
    }
    let received_at = payment.received_at.unwrap_or(ctx.now).min(ctx.now);
    let inserted = db
        .first(
            "INSERT INTO payments (id, invoice_id, amount_minor, currency, received_at, source, recorded_at, recorded_by)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
             WHERE EXISTS (SELECT 1 FROM invoices WHERE id = ?2 AND paid_at IS NULL
                           AND (?9 OR amount_minor - paid_minor >= ?3))
             ON CONFLICT (id) DO NOTHING RETURNING 1",
            &[
                Value::Text(id.as_str().into()),
                Value::Integer(invoice),
                Value::Integer(payment.amount.minor()),
                Value::Text(currency.clone()),
                timestamp(received_at),
                Value::Text(source.into()),
                timestamp(ctx.now),
                Value::Text(actor.into()),
                Value::Integer(i64::from(payment.credit)),
            ],
        )?
        .is_some();
    if !inserted {
        let Some(stored) = db.first(
            "SELECT invoice_id, amount_minor FROM payments WHERE id = ?",
            &[Value::Text(id.as_str().into())],
        )?
        else {
            return Err(beyond_outstanding(db, invoice, &payment.amount)?);
        };
        if int(&stored, 0)? != invoice || int(&stored, 1)? != payment.amount.minor() {
            return Err(Problem::conflict(
                "payment-id-reused",
                "This payment id was recorded with other details",
                format!(
                    "payment `{}` is recorded for another invoice or amount",
                    id.as_str()
                ),
            ));
        }
        let row = load(db, invoice)?;
        return Ok((200, view(db, &row)?));
    }
    let row = load(db, invoice)?;
    if opt_text(&row, 7).is_some() {
        settle(db, &text(&row, 1)?, actor, ctx.now)?;
    }
    Ok((201, view(db, &load(db, invoice)?)?))
}

/// Why a payment of `amount` on `invoice` was not recorded: the invoice is
/// paid, or the amount is more than what is outstanding.
fn beyond_outstanding(db: &Db, invoice: i64, amount: &Money) -> Result<Problem, Problem> {
    let row = load(db, invoice)?;
    let outstanding = Money::from_minor(
        (int(&row, 3)? - int(&row, 6)?).max(0),
        amount.currency().clone(),
    );
    Ok(if opt_text(&row, 7).is_some() {
        Problem::conflict(
            "invoice-paid",
            "The invoice is paid",
            format!("invoice {invoice} is paid in full: nothing is outstanding"),
        )
    } else {
        Problem::conflict(
            "payment-exceeds-outstanding",
            "The payment is more than what is outstanding",
            format!(
                "invoice {invoice} has {outstanding} outstanding; a payment of {amount} is more \
                 (staff may record the excess as a credit with \"credit\": true)"
            ),
        )
    })
}

/// With nothing left unpaid, the domain's `paid` move for the customer's
/// service, guarded by the status read.
fn settle(db: &Db, customer: &str, actor: &str, now: DateTime<Utc>) -> Result<(), Problem> {
    let Some(row) = db.first(
        "SELECT status FROM service_status WHERE customer_id = ?1
         AND NOT EXISTS (SELECT 1 FROM invoices WHERE customer_id = ?1 AND paid_at IS NULL)",
        &[Value::Text(customer.into())],
    )?
    else {
        return Ok(());
    };
    let from: ServiceStatus = parse_enum(text(&row, 0)?)?;
    if let Ok(to) = transition(from, ServiceEvent::Paid) {
        db.exec(
            "UPDATE service_status SET status = ?, updated_at = ?, updated_by = ?, reason = 'paid in full'
             WHERE customer_id = ? AND status = ?",
            &[
                Value::Text(to.as_str().into()),
                timestamp(now),
                Value::Text(actor.into()),
                Value::Text(customer.into()),
                Value::Text(from.as_str().into()),
            ],
        )?;
    }
    Ok(())
}

/// `POST /api/v1/invoices/{invoice}/payments` (staff).
pub fn by_staff(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let invoice = ctx.id_param("invoice", "invoice")?;
    let payment: Payment = read_json(ctx.req)?;
    let db = Db::open()?;
    let (status, body) = record(ctx, &db, invoice, &payment, "staff", &ctx.actor())?;
    Ok(vip_kit::json(status, &body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PaymentReceived {
    invoice_id: i64,
    payment_id: String,
    amount: Money,
    #[serde(default)]
    received_at: Option<DateTime<Utc>>,
}

/// `POST /api/v1/webhooks/payments`: the payment processor's
/// `payment.received`, signed per Standard Webhooks (401 otherwise, nothing
/// applied). A replayed `webhook-id` is acknowledged and applies nothing;
/// other event types are acknowledged and ignored.
pub fn webhook(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    webhooks::receive(
        ctx,
        "payment_webhook_secrets",
        "payments",
        webhooks::Refusals::Acknowledge,
        |db, delivery, event| {
            if event.kind != "payment.received" {
                return Ok(None);
            }
            let data: PaymentReceived = event.data()?;
            let payment = Payment {
                payment_id: data.payment_id,
                amount: data.amount,
                received_at: data.received_at,
                credit: false,
            };
            let (_, invoice) = record(
                ctx,
                db,
                data.invoice_id,
                &payment,
                &format!("webhook:{delivery}"),
                "partner:payments",
            )?;
            Ok(Some(("invoice", invoice)))
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCommitment {
    pay_by: NaiveDate,
}

fn refused(r: CommitmentRefusal) -> Problem {
    match r {
        CommitmentRefusal::StillLive { .. } | CommitmentRefusal::NoMoreRenegotiations { .. } => {
            Problem::conflict(
                "commitment-refused",
                "The commitment is not accepted",
                r.to_string(),
            )
        }
        _ => Problem::unprocessable(
            "commitment-refused",
            "The commitment is not accepted",
            r.to_string(),
        ),
    }
}

/// `POST /api/v1/invoices/{invoice}/commitments`: `{"pay_by": "2026-11-28"}`,
/// a promise to pay by a date of the billing month; one renegotiation once
/// broken, at most 24 hours later. A live commitment defers the suspension.
pub fn commit(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let invoice = ctx.id_param("invoice", "invoice")?;
    let body: NewCommitment = read_json(ctx.req)?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let row = load(&db, invoice)?;
    if opt_text(&row, 7).is_some() {
        return Err(Problem::conflict(
            "invoice-paid",
            "The invoice is paid",
            format!("invoice {invoice} is paid in full: no commitment is needed"),
        ));
    }
    let month = vip_store::collections::month_start(&text(&row, 2)?)?;
    let earlier = commitments_of(&db, invoice)?;
    let today = program.zone.date_of(ctx.now);
    check_commitment(&program, month, &earlier, today, body.pay_by).map_err(refused)?;
    let made = db.first(
        "INSERT INTO payment_commitments (invoice_id, seq, pay_by, made_on, made_at, made_by)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1",
        &[
            Value::Integer(invoice),
            Value::Integer(earlier.len() as i64 + 1),
            Value::Text(body.pay_by.to_string()),
            Value::Text(today.to_string()),
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
        ],
    )?;
    if made.is_none() {
        return Err(Problem::conflict(
            "concurrent-change",
            "Another commitment was made meanwhile",
            "read the invoice again",
        ));
    }
    Ok(vip_kit::json(201, &view(&db, &load(&db, invoice)?)?))
}
