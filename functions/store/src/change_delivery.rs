//! Delivering accepted change requests (docs/domain.md §10 "Delivery"): the
//! plan with its dates and technicians, the hours booked, the progress
//! notices. The rules are `vip_domain::change_delivery`; the request's
//! state moves are [`crate::change_requests::apply`].

use chrono::{DateTime, NaiveDate, Utc};
use vip_domain::change_delivery::{Assignment, Plan};
use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::Problem;

use crate::effects::Effect;

/// The triggers a plan and a progress notice fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "change_plan_made",
        table: "change_plans",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a request's first plan",
    },
    Effect {
        trigger: "change_plan_moved",
        table: "change_plans",
        on: "UPDATE OF start_on, deliver_on, assignments",
        writes: &["audit_events", "notice_outbox"],
        does:
            "audits a new plan and, when a date moved, tells the customer at once with the reason",
    },
    Effect {
        trigger: "change_progress_noticed",
        table: "change_progress",
        on: "INSERT",
        writes: &["notice_outbox"],
        does: "queues the customer's progress notice, once per period",
    },
];

/// States whose plan still books the team.
const PLANNED_STATES: &str =
    "('accepted', 'in_development', 'delivered', 'in_review', 'awaiting_customer', 'renegotiating')";

fn plan(row: &Row<'_>) -> Result<Plan, Problem> {
    let date = |name: &str| -> Result<NaiveDate, Problem> {
        row.text(name)?
            .parse()
            .map_err(|e| Problem::internal(format!("`{name}`: {e}")))
    };
    Ok(Plan {
        start_on: date("start_on")?,
        deliver_on: date("deliver_on")?,
        assignments: row.json::<Vec<Assignment>>("assignments")?,
    })
}

/// Ticket `id`'s plan, if planned.
pub fn plan_of(db: &Db, id: i64) -> Result<Option<Plan>, Problem> {
    db.one(
        "SELECT start_on, deliver_on, assignments FROM change_plans WHERE ticket_id = ?",
        &[Value::Integer(id)],
        |row| plan(&row),
    )
}

/// The plans of other requests still booking the team between `from` and `to`.
pub fn other_plans(
    db: &Db,
    except: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Plan>, Problem> {
    db.all(
        &format!(
            "SELECT p.start_on, p.deliver_on, p.assignments FROM change_plans p
             JOIN change_requests r ON r.ticket_id = p.ticket_id
             WHERE p.ticket_id <> ? AND p.deliver_on >= ? AND p.start_on <= ? AND r.state IN {PLANNED_STATES}"
        ),
        &[
            Value::Integer(except),
            Value::Text(from.to_string()),
            Value::Text(to.to_string()),
        ],
        |row| plan(&row),
    )
}

/// A plan to write.
pub struct NewPlan<'a> {
    pub ticket: i64,
    pub customer: &'a str,
    pub plan: &'a Plan,
    pub reason: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// Writes or replaces the plan while the request is accepted or in
/// development (fires `change_plan_made` or `change_plan_moved`); whether it did.
pub fn save_plan(db: &Db, p: &NewPlan<'_>) -> Result<bool, Problem> {
    let assignments = serde_json::to_string(&p.plan.assignments).map_err(Problem::internal)?;
    Ok(db
        .one(
            "INSERT INTO change_plans (ticket_id, customer_id, start_on, deliver_on, assignments, reason, planned_at, planned_by)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
             WHERE EXISTS (SELECT 1 FROM change_requests WHERE ticket_id = ?1 AND state IN ('accepted', 'in_development'))
             ON CONFLICT (ticket_id) DO UPDATE SET start_on = excluded.start_on, deliver_on = excluded.deliver_on,
                assignments = excluded.assignments, reason = excluded.reason,
                planned_at = excluded.planned_at, planned_by = excluded.planned_by
             RETURNING ticket_id",
            &[
                Value::Integer(p.ticket),
                Value::Text(p.customer.into()),
                Value::Text(p.plan.start_on.to_string()),
                Value::Text(p.plan.deliver_on.to_string()),
                Value::Text(assignments),
                p.reason.map_or(Value::Null, |r| Value::Text(r.into())),
                timestamp(p.at),
                Value::Text(p.by.into()),
            ],
            |_| Ok(()),
        )?
        .is_some())
}

/// Hours worked, to book.
pub struct Booking<'a> {
    pub ticket: i64,
    pub technician: &'a str,
    pub minutes: i64,
    pub worked_on: NaiveDate,
    pub note: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub by: &'a str,
}

/// Books the hours if the request is in development; whether it did.
pub fn book(db: &Db, b: &Booking<'_>) -> Result<bool, Problem> {
    Ok(db
        .one(
            "INSERT INTO change_hours (ticket_id, technician, minutes, worked_on, note, booked_at, booked_by)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
             WHERE EXISTS (SELECT 1 FROM change_requests WHERE ticket_id = ?1 AND state = 'in_development')
             RETURNING id",
            &[
                Value::Integer(b.ticket),
                Value::Text(b.technician.into()),
                Value::Integer(b.minutes),
                Value::Text(b.worked_on.to_string()),
                b.note.map_or(Value::Null, |n| Value::Text(n.into())),
                timestamp(b.at),
                Value::Text(b.by.into()),
            ],
            |_| Ok(()),
        )?
        .is_some())
}

/// Minutes booked on ticket `id`.
pub fn booked_minutes(db: &Db, id: i64) -> Result<i64, Problem> {
    db.one(
        "SELECT COALESCE(SUM(minutes), 0) AS m FROM change_hours WHERE ticket_id = ?",
        &[Value::Integer(id)],
        |row| row.int("m"),
    )
    .map(Option::unwrap_or_default)
}

/// A request in development, for the progress run.
pub struct Developing {
    pub ticket: i64,
    pub customer: String,
    pub started_at: DateTime<Utc>,
    pub deliver_on: Option<String>,
}

/// Every request in development.
pub fn developing(db: &Db) -> Result<Vec<Developing>, Problem> {
    db.all(
        "SELECT r.ticket_id, r.customer_id, r.started_at, p.deliver_on FROM change_requests r
         LEFT JOIN change_plans p ON p.ticket_id = r.ticket_id
         WHERE r.state = 'in_development' AND r.started_at IS NOT NULL ORDER BY r.ticket_id",
        &[],
        |row| {
            Ok(Developing {
                ticket: row.int("ticket_id")?,
                customer: row.text("customer_id")?,
                started_at: row.time("started_at")?,
                deliver_on: row.opt_text("deliver_on")?,
            })
        },
    )
}

/// Records progress notice `number` of `d` (fires `change_progress_noticed`);
/// whether it is new.
pub fn record_progress(
    db: &Db,
    d: &Developing,
    number: i64,
    due_at: DateTime<Utc>,
    at: DateTime<Utc>,
) -> Result<bool, Problem> {
    Ok(db
        .one(
            "INSERT INTO change_progress (ticket_id, number, customer_id, due_at, deliver_on, sent_at)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id, number) DO NOTHING RETURNING number",
            &[
                Value::Integer(d.ticket),
                Value::Integer(number),
                Value::Text(d.customer.clone()),
                timestamp(due_at),
                d.deliver_on.clone().map_or(Value::Null, Value::Text),
                timestamp(at),
            ],
            |_| Ok(()),
        )?
        .is_some())
}
