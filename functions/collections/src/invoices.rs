//! Invoices: issued for every member each month (or one by staff), the
//! collector's receipt confirmation, the invoice with its payments,
//! commitments and recorded steps, and the month preview.

use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::dunning::{due_steps, last_day};
use vip_domain::money::Money;
use vip_domain::month_end::Month;
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::collections::{self as store, commitments_of, Invoice, PROGRAM};

/// An invoice as JSON, with its commitments and the customer's collections
/// mark (CLIENTE VIP with its note) and collector.
pub(crate) fn view(db: &Db, invoice: &Invoice) -> Result<serde_json::Value, Problem> {
    let commitments = store::commitments_made(db, invoice.id)?
        .into_iter()
        .map(|c| json!({"seq": c.seq, "pay_by": c.pay_by, "made_on": c.made_on, "made_by": c.made_by}))
        .collect::<Vec<_>>();
    let outstanding = Money::from_minor(
        (invoice.amount.minor() - invoice.paid.minor()).max(0),
        invoice.amount.currency().clone(),
    );
    Ok(json!({
        "id": invoice.id,
        "customer_id": invoice.customer.as_str(),
        "month": invoice.month.to_string(),
        "amount": invoice.amount,
        "paid": invoice.paid,
        "outstanding": outstanding,
        "due_on": invoice.due_on,
        "paid_at": invoice.paid_at.map(timestamp_text),
        "issued_at": timestamp_text(invoice.issued_at),
        "issued_by": invoice.issued_by,
        "receipt_confirmed_at": invoice.receipt_confirmed_at.map(timestamp_text),
        "receipt_confirmed_by": invoice.receipt_confirmed_by,
        "commitments": commitments,
        "collections_status": store::mark_of(db, &invoice.customer)?,
        "collector": store::collector_of(db, &invoice.customer)?,
    }))
}

/// Invoice `id`, which must exist.
pub(crate) fn load(db: &Db, id: i64) -> Result<Invoice, Problem> {
    store::invoice(db, id)?.ok_or_else(|| Problem::not_found(format!("there is no invoice {id}")))
}

