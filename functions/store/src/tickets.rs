//! Tickets, their pauses, clock events and history (docs/domain.md §4): the
//! tickets programme document, intake, moves, splitting, the work queue, and
//! the clock events the SLA sweep ([`crate::sla_sweep`]) finds due. The
//! calendars the clocks run on are in [`crate::calendars`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use vip_domain::customer::{CustomerId, SupportPlan};
use vip_domain::sla::{Pause, Priority};
use vip_domain::sweep::SweepEvent;
use vip_domain::tickets::{
    default_tickets_program, Channel, Complexity, Intake, TicketKind, TicketState, TicketsProgram,
    Urgency,
};
use vip_kit::db::{count_written, parse_enum, timestamp, Db, Row, Value};
use vip_kit::settings::Document;
use vip_kit::Problem;

use crate::effects::Effect;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "tickets_opened",
        table: "tickets",
        on: "INSERT",
        writes: &["audit_events", "notice_outbox"],
        does: "audits a new ticket and acknowledges it to the customer",
    },
    Effect {
        trigger: "tickets_moved",
        table: "tickets",
        on: "UPDATE OF state",
        writes: &["audit_events", "ticket_pauses"],
        does: "stops or restarts the clocks (a pause row) and audits the move",
    },
    Effect {
        trigger: "tickets_first_response",
        table: "tickets",
        on: "UPDATE OF first_responded_at",
        writes: &["audit_events"],
        does: "audits the first response",
    },
    Effect {
        trigger: "ticket_reclassified",
        table: "ticket_reclassifications",
        on: "INSERT",
        writes: &["audit_events", "tickets"],
        does: "applies the team's new classification (targets and due times) to the ticket and audits it",
    },
    Effect {
        trigger: "ticket_clock_event_recorded",
        table: "ticket_clock_events",
        on: "INSERT",
        writes: &["audit_events", "notice_outbox", "tickets"],
        does: "audits a clock event, queues its notice, and moves the ticket on an escalation or automatic close",
    },
];

/// The tickets programme: targets table, calendars per plan, phone support,
/// limits, clock rules, teams.
pub const PROGRAM: Document<TicketsProgram> = Document {
    name: "tickets",
    key: "program",
    default: default_tickets_program,
    validate: TicketsProgram::validate,
    in_use: None,
};

const COLUMNS: &str = "id, customer_id, kind, channel, subject, priority, urgency, complexity, sla_priority, complaint,
    key_account, support_plan, calendar_id, natural_time, first_response_minutes, resolution_minutes,
    first_response_due, resolution_due, state, opened_at, opened_by, first_responded_at, resolved_at, closed_at,
    (SELECT team FROM ticket_assignments a WHERE a.ticket_id = tickets.id) AS assigned_team,
    (SELECT assignee FROM ticket_assignments a WHERE a.ticket_id = tickets.id) AS assignee,
    (SELECT MAX(kind) FROM ticket_clock_events e WHERE e.ticket_id = tickets.id AND e.kind LIKE 'level.%') AS last_climb,
    (SELECT json_object('provider', provider, 'since', since, 'committed_at', committed_at, 'pauses_clocks', json(CASE pauses WHEN 1 THEN 'true' ELSE 'false' END))
     FROM ticket_provider_waits w WHERE w.ticket_id = tickets.id AND w.until IS NULL) AS provider_wait";

