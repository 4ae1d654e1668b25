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
use vip_domain::service::{transition, ReconnectionBasis, ServiceEvent, ServiceStatus};
use vip_domain::suspension::{
    window_passed, Dater, FormalRequest, FormalVia, RetentionCause, SuspensionProgram,
};
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};

use crate::orders;
use vip_store::service::{self as store, FiledRequest, NewRetention, RetentionCase, PROGRAM};

/// The customer of `{id}`, who must exist, and their service status.
fn customer(db: &Db, id: &str) -> Result<(CustomerId, ServiceStatus), Problem> {
    let id = CustomerId::parse(id).map_err(|m| Problem::field("id", m))?;
    let status = store::status_of(db, &id)?
        .ok_or_else(|| Problem::not_found(format!("there is no customer `{}`", id.as_str())))?;
    Ok((id, status))
}

fn refused(e: vip_domain::service::ServiceTransitionError) -> Problem {
    Problem::conflict(
        "invalid-service-transition",
        "The service cannot move that way",
        e.to_string(),
    )
}

fn concurrent(customer: &CustomerId) -> Problem {
    Problem::conflict(
        "concurrent-change",
        "The service status changed meanwhile",
        format!(
            "customer `{}`'s service moved while this was applied; read it again",
            customer.as_str()
        ),
    )
}

fn retention_view(case: &RetentionCase) -> serde_json::Value {
    json!({
        "id": case.id,
        "cause": case.cause.as_str(),
        "status": case.status.as_str(),
        "sales_due": timestamp_text(case.sales_due),
        "recovery_due": timestamp_text(case.recovery_due),
        "balance": case.balance,
        "opened_at": timestamp_text(case.opened_at),
        "closed_at": case.closed_at.map(timestamp_text),
        "reason": case.reason,
    })
}

/// A request to disconnect filed through a member channel.
fn filed_view(request: &FiledRequest) -> serde_json::Value {
    json!({
        "id": request.id,
        "customer_id": request.customer_id,
        "filed_at": timestamp_text(request.filed_at),
        "filed_by": request.filed_by,
        "note": request.note,
        "waiting_for": "staff to record the customer's formal request (email or letter); the retention windows start then",
    })
}

