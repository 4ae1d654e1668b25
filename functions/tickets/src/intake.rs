//! Ticket intake and the ticket's SLA: who may open what (domain
//! `vip_domain::tickets`), which targets it runs on, on which calendar, and
//! "why is this due then?".

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::calendar::{Clock, Schedule};
use vip_domain::customer::{CustomerId, SupportPlan};
use vip_domain::sla::{Pause, SlaClock};
use vip_domain::tickets::{Intake, Opener, Refusal, TicketState, TicketsProgram};
use vip_kit::auth::Role;
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};

use vip_store::calendars::{self, required_calendar, StoredCalendar};
use vip_store::tickets::{self, StoredTicket, PROGRAM};

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

pub(crate) fn view(t: &StoredTicket, program: &TicketsProgram) -> serde_json::Value {
    let time = |t: Option<DateTime<Utc>>| t.map(timestamp_text);
    json!({
        "id": t.id,
        "customer_id": t.customer_id,
        "kind": t.kind,
        "team": program.teams.of(t.kind),
        "channel": t.channel,
        "subject": t.subject,
        "priority": t.priority,
        "urgency": t.urgency,
        "complexity": t.complexity,
        "sla_priority": t.sla_priority,
        "complaint": t.complaint,
        "key_account": t.key_account,
        "support_plan": t.support_plan,
        "state": t.state,
        "opened_at": timestamp_text(t.opened_at),
        "opened_by": t.opened_by,
        "sla": {
            "calendar": t.calendar_id,
            "clock": if t.natural_time { "natural (24×7)" } else { "business hours" },
            "first_response": { "target_minutes": t.first_response_minutes, "due": time(t.first_response_due), "met_at": time(t.first_responded_at) },
            "resolution": { "target_minutes": t.resolution_minutes, "due": time(t.resolution_due), "met_at": time(t.resolved_at) },
        },
        "closed_at": time(t.closed_at),
    })
}

pub(crate) fn load(db: &Db, id: i64) -> Result<StoredTicket, Problem> {
    tickets::find(db, id)?.ok_or_else(|| Problem::not_found(format!("there is no ticket {id}")))
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

/// Stores a ticket with its due times on its clock; `None` when the
/// monthly change-request limit is reached meanwhile or the request key was
/// used already (`vip_store::tickets::open`).
pub(crate) fn insert(
    db: &Db,
    program: &TicketsProgram,
    t: &NewTicket<'_>,
    now: DateTime<Utc>,
) -> Result<Option<StoredTicket>, Problem> {
    let intake = t.intake;
    let priority = intake.sla_priority();
    let first = program.targets.first_response(t.plan, priority);
    let resolution = program.targets.resolution(t.plan, priority);
    let clock = Clock::on(first.natural_time, t.schedule);
    let due = |minutes: i64| clock.add(t.opened_at, Duration::minutes(minutes));
    tickets::open(
        db,
        &tickets::NewTicket {
            intake,
            sla_priority: priority,
            key_account: t.key_account,
            plan: t.plan,
            calendar_id: &t.calendar_id,
            natural_time: first.natural_time,
            first_response_minutes: first.duration_minutes,
            resolution_minutes: resolution.duration_minutes,
            first_response_due: due(first.duration_minutes),
            resolution_due: due(resolution.duration_minutes),
            state: if intake.complaint {
                TicketState::Escalated
            } else {
                TicketState::New
            },
            month: &t.month,
            counts_towards_limit: t.counts_towards_limit,
            limit: program.urgent_change_requests_per_month,
            opened_at: t.opened_at,
            opened_by: &t.opened_by,
            request_key: t.request_key.as_deref(),
            now,
        },
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
    let support = tickets::support_of(&db, &customer)?.ok_or_else(|| {
        Problem::not_found(format!("there is no customer `{}`", customer.as_str()))
    })?;
    let plan = support.plan.unwrap_or(program.default_plan);
    let key_account = support.key_account;
    let (calendar_id, whose) = match support.calendar {
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
    let counted = tickets::counted_towards_limit(&db, &customer, &month)?;
    intake
        .check(&program, opener, plan, counted)
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
    if let Some(ticket) = inserted {
        return Ok(vip_kit::json(201, &view(&ticket, &program)));
    }
    if let Some(key) = request_key {
        if let Some(ticket) = tickets::by_request_key(&db, &key)? {
            return Ok(vip_kit::replayed(201, &view(&ticket, &program)));
        }
    }
    Err(refused(Refusal::ChangeRequestLimit {
        limit: program.urgent_change_requests_per_month,
    }))
}

/// `GET /api/v1/me/tickets?limit=`: the member's tickets, newest first.
pub fn mine(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let customer = CustomerId::parse(ctx.param("id")).map_err(Problem::internal)?;
    let limit = ctx.int_query("limit", 1, 200)?.unwrap_or(50);
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let tickets: Vec<_> = tickets::of_customer(&db, &customer, limit)?
        .iter()
        .map(|t| view(t, &program))
        .collect();
    Ok(vip_kit::json(
        200,
        &serde_json::json!({ "tickets": tickets }),
    ))
}

/// `GET /api/v1/tickets/{ticket}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let ticket = load(&db, ctx.id_param("ticket", "ticket")?)?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    Ok(vip_kit::json(200, &view(&ticket, &program)))
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
    pub fn load(db: &Db, ticket: &StoredTicket, now: DateTime<Utc>) -> Result<Self, Problem> {
        let stored = calendars::calendar(db, &ticket.calendar_id, now)?;
        Ok(TicketClocks {
            schedule: stored.calendar.compile(),
            stored,
            natural: ticket.natural_time,
            started: ticket.opened_at,
            pauses: tickets::pauses(db, ticket.id)?,
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
    let ticket = load(&db, id)?;
    let clocks = TicketClocks::load(&db, &ticket, ctx.now)?;
    let (clock, started, pauses) = (clocks.clock(), clocks.started, &clocks.pauses);
    let stored = &clocks.stored;
    Ok(vip_kit::json(
        200,
        &json!({
            "ticket_id": id,
            "calendar": { "id": stored.id, "zone": stored.calendar.zone, "version": stored.version },
            "counted_in": if clocks.natural { "natural time (24×7): very_high incidents only" } else { "business hours of the calendar" },
            "sla_priority": ticket.sla_priority,
            "support_plan": ticket.support_plan,
            "now": timestamp_text(ctx.now),
            "clocks": [
                explain("first_response", started, pauses, ticket.first_response_minutes, ticket.first_responded_at, &clock, ctx.now),
                explain("resolution", started, pauses, ticket.resolution_minutes, ticket.resolved_at, &clock, ctx.now),
            ],
        }),
    ))
}