/// A ticket as it is shown and moved (`COLUMNS`).
pub struct StoredTicket {
    pub id: i64,
    pub customer_id: CustomerId,
    pub kind: TicketKind,
    pub channel: Channel,
    pub subject: String,
    pub priority: Option<Priority>,
    pub urgency: Option<Urgency>,
    pub complexity: Option<Complexity>,
    /// The row of the targets table.
    pub sla_priority: Priority,
    pub complaint: bool,
    pub key_account: bool,
    pub support_plan: SupportPlan,
    pub calendar_id: String,
    /// The 24×7 clock rather than business hours.
    pub natural_time: bool,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    pub first_response_due: Option<DateTime<Utc>>,
    pub resolution_due: Option<DateTime<Utc>>,
    pub state: TicketState,
    pub opened_at: DateTime<Utc>,
    pub opened_by: String,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The team someone assigned it to (`None`: its kind's team).
    pub assigned_team: Option<String>,
    /// The agent working it, if any.
    pub assignee: Option<String>,
    /// The last support-level climb the sweep recorded (`level.L2`, …).
    pub last_climb: Option<String>,
    /// The open wait on an outside provider: provider, since, committed_at, pauses_clocks.
    pub provider_wait: Option<serde_json::Value>,
}

impl StoredTicket {
    fn read(row: Row<'_>) -> Result<Self, Problem> {
        Ok(StoredTicket {
            id: row.int("id")?,
            customer_id: CustomerId::parse(&row.text("customer_id")?).map_err(Problem::internal)?,
            kind: row.parse("kind")?,
            channel: row.parse("channel")?,
            subject: row.text("subject")?,
            priority: opt_parse(&row, "priority")?,
            urgency: opt_parse(&row, "urgency")?,
            complexity: opt_parse(&row, "complexity")?,
            sla_priority: row.parse("sla_priority")?,
            complaint: row.flag("complaint")?,
            key_account: row.flag("key_account")?,
            support_plan: row.parse("support_plan")?,
            calendar_id: row.text("calendar_id")?,
            natural_time: row.flag("natural_time")?,
            first_response_minutes: row.int("first_response_minutes")?,
            resolution_minutes: row.int("resolution_minutes")?,
            first_response_due: row.opt_time("first_response_due")?,
            resolution_due: row.opt_time("resolution_due")?,
            state: row.parse("state")?,
            opened_at: row.time("opened_at")?,
            opened_by: row.text("opened_by")?,
            first_responded_at: row.opt_time("first_responded_at")?,
            resolved_at: row.opt_time("resolved_at")?,
            closed_at: row.opt_time("closed_at")?,
            assigned_team: row.opt_text("assigned_team")?,
            assignee: row.opt_text("assignee")?,
            last_climb: row.opt_text("last_climb")?,
            provider_wait: row
                .opt_text("provider_wait")?
                .map(|j| serde_json::from_str(&j).map_err(Problem::internal))
                .transpose()?,
        })
    }
}

/// A nullable stored enum value back as its type.
fn opt_parse<T: DeserializeOwned>(row: &Row<'_>, name: &str) -> Result<Option<T>, Problem> {
    row.opt_text(name)?.map(parse_enum).transpose()
}

/// A stored enum value: its snake_case text.
fn enum_text<T: Serialize>(value: &T) -> Result<String, Problem> {
    match serde_json::to_value(value).map_err(Problem::internal)? {
        serde_json::Value::String(s) => Ok(s),
        other => Ok(other.to_string()),
    }
}

fn enum_value<T: Serialize>(value: &T) -> Result<Value, Problem> {
    enum_text(value).map(Value::Text)
}

fn opt_enum<T: Serialize>(value: Option<&T>) -> Result<Value, Problem> {
    value.map_or(Ok(Value::Null), enum_value)
}

fn opt_time(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, timestamp)
}

/// Ticket `id`, if there is one.
pub fn find(db: &Db, id: i64) -> Result<Option<StoredTicket>, Problem> {
    db.one(
        &format!("SELECT {COLUMNS} FROM tickets WHERE id = ?"),
        &[Value::Integer(id)],
        StoredTicket::read,
    )
}

/// `customer`'s tickets, newest first, at most `limit`.
pub fn of_customer(
    db: &Db,
    customer: &CustomerId,
    limit: i64,
) -> Result<Vec<StoredTicket>, Problem> {
    db.all(
        &format!("SELECT {COLUMNS} FROM tickets WHERE customer_id = ? ORDER BY id DESC LIMIT ?"),
        &[Value::Text(customer.as_str().into()), Value::Integer(limit)],
        StoredTicket::read,
    )
}

/// The ticket opened under request key `key` (caller and Idempotency-Key,
/// or a split part's), if any.
pub fn by_request_key(db: &Db, key: &str) -> Result<Option<StoredTicket>, Problem> {
    db.one(
        &format!("SELECT {COLUMNS} FROM tickets WHERE request_key = ?"),
        &[Value::Text(key.into())],
        StoredTicket::read,
    )
}

/// The month (`YYYY-MM`, in its calendar's zone) ticket `id` was opened in.
pub fn month_of(db: &Db, id: i64) -> Result<Option<String>, Problem> {
    db.one(
        "SELECT month FROM tickets WHERE id = ?",
        &[Value::Integer(id)],
        |row| row.text("month"),
    )
}

