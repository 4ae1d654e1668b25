//! Ticket intake and the ticket's SLA: who may open what (domain
//! `vip_domain::tickets`), which targets it runs on, on which calendar, and
//! "why is this due then?".

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use spin_sdk::http::Response;
use spin_sdk::sqlite::RowResult;
use vip_domain::calendar::Clock;
use vip_domain::customer::{CustomerId, SupportPlan};
use vip_domain::sla::{Pause, SlaClock};
use vip_domain::tickets::{default_tickets_program, Intake, Opener, Refusal, TicketsProgram};
use vip_kit::auth::Role;
use vip_kit::body::read_json;
use vip_kit::db::{int, opt_text, parse_timestamp, text, timestamp, timestamp_text, Db, Value};
use vip_kit::settings::Document;
use vip_kit::{Ctx, Problem};

use crate::calendars;

/// The tickets programme: targets table, calendars per plan, phone support, limits.
pub const PROGRAM: Document<TicketsProgram> = Document {
    name: "tickets",
    key: "program",
    default: default_tickets_program,
    validate: TicketsProgram::validate,
    in_use: None,
};

pub fn program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.get(ctx)
}

pub fn replace_program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.put(ctx)
}

fn as_text<T: serde::Serialize>(value: &T) -> Result<String, Problem> {
    match serde_json::to_value(value).map_err(Problem::internal)? {
        serde_json::Value::String(s) => Ok(s),
        other => Ok(other.to_string()),
    }
}

fn refused(r: Refusal) -> Problem {
    match r {
        Refusal::Invalid(errors) => Problem::validation(errors),
        Refusal::StaffOpensOnlyChangeRequests => Problem::unprocessable(
            "customer-opens-tickets",
            "Customers open their own tickets",
            "staff open a ticket for a customer only for a change request written up after a requirements meeting (002 §8.1)",
        ),
        Refusal::NoPhoneSupport { plan } => Problem::unprocessable(
            "no-phone-support",
            "The customer's plan has no phone support",
            format!(
                "the {} plan does not include phone support: please open a ticket through the web form or the chat bot, where it is answered within the plan's targets",
                as_text(&plan).unwrap_or_default()
            ),
        ),
        Refusal::ChangeRequestLimit { limit } => Problem::conflict(
            "change-request-limit",
            "The monthly limit of medium and urgent change requests is reached",
            format!("at most {limit} medium or urgent change requests per month (002 §6.3); open it as low urgency or next month"),
        ),
    }
}

pub(crate) const COLUMNS: &str = "id, customer_id, kind, channel, subject, priority, urgency, complexity, sla_priority, complaint,
    key_account, support_plan, calendar_id, natural_time, first_response_minutes, resolution_minutes,
    first_response_due, resolution_due, state, opened_at, opened_by, first_responded_at, resolved_at, closed_at";

pub(crate) fn view(row: &RowResult) -> Result<serde_json::Value, Problem> {
    Ok(json!({
        "id": int(row, 0)?,
        "customer_id": text(row, 1)?,
        "kind": text(row, 2)?,
        "channel": text(row, 3)?,
        "subject": text(row, 4)?,
        "priority": opt_text(row, 5),
        "urgency": opt_text(row, 6),
        "complexity": opt_text(row, 7),
        "sla_priority": text(row, 8)?,
        "complaint": int(row, 9)? == 1,
        "key_account": int(row, 10)? == 1,
        "support_plan": text(row, 11)?,
        "state": text(row, 18)?,
        "opened_at": text(row, 19)?,
        "opened_by": text(row, 20)?,
        "sla": {
            "calendar": text(row, 12)?,
            "clock": if int(row, 13)? == 1 { "natural (24×7)" } else { "business hours" },
            "first_response": { "target_minutes": int(row, 14)?, "due": opt_text(row, 16), "met_at": opt_text(row, 21) },
            "resolution": { "target_minutes": int(row, 15)?, "due": opt_text(row, 17), "met_at": opt_text(row, 22) },
        },
        "closed_at": opt_text(row, 23),
    }))
}

pub(crate) fn load(db: &Db, id: i64) -> Result<RowResult, Problem> {
    db.first(
        &format!("SELECT {COLUMNS} FROM tickets WHERE id = ?"),
        &[Value::Integer(id)],
    )?
    .ok_or_else(|| Problem::not_found(format!("there is no ticket {id}")))
}

