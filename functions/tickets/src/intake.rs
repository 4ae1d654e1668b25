//! Ticket intake and the ticket's SLA: who may open what (domain
//! `vip_domain::tickets`), which targets it runs on, on which calendar, and
//! "why is this due then?".

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use spin_sdk::http::Response;
use spin_sdk::sqlite::RowResult;
use vip_domain::calendar::{Clock, Schedule};
use vip_domain::customer::{CustomerId, SupportPlan};
use vip_domain::sla::{Pause, SlaClock};
use vip_domain::tickets::{Intake, Opener, Refusal, TicketKind, TicketsProgram};
use vip_kit::auth::Role;
use vip_kit::body::read_json;
use vip_kit::db::{
    int, opt_text, opt_timestamp, parse_enum, parse_timestamp, text, timestamp, timestamp_text, Db,
    Value,
};
use vip_kit::{Ctx, Problem};

use vip_store::tickets::{calendar, pauses, required_calendar, StoredCalendar, PROGRAM};

pub fn program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.get(ctx)
}

pub fn replace_program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.put(ctx)
}

pub(crate) fn as_text<T: serde::Serialize>(value: &T) -> Result<String, Problem> {
    match serde_json::to_value(value).map_err(Problem::internal)? {
        serde_json::Value::String(s) => Ok(s),
        other => Ok(other.to_string()),
    }
}