/// What a customer's facts say about their support.
pub struct CustomerSupport {
    /// `None`: the programme's default plan.
    pub plan: Option<SupportPlan>,
    pub key_account: bool,
    /// The customer's own calendar, if any (else their plan's).
    pub calendar: Option<String>,
}

/// The support facts of `customer`, if there is such a customer (a
/// read-only look at `customers`).
pub fn support_of(db: &Db, customer: &CustomerId) -> Result<Option<CustomerSupport>, Problem> {
    db.one(
        "SELECT json_extract(facts, '$.support_plan') AS support_plan,
                COALESCE(json_extract(facts, '$.key_account'), 0) AS key_account,
                json_extract(facts, '$.support_calendar') AS support_calendar
         FROM customers WHERE id = ?",
        &[Value::Text(customer.as_str().into())],
        |row| {
            Ok(CustomerSupport {
                plan: opt_parse(&row, "support_plan")?,
                key_account: row.int("key_account")? == 1,
                calendar: row.opt_text("support_calendar")?,
            })
        },
    )
}

/// How many tickets of `customer` opened in `month` count towards the
/// monthly change-request limit.
pub fn counted_towards_limit(db: &Db, customer: &CustomerId, month: &str) -> Result<u32, Problem> {
    let counted = db
        .one(
            "SELECT COUNT(*) AS counted FROM tickets WHERE customer_id = ? AND month = ? AND counts_towards_limit = 1",
            &[Value::Text(customer.as_str().into()), Value::Text(month.into())],
            |row| row.int("counted"),
        )?
        .unwrap_or(0);
    Ok(u32::try_from(counted).unwrap_or(u32::MAX))
}

/// A ticket to store: the intake and what was decided about it.
pub struct NewTicket<'a> {
    pub intake: &'a Intake,
    pub sla_priority: Priority,
    pub key_account: bool,
    pub plan: SupportPlan,
    pub calendar_id: &'a str,
    pub natural_time: bool,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    pub first_response_due: Option<DateTime<Utc>>,
    pub resolution_due: Option<DateTime<Utc>>,
    pub state: TicketState,
    /// `YYYY-MM` opened, in the calendar's zone.
    pub month: &'a str,
    pub counts_towards_limit: bool,
    /// The programme's monthly limit of medium and urgent change requests.
    pub limit: u32,
    /// When the customer asked: the clocks start here.
    pub opened_at: DateTime<Utc>,
    pub opened_by: &'a str,
    /// Caller and Idempotency-Key (or the split it comes from): one ticket per key.
    pub request_key: Option<&'a str>,
    /// When it is stored.
    pub now: DateTime<Utc>,
}

/// Inserts a ticket (its subject trimmed); `None` when the monthly
/// change-request limit is reached meanwhile or the request key was used
/// already. The limit is checked in the INSERT itself. Fires
/// `tickets_opened`: the audit row, and a formal complaint's notice to the
/// customer success manager.
pub fn open(db: &Db, t: &NewTicket<'_>) -> Result<Option<StoredTicket>, Problem> {
    let intake = t.intake;
    db.one(
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
            enum_value(&intake.kind)?,
            enum_value(&intake.channel)?,
            Value::Text(intake.subject.trim().into()),
            Value::Text(intake.description.clone()),
            opt_enum(intake.priority.as_ref())?,
            opt_enum(intake.urgency.as_ref())?,
            opt_enum(intake.complexity.as_ref())?,
            enum_value(&t.sla_priority)?,
            Value::Integer(i64::from(intake.complaint)),
            Value::Integer(i64::from(t.key_account)),
            enum_value(&t.plan)?,
            Value::Text(t.calendar_id.into()),
            Value::Integer(i64::from(t.natural_time)),
            Value::Integer(t.first_response_minutes),
            Value::Integer(t.resolution_minutes),
            opt_time(t.first_response_due),
            opt_time(t.resolution_due),
            Value::Text(t.state.as_str().into()),
            Value::Text(t.month.into()),
            Value::Integer(i64::from(t.counts_towards_limit)),
            timestamp(t.opened_at),
            Value::Text(t.opened_by.into()),
            Value::Integer(i64::from(t.limit)),
            t.request_key.map_or(Value::Null, |k| Value::Text(k.into())),
            timestamp(t.now),
        ],
        StoredTicket::read,
    )
}