fn month_query(ctx: &Ctx<'_>) -> Result<Month, Problem> {
    let text = ctx
        .query("month")
        .ok_or_else(|| Problem::field("month", "is required, like 2026-11"))?;
    Month::parse(text).map_err(|m| Problem::field("month", m))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInvoice {
    customer_id: String,
    month: String,
    amount: Money,
}

/// `POST /api/v1/invoices`: one customer's invoice for a month (201; the
/// same again is 200; another amount for the same month is 409).
pub fn create(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let body: NewInvoice = read_json(ctx.req)?;
    let customer =
        CustomerId::parse(&body.customer_id).map_err(|m| Problem::field("customer_id", m))?;
    let month = Month::parse(&body.month).map_err(|m| Problem::field("month", m))?;
    if body.amount.minor() <= 0 {
        return Err(Problem::field("amount.amount", "must be more than zero"));
    }
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    program
        .check_invoice_month(month.first_day(), program.zone.date_of(ctx.now))
        .map_err(|m| Problem::field("month", m))?;
    if !vip_store::customers::exists(&db, &customer)? {
        return Err(Problem::not_found(format!(
            "there is no customer `{}`",
            customer.as_str()
        )));
    }
    let due_on = program.due_date(month.first_day());
    if let Some(invoice) = store::issue_invoice(
        &db,
        &customer,
        month,
        &body.amount,
        due_on,
        ctx.now,
        &ctx.actor(),
    )? {
        return Ok(vip_kit::json(201, &view(&db, &invoice)?));
    }
    let invoice = store::invoice_of(&db, &customer, month)?
        .ok_or_else(|| Problem::internal("an invoice vanished"))?;
    if invoice.amount != body.amount {
        return Err(Problem::conflict(
            "invoice-exists",
            "The month is invoiced already",
            format!(
                "invoice {} bills {} for {month} with another amount",
                invoice.id,
                customer.as_str()
            ),
        ));
    }
    Ok(vip_kit::json(200, &view(&db, &invoice)?))
}

/// `POST /api/v1/invoices/issue?month=`: an invoice for every member not yet
/// invoiced that month, at their monthly plan amount (001: by day 2, VIP
/// first). Idempotent: a second run issues nothing.
pub fn issue(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let month = month_query(ctx)?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    program
        .check_invoice_month(month.first_day(), program.zone.date_of(ctx.now))
        .map_err(|m| Problem::field("month", m))?;
    let due_on = program.due_date(month.first_day());
    let plans: Vec<_> = store::not_invoiced(&db, month)?
        .into_iter()
        .filter(|plan| plan.amount.minor() > 0)
        .collect();
    let issued = store::issue_invoices(&db, month, &plans, due_on, ctx.now, &ctx.actor())?;
    Ok(vip_kit::json(
        200,
        &json!({"month": month.to_string(), "due_on": due_on, "issued": issued}),
    ))
}

/// `GET /api/v1/me/invoices?limit=`: the member's invoices, newest month first.
pub fn mine(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let customer = CustomerId::parse(ctx.param("id")).map_err(Problem::internal)?;
    let limit = ctx.int_query("limit", 1, 120)?.unwrap_or(24);
    let db = Db::open()?;
    let invoices = store::invoices_of(&db, &customer, limit)?
        .iter()
        .map(|i| view(&db, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(vip_kit::json(
        200,
        &serde_json::json!({ "invoices": invoices }),
    ))
}

/// `GET /api/v1/invoices/{invoice}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let invoice = load(&db, ctx.id_param("invoice", "invoice")?)?;
    Ok(vip_kit::json(200, &view(&db, &invoice)?))
}

/// `POST /api/v1/invoices/{invoice}/receipt`: the collector confirms the
/// customer received the invoice (001); a second confirmation changes nothing.
pub fn receipt(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("invoice", "invoice")?;
    let db = Db::open()?;
    store::confirm_receipt(&db, id, ctx.now, &ctx.actor())?;
    let invoice = load(&db, id)?;
    Ok(vip_kit::json(200, &view(&db, &invoice)?))
}

/// `GET /api/v1/customers/{id}/collections/preview?month=`: what happens on
/// which date if nothing is paid, given the commitments so far; the steps
/// already taken are marked.
pub fn preview(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let customer = CustomerId::parse(ctx.param("id")).map_err(Problem::not_found)?;
    let month = month_query(ctx)?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let status = vip_store::service::status_of(&db, &customer)?.ok_or_else(|| {
        Problem::not_found(format!("there is no customer `{}`", customer.as_str()))
    })?;
    let invoice = store::invoice_of(&db, &customer, month)?;
    let (invoice_view, commitments, recorded) = match &invoice {
        Some(invoice) => (
            Some(view(&db, invoice)?),
            commitments_of(&db, invoice.id)?,
            store::steps_recorded(&db, invoice.id)?,
        ),
        None => (None, Vec::new(), Vec::new()),
    };
    let paid_at = invoice.as_ref().and_then(|i| i.paid_at).map(timestamp_text);
    // Through the end of the following month (the pickup step).
    let start = month.first_day();
    let horizon = last_day(
        start
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(start),
    );
    let steps = due_steps(&program, month.first_day(), &commitments, horizon)
        .into_iter()
        .map(|s| {
            let taken = recorded.iter().find(|r| r.step == s.step);
            json!({
                "date": s.date,
                "step": s.step,
                "action": s.action,
                "why": s.why,
                "notify": program.recipients(s.action),
                "recorded_at": taken.map(|r| timestamp_text(r.recorded_at)),
            })
        })
        .collect::<Vec<_>>();
    Ok(vip_kit::json(
        200,
        &json!({
            "customer_id": customer.as_str(),
            "month": month.to_string(),
            "service_status": status.as_str(),
            "invoice": invoice_view,
            "if_nothing_is_paid": if paid_at.is_some() { json!([]) } else { json!(steps) },
            "note": match (&paid_at, &invoice) {
                (Some(at), _) => format!("paid in full on {at}: nothing more happens"),
                (None, Some(_)) => "the steps below happen on these dates unless the invoice is paid in full first".into(),
                (None, None) => format!("not invoiced yet; once invoiced (due on day {}), these are the dates", program.due_day),
            },
        }),
    ))
}
