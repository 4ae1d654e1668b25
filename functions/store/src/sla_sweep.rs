//! The SLA sweep, `POST /api/v1/tickets/sla-sweep?as_of=`: the `tickets`
//! component's cron entry calls it every minute, external schedulers for
//! catch-up. For every ticket not closed it asks the domain
//! (`vip_domain::sweep::due_events`) which clock events are due by `as_of`
//! and records the ones not recorded yet.
//!
//! Exactly once: an event is a row keyed by ticket and key, so a re-run or a
//! second sweep at the same minute writes nothing. Each row is written only
//! if the ticket is still as the sweep read it (same state, same
//! `updated_at`); a ticket that changed meanwhile is simply swept again next
//! time. The row's trigger audits the event, queues its notice and, for an
//! escalation or an automatic close, moves the ticket in the same statement,
//! so a crash never leaves an event without its effects. A batch in which a
//! ticket moved is swept again at once, so one run catches up completely.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use vip_domain::calendar::Clock;
use vip_domain::levels::LevelFacts;
use vip_domain::sla::{merge_pauses, Pause, SlaClock};
use vip_domain::sweep::{due_events, ProviderWait, Recipient, Sweepable, Tracked};
use vip_domain::tickets::{Channel, TicketKind, TicketState, TicketsProgram};

use crate::calendars::Schedules;
use crate::provider_waits;
use crate::tickets::{pause_at, record_clock_events, DueClockEvent};
use vip_kit::db::{timestamp_text, Db, Row, Value};
use vip_kit::Problem;

/// Tickets read per statement.
const BATCH: i64 = 500;

/// What one sweep did.
#[derive(Debug, Serialize)]
pub struct SweepRun {
    pub as_of: String,
    /// Tickets not closed that were looked at.
    pub tickets_swept: u64,
    pub events_recorded: u64,
    /// Escalations and automatic closes among them.
    pub tickets_moved: u64,
    pub events_by_kind: BTreeMap<String, u64>,
}

const COLUMNS: &str =
    "id, kind, state, calendar_id, natural_time, first_response_minutes, resolution_minutes,
    opened_at, first_responded_at, resolved_at, last_team_feedback_at, updated_at, channel, complaint, key_account,
    (SELECT team FROM ticket_assignments a WHERE a.ticket_id = tickets.id) AS assigned_team";

