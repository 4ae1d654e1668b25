//! A customer's service: its status and orders, reconnection (on a
//! payment, a dispute or a payment plan), and retention: a disconnection
//! request or equipment powered off gives sales, then recovery, their
//! business days (`vip_domain::suspension`), after which the customer is
//! disconnected (which orders the uninstall or the capacity reassignment,
//! and hands any balance to legal). Every move is the domain's
//! (`vip_domain::service::transition`) and is guarded by the status read.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::money::{Currency, Money};
use vip_domain::service::{transition, ReconnectionBasis, ServiceEvent, ServiceStatus};
use vip_domain::suspension::{window_passed, Dater, RetentionCause, SuspensionProgram};
use vip_kit::auth::Role;
use vip_kit::body::read_json;
use vip_kit::db::{int, opt_text, parse_enum, parse_timestamp, text, timestamp, Db, Value};
use vip_kit::{Ctx, Problem};

use crate::orders;
use vip_store::service::PROGRAM;

/// The customer of `{id}`, who must exist, and their service status.
fn customer(db: &Db, id: &str) -> Result<(String, ServiceStatus), Problem> {
    let id = CustomerId::parse(id).map_err(|m| Problem::field("id", m))?;
    let row = db
        .first(
            "SELECT COALESCE(s.status, 'active') FROM customers c
             LEFT JOIN service_status s ON s.customer_id = c.id WHERE c.id = ?",
            &[Value::Text(id.as_str().into())],
        )?
        .ok_or_else(|| Problem::not_found(format!("there is no customer `{}`", id.as_str())))?;
    Ok((id.as_str().to_string(), parse_enum(text(&row, 0)?)?))
}

fn refused(e: vip_domain::service::ServiceTransitionError) -> Problem {
    Problem::conflict(
        "invalid-service-transition",
        "The service cannot move that way",
        e.to_string(),
    )
}

fn concurrent(customer: &str) -> Problem {
    Problem::conflict(
        "concurrent-change",
        "The service status changed meanwhile",
        format!("customer `{customer}`'s service moved while this was applied; read it again"),
    )
}

fn retention_view(row: &spin_sdk::sqlite::RowResult) -> Result<serde_json::Value, Problem> {
    Ok(json!({
        "id": int(row, 0)?,
        "cause": text(row, 1)?,
        "status": text(row, 2)?,
        "sales_due": text(row, 3)?,
        "recovery_due": text(row, 4)?,
        "balance": serde_json::from_str::<serde_json::Value>(&text(row, 5)?).map_err(Problem::internal)?,
        "opened_at": text(row, 6)?,
        "closed_at": opt_text(row, 7),
        "reason": text(row, 8)?,
    }))
}

const RETENTION_COLUMNS: &str =
    "id, cause, status, sales_due, recovery_due, balance, opened_at, closed_at, reason";

fn view(db: &Db, customer: &str) -> Result<serde_json::Value, Problem> {
    let key = [Value::Text(customer.into())];
    let status = db.first(
        "SELECT status, updated_at, updated_by, reason FROM service_status WHERE customer_id = ?",
        &key,
    )?;
    let retention = db
        .first(
            &format!("SELECT {RETENTION_COLUMNS} FROM retention_cases WHERE customer_id = ? ORDER BY id DESC LIMIT 1"),
            &key,
        )?
        .map(|r| retention_view(&r))
        .transpose()?;
    Ok(json!({
        "customer_id": customer,
        "status": match &status { Some(r) => text(r, 0)?, None => "active".into() },
        "since": status.as_ref().map(|r| text(r, 1)).transpose()?,
        "moved_by": status.as_ref().map(|r| text(r, 2)).transpose()?,
        "reason": status.as_ref().and_then(|r| opt_text(r, 3)),
        "retention": retention,
        "orders": orders::of_customer(db, customer)?,
    }))
}

