//! Invoices: issued for every member each month (or one by staff), the
//! collector's receipt confirmation, the invoice with its payments,
//! commitments and recorded steps, and the month preview.

use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use spin_sdk::sqlite::RowResult;
use vip_domain::customer::CustomerId;
use vip_domain::dunning::{due_steps, last_day};
use vip_domain::money::{Currency, Money};
use vip_domain::month_end::Month;
use vip_kit::body::read_json;
use vip_kit::db::{int, opt_text, text, timestamp, Db, Value};
use vip_kit::{Ctx, Problem};
use vip_store::collections::{commitments_of, PROGRAM};

pub(crate) const COLUMNS: &str =
    "id, customer_id, month, amount_minor, currency, due_on, paid_minor, paid_at,
    issued_at, issued_by, receipt_confirmed_at, receipt_confirmed_by";

pub(crate) fn money(minor: i64, currency: &str) -> Result<Money, Problem> {
    Ok(Money::from_minor(
        minor,
        Currency::parse(currency).map_err(Problem::internal)?,
    ))
}

/// An invoice row (`COLUMNS`) as JSON, with its commitments.
pub(crate) fn view(db: &Db, row: &RowResult) -> Result<serde_json::Value, Problem> {
    let id = int(row, 0)?;
    let currency = text(row, 4)?;
    let amount = int(row, 3)?;
    let paid = int(row, 6)?;
    let commitments = db
        .exec(
            "SELECT seq, pay_by, made_on, made_by FROM payment_commitments WHERE invoice_id = ? ORDER BY seq",
            &[Value::Integer(id)],
        )?
        .rows
        .iter()
        .map(|r| {
            Ok(json!({"seq": int(r, 0)?, "pay_by": text(r, 1)?, "made_on": text(r, 2)?, "made_by": text(r, 3)?}))
        })
        .collect::<Result<Vec<_>, Problem>>()?;
    Ok(json!({
        "id": id,
        "customer_id": text(row, 1)?,
        "month": text(row, 2)?,
        "amount": money(amount, &currency)?,
        "paid": money(paid, &currency)?,
        "outstanding": money((amount - paid).max(0), &currency)?,
        "due_on": text(row, 5)?,
        "paid_at": opt_text(row, 7),
        "issued_at": text(row, 8)?,
        "issued_by": text(row, 9)?,
        "receipt_confirmed_at": opt_text(row, 10),
        "receipt_confirmed_by": opt_text(row, 11),
        "commitments": commitments,
    }))
}

pub(crate) fn load(db: &Db, id: i64) -> Result<RowResult, Problem> {
    db.first(
        &format!("SELECT {COLUMNS} FROM invoices WHERE id = ?"),
        &[Value::Integer(id)],
    )?
    .ok_or_else(|| Problem::not_found(format!("there is no invoice {id}")))
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
    db.first(
        "SELECT 1 FROM customers WHERE id = ?",
        &[Value::Text(customer.as_str().into())],
    )?
    .ok_or_else(|| Problem::not_found(format!("there is no customer `{}`", customer.as_str())))?;
    let inserted = db.first(
        &format!(
            "INSERT INTO invoices (customer_id, month, amount_minor, currency, due_on, issued_at, issued_by)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id, month) DO NOTHING RETURNING {COLUMNS}"
        ),
        &[
            Value::Text(customer.as_str().into()),
            Value::Text(month.to_string()),
            Value::Integer(body.amount.minor()),
            Value::Text(body.amount.currency().to_string()),
            Value::Text(program.due_date(month.first_day()).to_string()),
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
        ],
    )?;
    if let Some(row) = inserted {
        return Ok(vip_kit::json(201, &view(&db, &row)?));
    }
    let row = db
        .first(
            &format!("SELECT {COLUMNS} FROM invoices WHERE customer_id = ? AND month = ?"),
            &[
                Value::Text(customer.as_str().into()),
                Value::Text(month.to_string()),
            ],
        )?
        .ok_or_else(|| Problem::internal("an invoice vanished"))?;
    if int(&row, 3)? != body.amount.minor() || text(&row, 4)? != body.amount.currency().to_string()
    {
        return Err(Problem::conflict(
            "invoice-exists",
            "The month is invoiced already",
            format!(
                "invoice {} bills {} for {month} with another amount",
                int(&row, 0)?,
                customer.as_str()
            ),
        ));
    }
    Ok(vip_kit::json(200, &view(&db, &row)?))
}