/// `POST /api/v1/tickets`: a customer's ticket from the web form or the chat
/// bot (or a change request staff write up after a requirements meeting),
/// with its first-response and resolution due times.
pub fn open(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let intake: Intake = read_json(ctx.req)?;
    let customer =
        CustomerId::parse(&intake.customer_id).map_err(|m| Problem::field("customer_id", m))?;
    let opener = match ctx.role() {
        Some(Role::Staff) => Opener::Staff,
        _ => Opener::Customer,
    };
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let facts = db
        .first(
            "SELECT json_extract(facts, '$.support_plan'), COALESCE(json_extract(facts, '$.key_account'), 0)
             FROM customers WHERE id = ?",
            &[Value::Text(customer.as_str().into())],
        )?
        .ok_or_else(|| Problem::not_found(format!("there is no customer `{}`", customer.as_str())))?;
    let plan: SupportPlan = match opt_text(&facts, 0) {
        Some(p) => serde_json::from_value(json!(p)).map_err(Problem::internal)?,
        None => program.default_plan,
    };
    let key_account = int(&facts, 1)? == 1;
    let calendar_id = program.calendars.of(plan).to_string();
    let calendar = calendars::load(&db, ctx, &calendar_id).map_err(|_| {
        Problem::unprocessable(
            "calendar-missing",
            "The plan's calendar does not exist",
            format!("the tickets programme counts {} tickets on calendar `{calendar_id}`, which is not stored", as_text(&plan).unwrap_or_default()),
        )
    })?;
    let month = calendar
        .calendar
        .zone
        .date_of(ctx.now)
        .format("%Y-%m")
        .to_string();
    let counted = db
        .first(
            "SELECT COUNT(*) FROM tickets WHERE customer_id = ? AND month = ? AND counts_towards_limit = 1",
            &[Value::Text(customer.as_str().into()), Value::Text(month.clone())],
        )?
        .map(|r| int(&r, 0))
        .transpose()?
        .unwrap_or(0);
    intake
        .check(
            &program,
            opener,
            plan,
            u32::try_from(counted).unwrap_or(u32::MAX),
        )
        .map_err(refused)?;
    let priority = intake.sla_priority();
    let first = program.targets.first_response(plan, priority);
    let resolution = program.targets.resolution(plan, priority);
    let schedule = calendar.calendar.compile();
    let clock = Clock::on(first.natural_time, &schedule);
    let due = |minutes: i64| clock.add(ctx.now, Duration::minutes(minutes));
    let request_key = ctx
        .header("idempotency-key")
        .map(|k| format!("{} {}", ctx.actor(), k.trim()));
    let opt = |v: Option<String>| v.map_or(Value::Null, Value::Text);
    let inserted = db.first(
        &format!(
            "INSERT INTO tickets (customer_id, kind, channel, subject, description, priority, urgency, complexity,
                sla_priority, complaint, key_account, support_plan, calendar_id, natural_time, first_response_minutes,
                resolution_minutes, first_response_due, resolution_due, state, month, counts_towards_limit,
                opened_at, opened_by, updated_at, updated_by, request_key, last_team_feedback_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?22, ?23, ?25, ?22
             WHERE ?21 = 0 OR (SELECT COUNT(*) FROM tickets WHERE customer_id = ?1 AND month = ?20 AND counts_towards_limit = 1) < ?24
             ON CONFLICT (request_key) DO NOTHING
             RETURNING {COLUMNS}"
        ),
        &[
            Value::Text(customer.as_str().into()),
            Value::Text(as_text(&intake.kind)?),
            Value::Text(as_text(&intake.channel)?),
            Value::Text(intake.subject.trim().into()),
            Value::Text(intake.description.clone()),
            opt(intake.priority.map(|p| as_text(&p)).transpose()?),
            opt(intake.urgency.map(|u| as_text(&u)).transpose()?),
            opt(intake.complexity.map(|c| as_text(&c)).transpose()?),
            Value::Text(as_text(&priority)?),
            Value::Integer(i64::from(intake.complaint)),
            Value::Integer(i64::from(key_account)),
            Value::Text(as_text(&plan)?),
            Value::Text(calendar_id),
            Value::Integer(i64::from(first.natural_time)),
            Value::Integer(first.duration_minutes),
            Value::Integer(resolution.duration_minutes),
            due(first.duration_minutes).map_or(Value::Null, timestamp),
            due(resolution.duration_minutes).map_or(Value::Null, timestamp),
            Value::Text(if intake.complaint { "escalated" } else { "new" }.into()),
            Value::Text(month),
            Value::Integer(i64::from(intake.counts_towards_limit())),
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
            Value::Integer(i64::from(program.urgent_change_requests_per_month)),
            opt(request_key.clone()),
        ],
    )?;
    if let Some(row) = inserted {
        return Ok(vip_kit::json(201, &view(&row)?));
    }
    if let Some(key) = request_key {
        if let Some(row) = db.first(
            &format!("SELECT {COLUMNS} FROM tickets WHERE request_key = ?"),
            &[Value::Text(key)],
        )? {
            return Ok(vip_kit::json(200, &view(&row)?));
        }
    }
    Err(refused(Refusal::ChangeRequestLimit {
        limit: program.urgent_change_requests_per_month,
    }))
}