/// `GET /api/v1/customers/{id}/service`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let (id, _) = customer(&db, ctx.param("id"))?;
    Ok(vip_kit::json(200, &view(&db, &id)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reconnection {
    basis: ReconnectionBasis,
    /// The payment received (basis `payment`).
    #[serde(default)]
    payment_id: Option<String>,
    /// The dispute's or the plan's reference (bases `dispute`, `payment_plan`).
    #[serde(default)]
    reference: Option<String>,
}

/// Why this reconnection is allowed, in words, or what it lacks.
fn basis_evidence(db: &Db, customer: &str, r: &Reconnection) -> Result<String, Problem> {
    let named = |field: &str, v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= 128)
            .map(str::to_string)
            .ok_or_else(|| Problem::field(field, "required for this basis (1 to 128 characters)"))
    };
    match r.basis {
        ReconnectionBasis::Payment => {
            let payment = named("payment_id", &r.payment_id)?;
            db.first(
                "SELECT 1 FROM payments p JOIN invoices i ON i.id = p.invoice_id
                 WHERE p.id = ? AND i.customer_id = ?",
                &[Value::Text(payment.clone()), Value::Text(customer.into())],
            )?
            .ok_or_else(|| {
                Problem::unprocessable(
                    "payment-unknown",
                    "No such payment from this customer",
                    format!("payment `{payment}` is not recorded for customer `{customer}`: reconnection on payment needs a payment received"),
                )
            })?;
            Ok(format!("reconnected on payment {payment}"))
        }
        ReconnectionBasis::Dispute => Ok(format!(
            "reconnected while billing dispute {} is reviewed",
            named("reference", &r.reference)?
        )),
        ReconnectionBasis::PaymentPlan => Ok(format!(
            "reconnected on payment plan {}",
            named("reference", &r.reference)?
        )),
    }
}