pub(crate) fn refused(r: Refusal) -> Problem {
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
        Refusal::NotSplittable { state } => Problem::conflict(
            "invalid-ticket-transition",
            "That does not apply to this ticket",
            format!("a {} ticket is not split: only a ticket still being worked on is", state.as_str()),
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

pub(crate) fn view(
    row: &RowResult,
    program: &TicketsProgram,
) -> Result<serde_json::Value, Problem> {
    let kind: TicketKind = parse_enum(text(row, 2)?)?;
    Ok(json!({
        "id": int(row, 0)?,
        "customer_id": text(row, 1)?,
        "kind": text(row, 2)?,
        "team": program.teams.of(kind),
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

/// A ticket to store: the intake and what was decided about it.
pub(crate) struct NewTicket<'a> {
    pub intake: &'a Intake,
    pub plan: SupportPlan,
    pub key_account: bool,
    pub calendar_id: String,
    pub schedule: &'a Schedule,
    /// When the customer asked: the clocks start here.
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    /// `YYYY-MM` opened, in the calendar's zone.
    pub month: String,
    pub counts_towards_limit: bool,
    /// Caller and Idempotency-Key (or the split it comes from): one ticket per key.
    pub request_key: Option<String>,
}

/// Inserts a ticket with its due times on its clock; `None` when the
/// monthly change-request limit is reached meanwhile or the request key was
/// used already. The limit is checked in the INSERT itself.
pub(crate) fn insert(
    db: &Db,
    program: &TicketsProgram,
    t: &NewTicket<'_>,
    now: DateTime<Utc>,
) -> Result<Option<RowResult>, Problem> {
    let intake = t.intake;
    let priority = intake.sla_priority();
    let first = program.targets.first_response(t.plan, priority);
    let resolution = program.targets.resolution(t.plan, priority);
    let clock = Clock::on(first.natural_time, t.schedule);
    let due = |minutes: i64| clock.add(t.opened_at, Duration::minutes(minutes));
    let opt = |v: Option<String>| v.map_or(Value::Null, Value::Text);
    db.first(
        &format!(
            "INSERT INTO tickets (customer_id, kind, channel, subject, description, priority, urgency, complexity,
                sla_priority, complaint, key_account, support_plan, calendar_id, natural_time, first_response_minutes,
                resolution_minutes, first_response_due, resolution_due, state, month, counts_towards_limit,
                opened_at, opened_by, updated_at, updated_by, request_key, last_team_feedback_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?26, ?23, ?25, ?26
             WHERE ?21 = 0 OR (SELECT COUNT(*) FROM tickets WHERE customer_id = ?1 AND month = ?20 AND counts_towards_limit = 1) < ?24
             ON CONFLICT (request_key) DO NOTHING
             RETURNING {COLUMNS}"
        ),
        &[
            Value::Text(intake.customer_id.clone()),
            Value::Text(as_text(&intake.kind)?),
            Value::Text(as_text(&intake.channel)?),
            Value::Text(intake.subject.trim().into()),
            Value::Text(intake.description.clone()),
            opt(intake.priority.map(|p| as_text(&p)).transpose()?),
            opt(intake.urgency.map(|u| as_text(&u)).transpose()?),
            opt(intake.complexity.map(|c| as_text(&c)).transpose()?),
            Value::Text(as_text(&priority)?),
            Value::Integer(i64::from(intake.complaint)),
            Value::Integer(i64::from(t.key_account)),
            Value::Text(as_text(&t.plan)?),
            Value::Text(t.calendar_id.clone()),
            Value::Integer(i64::from(first.natural_time)),
            Value::Integer(first.duration_minutes),
            Value::Integer(resolution.duration_minutes),
            due(first.duration_minutes).map_or(Value::Null, timestamp),
            due(resolution.duration_minutes).map_or(Value::Null, timestamp),
            Value::Text(if intake.complaint { "escalated" } else { "new" }.into()),
            Value::Text(t.month.clone()),
            Value::Integer(i64::from(t.counts_towards_limit)),
            timestamp(t.opened_at),
            Value::Text(t.opened_by.clone()),
            Value::Integer(i64::from(program.urgent_change_requests_per_month)),
            opt(t.request_key.clone()),
            timestamp(now),
        ],
    )
}

/// `POST /api/v1/tickets`: a customer's ticket from the web form or the chat
/// bot (or a change request staff write up after a requirements meeting),
/// with its first-response and resolution due times, on the customer's own
/// calendar if they have one, else their plan's.
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
            "SELECT json_extract(facts, '$.support_plan'), COALESCE(json_extract(facts, '$.key_account'), 0),
                    json_extract(facts, '$.support_calendar')
             FROM customers WHERE id = ?",
            &[Value::Text(customer.as_str().into())],
        )?
        .ok_or_else(|| Problem::not_found(format!("there is no customer `{}`", customer.as_str())))?;
    let plan: SupportPlan = match opt_text(&facts, 0) {
        Some(p) => serde_json::from_value(json!(p)).map_err(Problem::internal)?,
        None => program.default_plan,
    };
    let key_account = int(&facts, 1)? == 1;
    let (calendar_id, whose) = match opt_text(&facts, 2) {
        Some(own) => (own, "the customer's own calendar".to_string()),
        None => (
            program.calendars.of(plan).to_string(),
            format!(
                "the tickets programme counts {} tickets on calendar",
                as_text(&plan)?
            ),
        ),
    };
    let stored = required_calendar(&db, &calendar_id, &whose, ctx.now)?;
    let month = stored
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
    let request_key = ctx
        .header("idempotency-key")
        .map(|k| format!("{} {}", ctx.actor(), k.trim()));
    let schedule = stored.calendar.compile();
    let inserted = insert(
        &db,
        &program,
        &NewTicket {
            intake: &intake,
            plan,
            key_account,
            calendar_id,
            schedule: &schedule,
            opened_at: ctx.now,
            opened_by: ctx.actor(),
            month,
            counts_towards_limit: intake.counts_towards_limit(),
            request_key: request_key.clone(),
        },
        ctx.now,
    )?;
    if let Some(row) = inserted {
        return Ok(vip_kit::json(201, &view(&row, &program)?));
    }
    if let Some(key) = request_key {
        if let Some(row) = db.first(
            &format!("SELECT {COLUMNS} FROM tickets WHERE request_key = ?"),
            &[Value::Text(key)],
        )? {
            return Ok(vip_kit::replayed(201, &view(&row, &program)?));
        }
    }
    Err(refused(Refusal::ChangeRequestLimit {
        limit: program.urgent_change_requests_per_month,
    }))
}

/// `GET /api/v1/tickets/{ticket}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let row = load(&db, ctx.id_param("ticket", "ticket")?)?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    Ok(vip_kit::json(200, &view(&row, &program)?))
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

/// What a ticket's clocks run on: its calendar (compiled once), natural or
/// business time, its start and its pauses.
pub(crate) struct TicketClocks {
    pub stored: StoredCalendar,
    schedule: Schedule,
    pub natural: bool,
    pub started: DateTime<Utc>,
    pub pauses: Vec<Pause>,
}

impl TicketClocks {
    /// For ticket `id`, read as `row` (`COLUMNS`).
    pub fn load(db: &Db, id: i64, row: &RowResult, now: DateTime<Utc>) -> Result<Self, Problem> {
        let stored = calendar(db, &text(row, 12)?, now)?;
        Ok(TicketClocks {
            schedule: stored.calendar.compile(),
            stored,
            natural: int(row, 13)? == 1,
            started: parse_timestamp(&text(row, 19)?)?,
            pauses: pauses(db, id)?,
        })
    }

    pub fn clock(&self) -> Clock<'_> {
        Clock::on(self.natural, &self.schedule)
    }
}

/// `GET /api/v1/tickets/{ticket}/sla`: why each clock is due when it is:
/// start, pauses, calendar and clock, target, time used and left, due.
pub fn sla(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let db = Db::open()?;
    let row = load(&db, id)?;
    let clocks = TicketClocks::load(&db, id, &row, ctx.now)?;
    let (clock, started, pauses) = (clocks.clock(), clocks.started, &clocks.pauses);
    let stored = &clocks.stored;
    Ok(vip_kit::json(
        200,
        &json!({
            "ticket_id": id,
            "calendar": { "id": stored.id, "zone": stored.calendar.zone, "version": stored.version },
            "counted_in": if clocks.natural { "natural time (24×7): very_high incidents only" } else { "business hours of the calendar" },
            "sla_priority": text(&row, 8)?,
            "support_plan": text(&row, 11)?,
            "now": timestamp_text(ctx.now),
            "clocks": [
                explain("first_response", started, pauses, int(&row, 14)?, opt_timestamp(&row, 21)?, &clock, ctx.now),
                explain("resolution", started, pauses, int(&row, 15)?, opt_timestamp(&row, 22)?, &clock, ctx.now),
            ],
        }),
    ))
}