/// A ticket's move on an event, with the clocks' times after it.
pub struct EventMove<'a> {
    pub id: i64,
    /// The state the move was decided from: the UPDATE's guard.
    pub from: TicketState,
    pub to: TicketState,
    pub first_responded_at: Option<DateTime<Utc>>,
    pub first_response_due: Option<DateTime<Utc>>,
    pub resolution_due: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Set on the team's events: follow-ups count from here.
    pub team_feedback_at: Option<DateTime<Utc>>,
    /// Why, for the audit trail.
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// Moves ticket `m.id` if it is still in `m.from`; `None` when it changed
/// meanwhile. Fires `tickets_moved` (the pause that stops or restarts the
/// clocks, and the audit row) and, on a first response,
/// `tickets_first_response`.
pub fn apply_event(db: &Db, m: &EventMove<'_>) -> Result<Option<StoredTicket>, Problem> {
    db.one(
        &format!(
            "UPDATE tickets SET state = ?1, first_responded_at = ?2, first_response_due = ?3, resolution_due = ?4,
                    resolved_at = ?5, closed_at = ?6, last_team_feedback_at = COALESCE(?7, last_team_feedback_at),
                    last_reason = ?8, updated_at = ?9, updated_by = ?10
             WHERE id = ?11 AND state = ?12 RETURNING {COLUMNS}"
        ),
        &[
            Value::Text(m.to.as_str().into()),
            opt_time(m.first_responded_at),
            opt_time(m.first_response_due),
            opt_time(m.resolution_due),
            opt_time(m.resolved_at),
            opt_time(m.closed_at),
            opt_time(m.team_feedback_at),
            m.reason.clone().map_or(Value::Null, Value::Text),
            timestamp(m.at),
            Value::Text(m.by.into()),
            Value::Integer(m.id),
            Value::Text(m.from.as_str().into()),
        ],
        StoredTicket::read,
    )
}

/// How a ticket is filed and what it is held to: the part a
/// reclassification changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub kind: TicketKind,
    pub priority: Option<Priority>,
    pub urgency: Option<Urgency>,
    pub complexity: Option<Complexity>,
    pub sla_priority: Priority,
    pub natural_time: bool,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
    pub first_response_due: Option<DateTime<Utc>>,
    pub resolution_due: Option<DateTime<Utc>>,
}

impl Classified {
    pub fn of(t: &StoredTicket) -> Classified {
        Classified {
            kind: t.kind,
            priority: t.priority,
            urgency: t.urgency,
            complexity: t.complexity,
            sla_priority: t.sla_priority,
            natural_time: t.natural_time,
            first_response_minutes: t.first_response_minutes,
            resolution_minutes: t.resolution_minutes,
            first_response_due: t.first_response_due,
            resolution_due: t.resolution_due,
        }
    }

    /// As stored (times as text, as every stored time).
    pub fn to_json(&self) -> serde_json::Value {
        let time = |t: Option<DateTime<Utc>>| t.map(vip_kit::db::timestamp_text);
        serde_json::json!({
            "kind": self.kind,
            "priority": self.priority,
            "urgency": self.urgency,
            "complexity": self.complexity,
            "sla_priority": self.sla_priority,
            "natural_time": self.natural_time,
            "first_response_minutes": self.first_response_minutes,
            "resolution_minutes": self.resolution_minutes,
            "first_response_due": time(self.first_response_due),
            "resolution_due": time(self.resolution_due),
        })
    }
}