/// `GET /api/v1/tickets/{ticket}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let row = load(&Db::open()?, ctx.id_param("ticket", "ticket")?)?;
    Ok(vip_kit::json(200, &view(&row)?))
}

fn explain(
    name: &str,
    started: DateTime<Utc>,
    pauses: &[Pause],
    target_minutes: i64,
    met_at: Option<DateTime<Utc>>,
    clock: &Clock<'_>,
    now: DateTime<Utc>,
) -> serde_json::Value {
    let c = SlaClock {
        started,
        pauses: pauses.to_vec(),
        target: Duration::minutes(target_minutes),
    };
    let until = met_at.unwrap_or(now);
    let used = c.used(clock, until);
    let due = c.due(clock);
    let status = match (met_at, due) {
        (Some(m), Some(d)) if m <= d => "met",
        (Some(_), _) => "met late",
        (None, _) if c.paused() => "paused: waiting on the customer",
        (None, Some(d)) if d <= now => "breached",
        (None, Some(_)) if used * 4 >= c.target * 3 => "running, past the 75 % warning",
        _ => "running",
    };
    json!({
        "clock": name,
        "started": timestamp_text(started),
        "pauses": pauses,
        "target_minutes": target_minutes,
        "used_minutes": used.num_minutes(),
        "remaining_minutes": (c.target - used).num_minutes(),
        "warning_at": c.reaches(clock, 75).map(timestamp_text),
        "due": due.map(timestamp_text),
        "met_at": met_at.map(timestamp_text),
        "status": status,
    })
}

/// A ticket's pauses, in order.
pub(crate) fn pauses(db: &Db, id: i64) -> Result<Vec<Pause>, Problem> {
    db.exec(
        "SELECT from_at, to_at FROM ticket_pauses WHERE ticket_id = ? ORDER BY from_at",
        &[Value::Integer(id)],
    )?
    .rows
    .iter()
    .map(|p| {
        Ok(Pause {
            from: parse_timestamp(&text(p, 0)?)?,
            to: opt_text(p, 1).as_deref().map(parse_timestamp).transpose()?,
        })
    })
    .collect()
}

/// `GET /api/v1/tickets/{ticket}/sla`: why each clock is due when it is:
/// start, pauses, calendar and clock, target, time used and left, due.
pub fn sla(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let db = Db::open()?;
    let row = load(&db, id)?;
    let calendar_id = text(&row, 12)?;
    let stored = calendars::load(&db, ctx, &calendar_id)?;
    let schedule = stored.calendar.compile();
    let natural = int(&row, 13)? == 1;
    let clock = Clock::on(natural, &schedule);
    let pauses = pauses(&db, id)?;
    let started = parse_timestamp(&text(&row, 19)?)?;
    let met = |i: usize| {
        opt_text(&row, i)
            .as_deref()
            .map(parse_timestamp)
            .transpose()
    };
    Ok(vip_kit::json(
        200,
        &json!({
            "ticket_id": id,
            "calendar": { "id": calendar_id, "zone": stored.calendar.zone, "version": stored.version },
            "counted_in": if natural { "natural time (24×7): very_high incidents only" } else { "business hours of the calendar" },
            "sla_priority": text(&row, 8)?,
            "support_plan": text(&row, 11)?,
            "now": timestamp_text(ctx.now),
            "clocks": [
                explain("first_response", started, &pauses, int(&row, 14)?, met(21)?, &clock, ctx.now),
                explain("resolution", started, &pauses, int(&row, 15)?, met(22)?, &clock, ctx.now),
            ],
        }),
    ))
}