/// Members invoiced per statement.
const ISSUE_BATCH: usize = 500;

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
    let due_on = program.due_date(month.first_day()).to_string();
    let members = db.exec(
        "SELECT m.customer_id, json_extract(c.facts, '$.monthly_plan_amount.amount'),
                json_extract(c.facts, '$.monthly_plan_amount.currency')
         FROM memberships m JOIN customers c ON c.id = m.customer_id
         WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = m.customer_id AND i.month = ?)
         ORDER BY m.customer_id",
        &[Value::Text(month.to_string())],
    )?;
    let mut rows = Vec::new();
    for m in &members.rows {
        let amount = Money::parse(&text(m, 1)?, &text(m, 2)?).map_err(Problem::internal)?;
        if amount.minor() > 0 {
            rows.push((text(m, 0)?, amount));
        }
    }
    let values: Vec<Vec<Value>> = rows
        .iter()
        .map(|(customer, amount)| {
            vec![
                Value::Text(customer.clone()),
                Value::Text(month.to_string()),
                Value::Integer(amount.minor()),
                Value::Text(amount.currency().to_string()),
                Value::Text(due_on.clone()),
                timestamp(ctx.now),
                Value::Text(ctx.actor()),
            ]
        })
        .collect();
    let issued = db
        .exec_rows(
            "INSERT INTO invoices (customer_id, month, amount_minor, currency, due_on, issued_at, issued_by)
             VALUES {rows} ON CONFLICT (customer_id, month) DO NOTHING RETURNING id",
            &[],
            values,
            ISSUE_BATCH,
        )?
        .len();
    Ok(vip_kit::json(
        200,
        &json!({"month": month.to_string(), "due_on": due_on, "issued": issued}),
    ))
}

/// `GET /api/v1/invoices/{invoice}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let row = load(&db, ctx.id_param("invoice", "invoice")?)?;
    Ok(vip_kit::json(200, &view(&db, &row)?))
}

/// `POST /api/v1/invoices/{invoice}/receipt`: the collector confirms the
/// customer received the invoice (001); a second confirmation changes nothing.
pub fn receipt(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("invoice", "invoice")?;
    let db = Db::open()?;
    db.exec(
        "UPDATE invoices SET receipt_confirmed_at = ?, receipt_confirmed_by = ?
         WHERE id = ? AND receipt_confirmed_at IS NULL",
        &[
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
            Value::Integer(id),
        ],
    )?;
    let row = load(&db, id)?;
    Ok(vip_kit::json(200, &view(&db, &row)?))
}

/// `GET /api/v1/customers/{id}/collections/preview?month=`: what happens on
/// which date if nothing is paid, given the commitments so far; the steps
/// already taken are marked.
pub fn preview(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let customer = CustomerId::parse(ctx.param("id")).map_err(Problem::not_found)?;
    let month = month_query(ctx)?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let status = db
        .first(
            "SELECT c.id, COALESCE(s.status, 'active') FROM customers c
             LEFT JOIN service_status s ON s.customer_id = c.id WHERE c.id = ?",
            &[Value::Text(customer.as_str().into())],
        )?
        .ok_or_else(|| {
            Problem::not_found(format!("there is no customer `{}`", customer.as_str()))
        })?;
    let invoice = db.first(
        &format!("SELECT {COLUMNS} FROM invoices WHERE customer_id = ? AND month = ?"),
        &[
            Value::Text(customer.as_str().into()),
            Value::Text(month.to_string()),
        ],
    )?;
    let (invoice_view, commitments, recorded) = match &invoice {
        Some(row) => {
            let id = int(row, 0)?;
            let commitments = commitments_of(&db, id)?;
            let recorded: Vec<(String, String)> = db
                .exec(
                    "SELECT step, recorded_at FROM dunning_actions WHERE invoice_id = ?",
                    &[Value::Integer(id)],
                )?
                .rows
                .iter()
                .map(|r| Ok((text(r, 0)?, text(r, 1)?)))
                .collect::<Result<_, Problem>>()?;
            (Some(view(&db, row)?), commitments, recorded)
        }
        None => (None, Vec::new(), Vec::new()),
    };
    let paid_at = invoice.as_ref().and_then(|r| opt_text(r, 7));
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
            let taken = recorded.iter().find(|(step, _)| *step == s.step);
            json!({
                "date": s.date,
                "step": s.step,
                "action": s.action,
                "why": s.why,
                "notify": program.recipients(s.action),
                "recorded_at": taken.map(|(_, at)| at),
            })
        })
        .collect::<Vec<_>>();
    Ok(vip_kit::json(
        200,
        &json!({
            "customer_id": customer.as_str(),
            "month": month.to_string(),
            "service_status": text(&status, 1)?,
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