/// A ticket to refile: as it was read (`state`, `before`), how it is filed
/// now (`after`), and why.
pub struct Refiling<'a> {
    pub id: i64,
    pub state: TicketState,
    pub before: &'a Classified,
    pub after: &'a Classified,
    pub reason: &'a str,
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// Refiles ticket `r.id`; `false` when it changed meanwhile. Fires
/// `ticket_reclassified`.
pub fn reclassify(db: &Db, r: &Refiling<'_>) -> Result<bool, Problem> {
    let written = db.exec(
        "INSERT INTO ticket_reclassifications (ticket_id, before, after, reason, made_at, made_by)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6
         WHERE EXISTS (SELECT 1 FROM tickets WHERE id = ?1 AND state = ?7
                       AND kind = json_extract(?2, '$.kind') AND sla_priority = json_extract(?2, '$.sla_priority')
                       AND first_response_due IS json_extract(?2, '$.first_response_due')
                       AND resolution_due IS json_extract(?2, '$.resolution_due'))
         RETURNING id",
        &[
            Value::Integer(r.id),
            Value::Text(r.before.to_json().to_string()),
            Value::Text(r.after.to_json().to_string()),
            Value::Text(r.reason.trim().into()),
            timestamp(r.at),
            Value::Text(r.by.into()),
            Value::Text(r.state.as_str().into()),
        ],
    )?;
    Ok(!written.rows.is_empty())
}