/// `POST /api/v1/customers/{id}/service/reconnection`: `{basis, payment_id?,
/// reference?}`. The status moves at once (to `active_temporary_payment`,
/// `investigate` or `payment_plan`) and the reconnect order is opened.
pub fn reconnect(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let body: Reconnection = read_json(ctx.req)?;
    let db = Db::open()?;
    let (id, from) = customer(&db, ctx.param("id"))?;
    let why = basis_evidence(&db, &id, &body)?;
    let to = transition(from, ServiceEvent::Reconnect { basis: body.basis }).map_err(refused)?;
    let moved = db.first(
        "UPDATE service_status SET status = ?, updated_at = ?, updated_by = ?, reason = ?
         WHERE customer_id = ? AND status = ? RETURNING 1",
        &[
            Value::Text(to.as_str().into()),
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
            Value::Text(why),
            Value::Text(id.clone()),
            Value::Text(from.as_str().into()),
        ],
    )?;
    if moved.is_none() {
        return Err(concurrent(&id));
    }
    let program = PROGRAM.load(&db, ctx.now)?.document;
    orders::open(&db, &program, Some(&id), ctx.now, &ctx.actor())?;
    Ok(vip_kit::json(200, &view(&db, &id)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionStart {
    /// When the customer asked, or the equipment was seen off (default: now).
    #[serde(default)]
    at: Option<DateTime<Utc>>,
    #[serde(default)]
    note: Option<String>,
}

/// What the customer owes: unpaid invoices, by currency (collections' report).
fn balance(db: &Db, customer: &str) -> Result<Vec<Money>, Problem> {
    db.exec(
        "SELECT currency, SUM(amount_minor - paid_minor) FROM invoices
         WHERE customer_id = ? AND paid_at IS NULL GROUP BY currency ORDER BY currency",
        &[Value::Text(customer.into())],
    )?
    .rows
    .iter()
    .map(|r| {
        let currency = Currency::parse(&text(r, 0)?).map_err(Problem::internal)?;
        Ok(Money::from_minor(int(r, 1)?, currency))
    })
    .collect()
}

/// Opens a retention case for `customer` (moving the service to
/// `retention_sales`), with sales' and recovery's deadlines.
fn start_retention(
    ctx: &Ctx<'_>,
    db: &Db,
    customer: &str,
    from: ServiceStatus,
    cause: RetentionCause,
    start: &RetentionStart,
    actor: &str,
) -> Result<serde_json::Value, Problem> {
    let event = match cause {
        RetentionCause::DisconnectionRequest => ServiceEvent::RequestDisconnection,
        RetentionCause::PoweredOff => ServiceEvent::PoweredOff,
    };
    let to = transition(from, event).map_err(refused)?;
    let at = start.at.unwrap_or(ctx.now);
    let program = PROGRAM.load(db, ctx.now)?.document;
    let dater = match ctx.role() {
        Some(Role::Webform | Role::Chatbot) => Dater::MemberChannel,
        _ => Dater::Operator,
    };
    program
        .check_start(at, ctx.now, dater)
        .map_err(|why| Problem::field("at", why.to_string()))?;
    let business = vip_store::tickets::required_calendar(
        db,
        &program.calendar,
        "the suspension programme counts retention windows on calendar",
        ctx.now,
    )?
    .calendar
    .compile();
    let (sales_due, recovery_due) = program
        .retention_deadlines(cause, &business, at)
        .ok_or_else(|| Problem::internal("the business calendar has no working time ahead"))?;
    let owed = balance(db, customer)?;
    let reason = match start
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(note) => format!("{}: {note}", cause.as_str().replace('_', " ")),
        None => cause.as_str().replace('_', " "),
    };
    let opened = db.first(
        "INSERT INTO retention_cases (customer_id, cause, status, sales_due, recovery_due, balance,
             notify_legal, opened_at, opened_by, updated_at, updated_by, reason)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?9, ?10
         WHERE COALESCE((SELECT status FROM service_status WHERE customer_id = ?1), 'active') = ?11
         ON CONFLICT DO NOTHING RETURNING 1",
        &[
            Value::Text(customer.into()),
            Value::Text(cause.as_str().into()),
            Value::Text(to.as_str().into()),
            timestamp(sales_due),
            timestamp(recovery_due),
            Value::Text(serde_json::to_string(&owed).map_err(Problem::internal)?),
            Value::Text(program.legal.clone()),
            timestamp(at),
            Value::Text(actor.into()),
            Value::Text(reason),
            Value::Text(from.as_str().into()),
        ],
    )?;
    if opened.is_none() {
        return Err(concurrent(customer));
    }
    view(db, customer)
}

/// `POST /api/v1/customers/{id}/service/disconnection`: the customer asks
/// to leave (`{at?, note?}`): collections' balance is reported, sales have
/// their business days, then recovery.
pub fn request_disconnection(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    open_retention(ctx, RetentionCause::DisconnectionRequest)
}

/// `POST /api/v1/customers/{id}/service/powered-off`: a suspended customer's
/// equipment was seen powered off (`{at?, note?}`).
pub fn powered_off(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    open_retention(ctx, RetentionCause::PoweredOff)
}

fn open_retention(ctx: &Ctx<'_>, cause: RetentionCause) -> Result<Response, Problem> {
    let body: RetentionStart = read_json(ctx.req)?;
    let db = Db::open()?;
    let (id, from) = customer(&db, ctx.param("id"))?;
    let view = start_retention(ctx, &db, &id, from, cause, &body, &ctx.actor())?;
    Ok(vip_kit::json(201, &view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoweredOff {
    customer_id: String,
    #[serde(default)]
    observed_at: Option<DateTime<Utc>>,
}

/// The partners' `equipment.powered_off` event.
pub fn powered_off_event(
    ctx: &Ctx<'_>,
    db: &Db,
    event: &vip_kit::webhooks::Event,
) -> Result<serde_json::Value, Problem> {
    let event: PoweredOff = event.data()?;
    let (id, from) = customer(db, &event.customer_id)?;
    let start = RetentionStart {
        at: event.observed_at.map(|t| t.min(ctx.now)),
        note: Some("reported by the partner".into()),
    };
    start_retention(
        ctx,
        db,
        &id,
        from,
        RetentionCause::PoweredOff,
        &start,
        "partner:engineering",
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Retained {
    note: String,
}

/// `POST /api/v1/customers/{id}/service/retained`: sales or recovery kept
/// the customer (`{note}`); the case closes and the service is active.
pub fn retained(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let body: Retained = read_json(ctx.req)?;
    let note = body.note.trim();
    if note.is_empty() || note.len() > 500 {
        return Err(Problem::field("note", "1 to 500 characters"));
    }
    let db = Db::open()?;
    let (id, from) = customer(&db, ctx.param("id"))?;
    let to = transition(from, ServiceEvent::Retained).map_err(refused)?;
    let moved = db.first(
        "UPDATE retention_cases SET status = ?1, closed_at = ?2, updated_at = ?2, updated_by = ?3, reason = ?4
         WHERE customer_id = ?5 AND closed_at IS NULL AND status = ?6 RETURNING 1",
        &[
            Value::Text(to.as_str().into()),
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
            Value::Text(format!("retained: {note}")),
            Value::Text(id.clone()),
            Value::Text(from.as_str().into()),
        ],
    )?;
    if moved.is_none() {
        return Err(concurrent(&id));
    }
    Ok(vip_kit::json(200, &view(&db, &id)?))
}

/// Moves on every retention whose window ended by `as_of` (sales to
/// recovery, recovery to disconnected), dated when the window ended; a case
/// whose both windows passed during downtime moves twice, in order.
pub fn lapse_windows(
    db: &Db,
    program: &SuspensionProgram,
    as_of: DateTime<Utc>,
    actor: &str,
) -> Result<u64, Problem> {
    let mut moves = 0;
    loop {
        let due = db.exec(
            "SELECT id, customer_id, cause, status, sales_due, recovery_due FROM retention_cases
             WHERE closed_at IS NULL
               AND ((status = 'retention_sales' AND sales_due <= ?1)
                 OR (status = 'retention_recovery' AND recovery_due <= ?1))
             ORDER BY id LIMIT 200",
            &[timestamp(as_of)],
        )?;
        let mut moved_any = false;
        for row in &due.rows {
            let status: ServiceStatus = parse_enum(text(row, 3)?)?;
            let cause: RetentionCause = parse_enum(text(row, 2)?)?;
            let (sales_due, recovery_due) = (
                parse_timestamp(&text(row, 4)?)?,
                parse_timestamp(&text(row, 5)?)?,
            );
            let windows = program.windows(cause);
            let Some(why) = window_passed(status, cause, windows, sales_due, recovery_due, as_of)
            else {
                continue;
            };
            let to = transition(status, ServiceEvent::NotRetained).map_err(Problem::internal)?;
            let ended = if status == ServiceStatus::RetentionSales {
                sales_due
            } else {
                recovery_due
            };
            let moved = db.first(
                "UPDATE retention_cases SET status = ?1, updated_at = ?2, updated_by = ?3, reason = ?4,
                        closed_at = CASE WHEN ?1 = 'disconnected' THEN ?2 ELSE NULL END
                 WHERE id = ?5 AND status = ?6 AND closed_at IS NULL RETURNING 1",
                &[
                    Value::Text(to.as_str().into()),
                    timestamp(ended),
                    Value::Text(actor.into()),
                    Value::Text(why),
                    Value::Integer(int(row, 0)?),
                    Value::Text(status.as_str().into()),
                ],
            )?;
            if moved.is_some() {
                moves += 1;
                moved_any = true;
            }
        }
        if !moved_any {
            return Ok(moves);
        }
    }
}