fn view(db: &Db, customer: &CustomerId) -> Result<serde_json::Value, Problem> {
    let status = store::last_move(db, customer)?;
    let retention = store::latest_retention(db, customer)?.map(|c| retention_view(&c));
    let pending = store::pending_disconnection_request(db, customer)?.map(|r| filed_view(&r));
    Ok(json!({
        "customer_id": customer.as_str(),
        "status": status.as_ref().map_or("active", |s| s.status.as_str()),
        "since": status.as_ref().map(|s| timestamp_text(s.at)),
        "moved_by": status.as_ref().map(|s| &s.by),
        "reason": status.as_ref().and_then(|s| s.reason.as_ref()),
        "retention": retention,
        "pending_disconnection_request": pending,
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
fn basis_evidence(db: &Db, customer: &CustomerId, r: &Reconnection) -> Result<String, Problem> {
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
            if !vip_store::collections::has_paid(db, customer, &payment)? {
                return Err(Problem::unprocessable(
                    "payment-unknown",
                    "No such payment from this customer",
                    format!(
                        "payment `{payment}` is not recorded for customer `{}`: reconnection on payment needs a payment received",
                        customer.as_str()
                    ),
                ));
            }
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
/// `investigate` or `payment_plan`) and the reconnect order is opened; a
/// customer reconnected already moves to the new basis, with no new order.
pub fn reconnect(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let body: Reconnection = read_json(ctx.req)?;
    let db = Db::open()?;
    let (id, from) = customer(&db, ctx.param("id"))?;
    let why = basis_evidence(&db, &id, &body)?;
    let to = transition(from, ServiceEvent::Reconnect { basis: body.basis }).map_err(refused)?;
    if from.reconnected() {
        // Connected already: only the basis changes; no new order.
        if !store::change_basis(&db, &id, from, to, &why, ctx.now, &ctx.actor())? {
            return Err(concurrent(&id));
        }
        return Ok(vip_kit::json(200, &view(&db, &id)?));
    }
    if !store::reconnect(&db, &id, from, to, &why, ctx.now, &ctx.actor())? {
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
    /// The formal request that starts a disconnection's windows (staff).
    #[serde(skip)]
    formal: Option<FormalRequest>,
}

/// When a request or a retention starts: `at` (default now), within the
/// backdating the caller's side is allowed.
fn start_at(
    ctx: &Ctx<'_>,
    program: &SuspensionProgram,
    at: Option<DateTime<Utc>>,
) -> Result<DateTime<Utc>, Problem> {
    let at = at.unwrap_or(ctx.now);
    let dater = if ctx.customer_side() {
        Dater::MemberChannel
    } else {
        Dater::Operator
    };
    program
        .check_start(at, ctx.now, dater)
        .map_err(|why| Problem::field("at", why.to_string()))?;
    Ok(at)
}

/// Opens a retention case for `customer` (moving the service to
/// `retention_sales`), with sales' and recovery's deadlines; a disconnection
/// names the `formal` request that starts them.
fn start_retention(
    ctx: &Ctx<'_>,
    db: &Db,
    customer: &CustomerId,
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
    let program = PROGRAM.load(db, ctx.now)?.document;
    let at = start_at(ctx, &program, start.at)?;
    let business = vip_store::calendars::required_calendar(
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
    // What the customer owes, as collections report it.
    let owed = vip_store::collections::unpaid_balance(db, customer)?;
    let mut reason = cause.as_str().replace('_', " ");
    if let Some(formal) = &start.formal {
        reason = format!("{reason}, {}", formal.describe());
    }
    if let Some(note) = start
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        reason = format!("{reason}: {note}");
    }
    let opened = store::open_retention(
        db,
        &NewRetention {
            customer,
            cause,
            from,
            status: to,
            sales_due,
            recovery_due,
            balance: &owed,
            notify_legal: &program.legal,
            at,
            by: actor,
            reason: &reason,
        },
    )?;
    if !opened {
        return Err(concurrent(customer));
    }
    view(db, customer)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Disconnection {
    /// When the customer asked (a member channel), or when the formal
    /// request was received (staff; the windows start here). Default: now.
    #[serde(default)]
    at: Option<DateTime<Utc>>,
    #[serde(default)]
    note: Option<String>,
    /// Staff: how the formal request arrived.
    #[serde(default)]
    via: Option<FormalVia>,
    /// Staff: the formal request's reference.
    #[serde(default)]
    reference: Option<String>,
}

/// `POST /api/v1/customers/{id}/service/disconnection`: the customer asks to
/// leave. From the web form or a chat bot (`{at?, note?}`) the request is
/// filed and waits, visible to staff (202; filing again answers the same
/// request). Staff record the formal request (`{at?, via, reference,
/// note?}`, seed 001: email or letter): collections' balance is reported and
/// sales have their business days from its date, then recovery (201).
pub fn request_disconnection(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let body: Disconnection = read_json(ctx.req)?;
    let db = Db::open()?;
    let (id, from) = customer(&db, ctx.param("id"))?;
    transition(from, ServiceEvent::RequestDisconnection).map_err(refused)?;
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(Problem::field("note", "at most 500 characters"));
    }
    if ctx.customer_side() {
        if body.via.is_some() || body.reference.is_some() {
            let field = if body.via.is_some() {
                "via"
            } else {
                "reference"
            };
            return Err(Problem::field(
                field,
                "the formal request is recorded by staff, not through a member channel",
            ));
        }
        let program = PROGRAM.load(&db, ctx.now)?.document;
        let at = start_at(ctx, &program, body.at)?;
        store::file_disconnection_request(&db, &id, at, &ctx.actor(), note)?;
        return Ok(vip_kit::json(202, &view(&db, &id)?));
    }
    let formal =
        FormalRequest::parse(body.via, body.reference.as_deref()).map_err(Problem::validation)?;
    let start = RetentionStart {
        at: body.at,
        note: note.map(str::to_string),
        formal: Some(formal),
    };
    let view = start_retention(
        ctx,
        &db,
        &id,
        from,
        RetentionCause::DisconnectionRequest,
        &start,
        &ctx.actor(),
    )?;
    Ok(vip_kit::json(201, &view))
}

/// `GET /api/v1/disconnection-requests`: requests filed through member
/// channels that wait for their formal request, oldest first.
pub fn pending_requests(_ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let requests = store::pending_disconnection_requests(&db, 500)?;
    Ok(vip_kit::json(
        200,
        &json!({"requests": requests.iter().map(filed_view).collect::<Vec<_>>()}),
    ))
}

/// `POST /api/v1/customers/{id}/service/powered-off`: a suspended customer's
/// equipment was seen powered off (`{at?, note?}`).
pub fn powered_off(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let body: RetentionStart = read_json(ctx.req)?;
    let db = Db::open()?;
    let (id, from) = customer(&db, ctx.param("id"))?;
    let view = start_retention(
        ctx,
        &db,
        &id,
        from,
        RetentionCause::PoweredOff,
        &body,
        &ctx.actor(),
    )?;
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
        formal: None,
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
    let reason = format!("retained: {note}");
    if !store::retain(&db, &id, from, to, &reason, ctx.now, &ctx.actor())? {
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
        let mut moved_any = false;
        for case in store::windows_ended(db, as_of)? {
            let windows = program.windows(case.cause);
            let Some(why) = window_passed(
                case.status,
                case.cause,
                windows,
                case.sales_due,
                case.recovery_due,
                as_of,
            ) else {
                continue;
            };
            let to =
                transition(case.status, ServiceEvent::NotRetained).map_err(Problem::internal)?;
            let ended = if case.status == ServiceStatus::RetentionSales {
                case.sales_due
            } else {
                case.recovery_due
            };
            if store::lapse(db, case.id, case.status, to, &why, ended, actor)? {
                moves += 1;
                moved_any = true;
            }
        }
        if !moved_any {
            return Ok(moves);
        }
    }
}