/// A past reclassification of a ticket.
pub struct Refiled {
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    pub reason: String,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// Ticket `id`'s reclassifications, oldest first.
pub fn reclassifications(db: &Db, id: i64) -> Result<Vec<Refiled>, Problem> {
    db.all(
        "SELECT before, after, reason, made_at, made_by FROM ticket_reclassifications
         WHERE ticket_id = ? ORDER BY id",
        &[Value::Integer(id)],
        |row| {
            Ok(Refiled {
                before: row.json("before")?,
                after: row.json("after")?,
                reason: row.text("reason")?,
                at: row.time("made_at")?,
                by: row.text("made_by")?,
            })
        },
    )
}

/// Closes split ticket `id` if it is still in `from`, with `reason` (the
/// numbers of its parts); `None` when it changed meanwhile. Fires
/// `tickets_moved`: the audit row (and a pause if the clocks ran).
pub fn close_split(
    db: &Db,
    id: i64,
    from: TicketState,
    reason: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<Option<StoredTicket>, Problem> {
    db.one(
        &format!(
            "UPDATE tickets SET state = 'closed', closed_at = ?1, last_reason = ?2, updated_at = ?1, updated_by = ?3
             WHERE id = ?4 AND state = ?5 RETURNING {COLUMNS}"
        ),
        &[
            timestamp(at),
            Value::Text(reason.into()),
            Value::Text(by.into()),
            Value::Integer(id),
            Value::Text(from.as_str().into()),
        ],
        StoredTicket::read,
    )
}

/// Clock events written per statement (9 parameters each).
const CLOCK_EVENTS_PER_STATEMENT: usize = 200;

/// A clock event the SLA sweep found due, with its ticket as the sweep
/// read it.
pub struct DueClockEvent {
    pub ticket: i64,
    pub event: SweepEvent,
    /// `team:<team>`, `team_lead:<team>`, `head_of_department` or `customer`.
    pub notify: String,
    pub seen_updated_at: String,
    pub seen_state: TicketState,
}

/// Records `events`, each once (keyed by ticket and key) and only if its
/// ticket still has the state and `updated_at` the sweep read; adds the
/// recorded ones to `by_kind` and answers how many were recorded and how
/// many moved their ticket. Fires `ticket_clock_event_recorded`: the audit
/// row, the event's notice, and on an escalation or automatic close the
/// ticket's move (which fires `tickets_moved`), all in the event's statement.
pub fn record_clock_events(
    db: &Db,
    events: &[DueClockEvent],
    actor: &str,
    now: DateTime<Utc>,
    by_kind: &mut BTreeMap<String, u64>,
) -> Result<(u64, u64), Problem> {
    let rows: Vec<Vec<Value>> = events
        .iter()
        .map(|p| {
            vec![
                Value::Integer(p.ticket),
                Value::Text(p.event.key.clone()),
                Value::Text(p.event.kind.clone()),
                timestamp(p.event.at),
                Value::Text(p.notify.clone()),
                p.event
                    .moves_to
                    .map_or(Value::Null, |s| Value::Text(s.as_str().into())),
                Value::Text(p.event.reason.clone()),
                Value::Text(p.seen_updated_at.clone()),
                Value::Text(p.seen_state.as_str().into()),
            ]
        })
        .collect();
    let written = db.exec_rows(
        "INSERT INTO ticket_clock_events (ticket_id, key, kind, due_at, notify, moves_to, reason, recorded_at, recorded_by)
         SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, ?2, ?1
         FROM (VALUES {rows}) AS v
         WHERE EXISTS (SELECT 1 FROM tickets t WHERE t.id = v.column1 AND t.updated_at = v.column8 AND t.state = v.column9)
         ON CONFLICT DO NOTHING
         RETURNING kind, moves_to",
        &[Value::Text(actor.into()), timestamp(now)],
        rows,
        CLOCK_EVENTS_PER_STATEMENT,
    )?;
    count_written(&written, "kind", by_kind)
}

/// A pause from its `from_at` and `to_at` columns.
pub(crate) fn pause_at(row: &Row<'_>) -> Result<Pause, Problem> {
    Ok(Pause {
        from: row.time("from_at")?,
        to: row.opt_time("to_at")?,
    })
}

/// A ticket's pauses, in order.
pub fn pauses(db: &Db, id: i64) -> Result<Vec<Pause>, Problem> {
    db.all(
        "SELECT from_at, to_at FROM ticket_pauses WHERE ticket_id = ? ORDER BY from_at",
        &[Value::Integer(id)],
        |row| pause_at(&row),
    )
}

/// Which tickets the work queue shows.
pub struct QueueFilter<'a> {
    /// `None`: every ticket still being worked on (not resolved or closed).
    pub state: Option<TicketState>,
    /// `None`: every team. A ticket is a team's when assigned to it, or,
    /// never assigned, when its kind is routed there (`kinds`).
    pub team: Option<(&'a str, &'a [TicketKind])>,
    /// Only the tickets of this agent ("my queue").
    pub assignee: Option<&'a str>,
    /// Only breached (`true`) or not breached (`false`) next clocks.
    pub breached: Option<bool>,
    pub now: DateTime<Utc>,
    pub limit: i64,
}

/// A ticket in the work queue with the clock that runs next.
pub struct Queued {
    pub ticket: StoredTicket,
    /// `first_response` or `resolution`.
    pub next_clock: String,
    /// `None` when that clock is paused or met.
    pub next_due: Option<DateTime<Utc>>,
}

/// The work queue: by priority (very_high first), key accounts first within
/// a priority, then by time to breach of the clock that runs next (paused
/// clocks last).
pub fn queue(db: &Db, f: &QueueFilter<'_>) -> Result<Vec<Queued>, Problem> {
    let kinds = f
        .team
        .map(|(_, k)| serde_json::to_string(k).map_err(Problem::internal))
        .transpose()?;
    let rank = Priority::ALL
        .iter()
        .enumerate()
        .map(|(i, p)| Ok(format!("WHEN '{}' THEN {i}", enum_text(p)?)))
        .collect::<Result<Vec<_>, Problem>>()?
        .join(" ");
    db.all(
        &format!(
            "SELECT * FROM (
                SELECT {COLUMNS},
                       CASE WHEN first_responded_at IS NULL THEN 'first_response' ELSE 'resolution' END AS next_clock,
                       CASE WHEN first_responded_at IS NULL THEN first_response_due
                            WHEN resolved_at IS NULL THEN resolution_due END AS next_due
                FROM tickets
                WHERE (?1 IS NULL AND state NOT IN ('resolved', 'closed') OR state = ?1))
             WHERE (?3 IS NULL OR ?3 = (next_due IS NOT NULL AND next_due <= ?4))
               AND (?6 IS NULL OR assigned_team = ?6
                    OR assigned_team IS NULL AND kind IN (SELECT value FROM json_each(?2)))
               AND (?7 IS NULL OR assignee = ?7)
             ORDER BY CASE sla_priority {rank} END, key_account DESC, next_due IS NULL, next_due, id
             LIMIT ?5"
        ),
        &[
            f.state
                .map_or(Value::Null, |s| Value::Text(s.as_str().into())),
            kinds.map_or(Value::Null, Value::Text),
            f.breached
                .map_or(Value::Null, |b| Value::Integer(i64::from(b))),
            timestamp(f.now),
            Value::Integer(f.limit),
            f.team.map_or(Value::Null, |(t, _)| Value::Text(t.into())),
            f.assignee.map_or(Value::Null, |a| Value::Text(a.into())),
        ],
        |row| {
            Ok(Queued {
                next_clock: row.text("next_clock")?,
                next_due: row.opt_time("next_due")?,
                ticket: StoredTicket::read(row)?,
            })
        },
    )
}