/// Runs the sweep as of `as_of`; `actor` is recorded on every event.
pub fn run(
    db: &Db,
    program: &TicketsProgram,
    as_of: DateTime<Utc>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<SweepRun, Problem> {
    let mut run = SweepRun {
        as_of: timestamp_text(as_of),
        tickets_swept: 0,
        events_recorded: 0,
        tickets_moved: 0,
        events_by_kind: BTreeMap::new(),
    };
    let mut schedules = Schedules::new(db, now);
    // A ticket closed soon after its resolution is still owed its survey:
    // closed tickets are swept until the survey delay (and a day) has passed.
    let survey_cutoff =
        timestamp_text(as_of - Duration::hours(i64::from(program.surveys.delay_hours) + 24));
    // A batch in which a ticket moved is read again: what follows a move
    // is computed from the moved ticket (and a closed one drops out).
    let swept = db.in_batches(
        &format!(
            "SELECT {COLUMNS} FROM tickets
             WHERE (state <> 'closed' OR closed_at >= '{survey_cutoff}') AND id > ? ORDER BY id LIMIT ?"
        ),
        BATCH,
        |tickets, range| {
            let due = batch(db, program, tickets, range, &mut schedules, as_of)?;
            let (recorded, moved) =
                record_clock_events(db, &due, actor, now, &mut run.events_by_kind)?;
            run.events_recorded += recorded;
            run.tickets_moved += moved;
            Ok(moved)
        },
    )?;
    run.tickets_swept = swept;
    Ok(run)
}

/// The events due in one batch of tickets that are not recorded yet.
fn batch(
    db: &Db,
    program: &TicketsProgram,
    tickets: &[Row<'_>],
    range: &[Value; 2],
    schedules: &mut Schedules<'_>,
    as_of: DateTime<Utc>,
) -> Result<Vec<DueClockEvent>, Problem> {
    let mut pauses: HashMap<i64, Vec<Pause>> = HashMap::new();
    for (ticket, pause) in db.all(
        "SELECT ticket_id, from_at, to_at FROM ticket_pauses
         WHERE ticket_id BETWEEN ? AND ? ORDER BY ticket_id, from_at",
        range,
        |row| Ok((row.int("ticket_id")?, pause_at(&row)?)),
    )? {
        pauses.entry(ticket).or_default().push(pause);
    }
    let mut provider_pauses: HashMap<i64, Vec<Pause>> = HashMap::new();
    for (ticket, pause) in provider_waits::pauses_between(db, range)? {
        provider_pauses.entry(ticket).or_default().push(pause);
    }
    let mut open_waits: HashMap<i64, ProviderWait> = provider_waits::open_waits_between(db, range)?
        .into_iter()
        .collect();
    let mut recorded: HashMap<i64, HashSet<String>> = HashMap::new();
    for (ticket, key) in db.all(
        "SELECT ticket_id, key FROM ticket_clock_events WHERE ticket_id BETWEEN ? AND ?",
        range,
        |row| Ok((row.int("ticket_id")?, row.text("key")?)),
    )? {
        recorded.entry(ticket).or_default().insert(key);
    }
    let mut out = Vec::new();
    for row in tickets {
        let id = row.int("id")?;
        let kind: TicketKind = row.parse("kind")?;
        let state: TicketState = row.parse("state")?;
        let business = schedules.of(&row.text("calendar_id")?)?;
        let clock = Clock::on(row.flag("natural_time")?, business);
        let started = row.time("opened_at")?;
        let customer = pauses.remove(&id).unwrap_or_default();
        // Reminders and the automatic close count the wait on the customer
        // alone; the clocks stop for waits on a provider too.
        let pending_since = customer.last().filter(|p| p.to.is_none()).map(|p| p.from);
        let provider = provider_pauses.remove(&id).unwrap_or_default();
        let ps = if provider.is_empty() {
            customer
        } else {
            merge_pauses([customer, provider].concat())
        };
        let tracked = |minutes: i64, met_at: Option<DateTime<Utc>>| Tracked {
            clock: SlaClock {
                started,
                pauses: ps.clone(),
                target: Duration::minutes(minutes),
            },
            met_at,
        };
        let facts = LevelFacts {
            complaint: row.flag("complaint")?,
            emergency: row.parse::<Channel>("channel")? == Channel::EmergencyLine,
            key_account: row.flag("key_account")?,
        };
        let ticket = Sweepable {
            state,
            first_response: tracked(
                row.int("first_response_minutes")?,
                row.opt_time("first_responded_at")?,
            ),
            resolution: tracked(row.int("resolution_minutes")?, row.opt_time("resolved_at")?),
            last_team_feedback: row.time("last_team_feedback_at")?,
            pending_since,
            start_level: program.levels.start(facts).0,
            emergency: facts.emergency,
            provider_wait: open_waits.remove(&id),
        };
        let assigned = row.opt_text("assigned_team")?;
        let team = assigned.as_deref().unwrap_or(program.teams.of(kind));
        let keys = recorded.get(&id);
        let known = |key: &str| keys.is_some_and(|k| k.contains(key));
        for event in due_events(program, &ticket, &clock, business, as_of, &known) {
            let notify = match &event.notify {
                Recipient::Team | Recipient::TeamLead => {
                    format!("{}:{team}", event.notify.as_str())
                }
                other => other.as_str().to_string(),
            };
            out.push(DueClockEvent {
                ticket: id,
                event,
                notify,
                seen_updated_at: row.text("updated_at")?,
                seen_state: state,
            });
        }
    }
    Ok(out)
}
