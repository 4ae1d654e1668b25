//! Ticket intake and the ticket's SLA: who may open what (domain
//! `vip_domain::tickets`), which targets it runs on, on which calendar, and
//! "why is this due then?".

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::calendar::{Clock, Schedule};
use vip_domain::channels::{first_response_minutes, is_open, Caller};
use vip_domain::customer::{CustomerId, SupportPlan};
use vip_domain::levels::{Level, LevelFacts};
use vip_domain::sla::{merge_pauses, ClockStatus, Pause, SlaClock};
use vip_domain::tickets::{
    intake_time, Channel, Intake, Opener, Refusal, TicketState, TicketsProgram,
};
use vip_kit::auth::Role;
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};

use vip_store::calendars::{self, required_calendar, StoredCalendar};
use vip_store::memberships;
use vip_store::provider_waits;
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
        "team": t.assigned_team.as_deref().unwrap_or(program.teams.of(t.kind)),
        "assignee": t.assignee,
        "level": level_view(t, program),
        "waiting_on_provider": t.provider_wait,
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

/// The ticket's support level: where it started and why, where it is now
/// and who owns it there.
fn level_view(t: &StoredTicket, program: &TicketsProgram) -> serde_json::Value {
    let levels = &program.levels;
    let (start, why) = levels.start(LevelFacts {
        complaint: t.complaint,
        emergency: t.channel == Channel::EmergencyLine,
        key_account: t.key_account,
    });
    let (now, owner) = levels.current(start, t.last_climb.as_deref());
    json!({
        "current": now.map_or("beyond_l3", Level::as_str),
        "owner": owner,
        "started_at": start,
        "why": why,
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
    /// Who asked, as the channel sees them (a VIP member's promised answer time).
    pub caller: Caller,
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
    let first_minutes = first_response_minutes(
        program.channels.rule(intake.channel),
        t.caller,
        first.duration_minutes,
        first.natural_time,
        program.targets.business_day_hours,
    );
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
            first_response_minutes: first_minutes,
            resolution_minutes: resolution.duration_minutes,
            first_response_due: due(first_minutes),
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

/// Who is calling, as the channels see them (a VIP member, with the 24/7
/// phone benefit or not), and the support plan their tier guarantees.
pub(crate) fn caller_of(
    db: &Db,
    customer: &CustomerId,
    now: DateTime<Utc>,
) -> Result<(Caller, Option<SupportPlan>), Problem> {
    let Some(tier) = memberships::tier_of(db, customer)? else {
        return Ok((
            Caller {
                member: false,
                phone_24x7: false,
            },
            None,
        ));
    };
    let ladder = memberships::TIERS.load(db, now)?.document;
    let benefits = ladder
        .tiers
        .iter()
        .find(|t| t.id == tier)
        .map(|t| &t.benefits);
    Ok((
        Caller {
            member: true,
            phone_24x7: benefits.is_some_and(|b| b.phone_24x7),
        },
        benefits.map(|b| b.support_plan_floor),
    ))
}

/// 422 `channel-closed` when `channel` takes no contact from `caller` at
/// `at`, with its hours.
fn check_channel_open(
    db: &Db,
    program: &TicketsProgram,
    channel: Channel,
    caller: Caller,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    let rule = program.channels.rule(channel);
    let Some(id) = &rule.hours else {
        return Ok(());
    };
    let hours = required_calendar(
        db,
        id,
        "the programme keeps a channel's hours in calendar",
        now,
    )?;
    if is_open(rule, Some(&hours.calendar.compile()), caller, at) {
        return Ok(());
    }
    Err(Problem::unprocessable(
        "channel-closed",
        "The channel is closed at this hour",
        format!(
            "{} takes contacts {}{}; a ticket through the web form or the chat bot is taken at any hour",
            as_text(&channel)?,
            hours.calendar.describe_week(),
            if rule.open_24x7_for_tier_benefit {
                ", and at any hour for tiers with the 24/7 line"
            } else {
                ""
            }
        ),
    ))
}

/// `POST /api/v1/tickets`: a customer's ticket from the web form or the chat
/// bot (or a change request staff write up after a requirements meeting),
/// with its first-response and resolution due times, on the customer's own
/// calendar if they have one, else their plan's.
pub fn open(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let intake: Intake = read_json(ctx.req)?;
    let customer =
        CustomerId::parse(&intake.customer_id).map_err(|m| Problem::field("customer_id", m))?;
    let opener = Opener::of(ctx.role() == Some(Role::Staff), intake.channel);
    if intake.received_at.is_some() && !matches!(ctx.role(), Some(Role::Staff | Role::Scheduler)) {
        return Err(Problem::forbidden(
            "received_at is given only by staff logging a call and by the email gateway (scheduler); a web form or chat bot ticket starts when it arrives",
        ));
    }
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let opened_at = intake_time(intake.received_at, ctx.now, program.late_entry_hours)
        .map_err(Problem::validation)?;
    let support = tickets::support_of(&db, &customer)?.ok_or_else(|| {
        Problem::not_found(format!("there is no customer `{}`", customer.as_str()))
    })?;
    let (caller, floor) = caller_of(&db, &customer, ctx.now)?;
    // A member's tier guarantees a plan at least (the tier ladder's benefits).
    let plan = support
        .plan
        .unwrap_or(program.default_plan)
        .max(floor.unwrap_or(SupportPlan::Bronze));
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
        .date_of(opened_at)
        .format("%Y-%m")
        .to_string();
    let counted = tickets::counted_towards_limit(&db, &customer, &month)?;
    intake
        .check(&program, opener, plan, counted)
        .map_err(refused)?;
    check_channel_open(&db, &program, intake.channel, caller, opened_at, ctx.now)?;
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
            opened_at,
            opened_by: ctx.actor(),
            caller,
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

/// One clock explained: a met clock as it stood when met (what followed
/// does not move it), otherwise as it runs now.
fn explain(
    name: &str,
    clocks: &TicketClocks,
    target_minutes: i64,
    met_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    warning_percent: u32,
) -> serde_json::Value {
    let clock = &clocks.clock();
    let started = clocks.started;
    let c = SlaClock {
        started,
        pauses: clocks.pauses.clone(),
        target: Duration::minutes(target_minutes),
    };
    let status = match c.status(clock, met_at, now, warning_percent) {
        ClockStatus::Paused if clocks.provider.last().is_some_and(|p| p.to.is_none()) => {
            "paused: waiting on a provider".to_string()
        }
        other => other.describe(warning_percent),
    };
    let c = c.settled(met_at);
    let used = c.used(clock, met_at.unwrap_or(now));
    json!({
        "clock": name,
        "started": timestamp_text(started),
        "pauses": c.pauses,
        "target_minutes": target_minutes,
        "used_minutes": used.num_minutes(),
        "remaining_minutes": (c.target - used).num_minutes(),
        "warning_at": c.reaches(clock, warning_percent).map(timestamp_text),
        "due": c.due(clock).map(timestamp_text),
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
    /// Waits on the customer (and while resolved).
    pub customer: Vec<Pause>,
    /// Waits on a provider that stop the clocks.
    pub provider: Vec<Pause>,
    /// Both, merged: what the clocks count.
    pub pauses: Vec<Pause>,
}

impl TicketClocks {
    pub fn load(db: &Db, ticket: &StoredTicket, now: DateTime<Utc>) -> Result<Self, Problem> {
        let stored = calendars::calendar(db, &ticket.calendar_id, now)?;
        let customer = tickets::pauses(db, ticket.id)?;
        let provider = provider_waits::pauses(db, ticket.id)?;
        Ok(TicketClocks {
            schedule: stored.calendar.compile(),
            stored,
            natural: ticket.natural_time,
            started: ticket.opened_at,
            pauses: merge_pauses([customer.clone(), provider.clone()].concat()),
            customer,
            provider,
        })
    }

    /// The same clocks with other pauses (after a move or a provider wait).
    pub fn with_pauses(mut self, customer: Vec<Pause>, provider: Vec<Pause>) -> Self {
        self.pauses = merge_pauses([customer.clone(), provider.clone()].concat());
        self.customer = customer;
        self.provider = provider;
        self
    }

    pub fn clock(&self) -> Clock<'_> {
        Clock::on(self.natural, &self.schedule)
    }

    /// The due instant of a `minutes` target on the natural or the business
    /// clock, from the start with the pauses so far; where it stood when
    /// met, if `met`.
    pub fn due(
        &self,
        natural: bool,
        minutes: i64,
        met: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        SlaClock {
            started: self.started,
            pauses: self.pauses.clone(),
            target: Duration::minutes(minutes),
        }
        .settled(met)
        .due(&Clock::on(natural, &self.schedule))
    }
}

/// How `t` was filed, as an intake (its description is in the conversation).
pub(crate) fn filed(t: &StoredTicket) -> Intake {
    Intake {
        customer_id: t.customer_id.as_str().to_string(),
        kind: t.kind,
        channel: t.channel,
        subject: t.subject.clone(),
        description: String::new(),
        priority: t.priority,
        urgency: t.urgency,
        complexity: t.complexity,
        complaint: t.complaint,
        received_at: None,
    }
}

/// `GET /api/v1/tickets/{ticket}/sla`: why each clock is due when it is:
/// start, pauses, calendar and clock, target, time used and left, due.
pub fn sla(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let db = Db::open()?;
    let ticket = load(&db, id)?;
    let clocks = TicketClocks::load(&db, &ticket, ctx.now)?;
    let stored = &clocks.stored;
    let warning = PROGRAM
        .load(&db, ctx.now)?
        .document
        .clock_rules
        .warning_percent;
    Ok(vip_kit::json(
        200,
        &json!({
            "ticket_id": id,
            "calendar": { "id": stored.id, "zone": stored.calendar.zone, "version": stored.version },
            "counted_in": if clocks.natural { "natural time (24×7): very_high incidents only" } else { "business hours of the calendar" },
            "sla_priority": ticket.sla_priority,
            "support_plan": ticket.support_plan,
            "now": timestamp_text(ctx.now),
            "reclassifications": crate::reclassify::explained(&db, id)?,
            "clocks": [
                explain("first_response", &clocks, ticket.first_response_minutes, ticket.first_responded_at, ctx.now, warning),
                explain("resolution", &clocks, ticket.resolution_minutes, ticket.resolved_at, ctx.now, warning),
            ],
        }),
    ))
}
