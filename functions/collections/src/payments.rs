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
use vip_domain::customer::CustomerId;
use vip_domain::dunning::{check_commitment, CommitmentRefusal};
use vip_domain::money::Money;
use vip_domain::service::{transition, ServiceEvent};
use vip_domain::tiers::PurchaseId;
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{webhooks, Ctx, Problem};
use vip_store::collections::{self as store, commitments_of, NewPayment, PROGRAM};

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
    let currency = load(db, invoice)?.amount.currency().clone();
    if *payment.amount.currency() != currency {
        return Err(Problem::unprocessable(
            "currency-mismatch",
            "Currencies do not match",
            format!("invoice {invoice} is billed in {currency}"),
        ));
    }
    let recorded = store::record_payment(
        db,
        &NewPayment {
            id: &id,
            invoice,
            amount: &payment.amount,
            received_at: payment.received_at.unwrap_or(ctx.now).min(ctx.now),
            source,
            credit: payment.credit,
            recorded_at: ctx.now,
            recorded_by: actor,
        },
    )?;
    if !recorded {
        let Some(stored) = store::payment(db, &id)? else {
            return Err(beyond_outstanding(db, invoice, &payment.amount)?);
        };
        if stored.invoice != invoice || stored.amount_minor != payment.amount.minor() {
            return Err(Problem::conflict(
                "payment-id-reused",
                "This payment id was recorded with other details",
                format!(
                    "payment `{}` is recorded for another invoice or amount",
                    id.as_str()
                ),
            ));
        }
        return Ok((200, view(db, &load(db, invoice)?)?));
    }
    let paid = load(db, invoice)?;
    if paid.paid_at.is_some() {
        settle(db, &paid.customer, actor, ctx.now)?;
    }
    Ok((201, view(db, &load(db, invoice)?)?))
}

/// Why a payment of `amount` on `invoice` was not recorded: the invoice is
/// paid, or the amount is more than what is outstanding.
fn beyond_outstanding(db: &Db, invoice: i64, amount: &Money) -> Result<Problem, Problem> {
    let row = load(db, invoice)?;
    let outstanding = Money::from_minor(
        (row.amount.minor() - row.paid.minor()).max(0),
        amount.currency().clone(),
    );
    Ok(if row.paid_at.is_some() {
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
fn settle(db: &Db, customer: &CustomerId, actor: &str, now: DateTime<Utc>) -> Result<(), Problem> {
    let Some(from) = store::status_when_settled(db, customer)? else {
        return Ok(());
    };
    if let Ok(to) = transition(from, ServiceEvent::Paid) {
        vip_store::service::paid_in_full(db, customer, from, to, now, actor)?;
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
    if row.paid_at.is_some() {
        return Err(Problem::conflict(
            "invoice-paid",
            "The invoice is paid",
            format!("invoice {invoice} is paid in full: no commitment is needed"),
        ));
    }
    let earlier = commitments_of(&db, invoice)?;
    let today = program.zone.date_of(ctx.now);
    check_commitment(
        &program,
        row.month.first_day(),
        &earlier,
        today,
        body.pay_by,
    )
    .map_err(refused)?;
    let made = store::commit(
        &db,
        invoice,
        earlier.len() as i64 + 1,
        body.pay_by,
        today,
        ctx.now,
        &ctx.actor(),
    )?;
    if !made {
        return Err(Problem::conflict(
            "concurrent-change",
            "Another commitment was made meanwhile",
            "read the invoice again",
        ));
    }
    Ok(vip_kit::json(201, &view(&db, &load(&db, invoice)?)?))
}
