//! Collections shell code shared by the `collections` component and the
//! `dunning` cron component: the collections programme document, and the
//! dunning run. For every unpaid invoice the run asks the domain
//! (`vip_domain::dunning::due_steps`) which steps are due by the day of
//! `as_of` in the programme's zone, and records each step not recorded yet;
//! the row's trigger audits it, queues its notice and moves the customer's
//! service status (`vip_domain::service`) in the same statement.
//!
//! Exactly once: a step is a row keyed by invoice and step, so a second run
//! the same day writes nothing and sends nothing; a run after missed days
//! records every missed step, in date order. A row is written only if the
//! invoice is still unpaid and the customer's status is still the one read,
//! so a payment or another move meanwhile is never overtaken; a batch in
//! which a status moved is read again at once.

use crate::effects::Effect;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use vip_domain::dunning::{default_dunning_program, due_steps, DueStep, DunningProgram};
use vip_domain::month_end::Month;
use vip_domain::service::{transition, ServiceStatus};

use vip_kit::db::{count_written, timestamp, Db, Row, Value};
use vip_kit::settings::Document;
use vip_kit::Problem;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "invoices_issued",
        table: "invoices",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits an issued invoice",
    },
    Effect {
        trigger: "invoices_receipt",
        table: "invoices",
        on: "UPDATE OF receipt_confirmed_at",
        writes: &["audit_events"],
        does: "audits the collector's receipt confirmation",
    },
    Effect {
        trigger: "payments_applied",
        table: "payments",
        on: "INSERT",
        writes: &["audit_events", "invoices"],
        does: "adds the payment to its invoice (paid once complete) and audits it",
    },
    Effect {
        trigger: "payment_commitments_made",
        table: "payment_commitments",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a promise to pay",
    },
    Effect {
        trigger: "dunning_action_recorded",
        table: "dunning_actions",
        on: "INSERT",
        writes: &["audit_events", "notice_outbox", "service_status"],
        does: "audits a dunning step, queues its notice and moves the customer's service status",
    },
];

/// The collections programme: the dunning ladder, zone, notice list, commitments.
pub const PROGRAM: Document<DunningProgram> = Document {
    name: "collections",
    key: "program",
    default: default_dunning_program,
    validate: DunningProgram::validate,
    in_use: None,
};

/// Unpaid invoices read per statement.
const BATCH: i64 = 500;
/// Steps written per statement (10 parameters each).
const WRITE_CHUNK: usize = 200;

/// What one dunning run did.
#[derive(Debug, Serialize)]
pub struct DunningRun {
    pub as_of: String,
    /// The calendar day judged, in the programme's zone.
    pub day: NaiveDate,
    pub unpaid_invoices: u64,
    pub steps_recorded: u64,
    pub service_moves: u64,
    pub steps_by_action: BTreeMap<String, u64>,
}

/// The first day of a stored `YYYY-MM` month.
pub fn month_start(month: &str) -> Result<NaiveDate, Problem> {
    Month::parse(month)
        .map(|m| m.first_day())
        .map_err(Problem::internal)
}

/// One invoice's commitments, in the order made.
pub fn commitments_of(db: &Db, invoice: i64) -> Result<Vec<NaiveDate>, Problem> {
    let id = Value::Integer(invoice);
    Ok(commitments(db, &[id.clone(), id])?
        .remove(&invoice)
        .unwrap_or_default())
}

/// The commitments of the invoices in an id range, in the order made, by invoice id.
fn commitments(db: &Db, range: &[Value; 2]) -> Result<HashMap<i64, Vec<NaiveDate>>, Problem> {
    let mut out: HashMap<i64, Vec<NaiveDate>> = HashMap::new();
    for (invoice, date) in db.all(
        "SELECT invoice_id, pay_by FROM payment_commitments
         WHERE invoice_id BETWEEN ? AND ? ORDER BY invoice_id, seq",
        range,
        |row| {
            let date = NaiveDate::parse_from_str(&row.text("pay_by")?, "%Y-%m-%d")
                .map_err(Problem::internal)?;
            Ok((row.int("invoice_id")?, date))
        },
    )? {
        out.entry(invoice).or_default().push(date);
    }
    Ok(out)
}

/// A step to write, with what the run read.
struct Pending {
    invoice: i64,
    customer: String,
    step: DueStep,
    notify: String,
    moves_to: Option<ServiceStatus>,
    seen: ServiceStatus,
}

/// Runs the dunning ladder as of `as_of`; `actor` is recorded on every step.
pub fn run(
    db: &Db,
    program: &DunningProgram,
    as_of: DateTime<Utc>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<DunningRun, Problem> {
    let day = program.zone.date_of(as_of);
    let mut run = DunningRun {
        as_of: vip_kit::db::timestamp_text(as_of),
        day,
        unpaid_invoices: 0,
        steps_recorded: 0,
        service_moves: 0,
        steps_by_action: BTreeMap::new(),
    };
    // A batch in which a customer's status moved is read again: what
    // follows a move is judged from the moved status.
    let unpaid = db.in_batches(
        "SELECT i.id, i.customer_id, i.month, COALESCE(s.status, 'active') AS status
         FROM invoices i LEFT JOIN service_status s ON s.customer_id = i.customer_id
         WHERE i.paid_at IS NULL AND i.id > ? ORDER BY i.id LIMIT ?",
        BATCH,
        |invoices, range| {
            let pending = batch(db, program, invoices, range, day)?;
            write(db, &pending, actor, now, &mut run)
        },
    )?;
    run.unpaid_invoices = unpaid;
    Ok(run)
}

fn batch(
    db: &Db,
    program: &DunningProgram,
    invoices: &[Row<'_>],
    range: &[Value; 2],
    day: NaiveDate,
) -> Result<Vec<Pending>, Problem> {
    let mut promised = commitments(db, range)?;
    let recorded: HashSet<(i64, String)> = db
        .all(
            "SELECT invoice_id, step FROM dunning_actions WHERE invoice_id BETWEEN ? AND ?",
            range,
            |row| Ok((row.int("invoice_id")?, row.text("step")?)),
        )?
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for row in invoices {
        let id = row.int("id")?;
        let month = month_start(&row.text("month")?)?;
        let seen: ServiceStatus = row.parse("status")?;
        let promises = promised.remove(&id).unwrap_or_default();
        for step in due_steps(program, month, &promises, day) {
            if recorded.contains(&(id, step.step.clone())) {
                continue;
            }
            let moves_to = step
                .action
                .service_event()
                .and_then(|e| transition(seen, e).ok());
            let notify = serde_json::to_string(&program.recipients(step.action))
                .map_err(Problem::internal)?;
            out.push(Pending {
                invoice: id,
                customer: row.text("customer_id")?,
                step,
                notify,
                moves_to,
                seen,
            });
            // What follows a move is judged from the moved status, next pass.
            if moves_to.is_some() {
                break;
            }
        }
    }
    Ok(out)
}

fn write(
    db: &Db,
    pending: &[Pending],
    actor: &str,
    now: DateTime<Utc>,
    run: &mut DunningRun,
) -> Result<u64, Problem> {
    let rows: Vec<Vec<Value>> = pending
        .iter()
        .map(|p| {
            vec![
                Value::Integer(p.invoice),
                Value::Text(p.step.step.clone()),
                Value::Text(p.step.action.as_str().into()),
                Value::Text(p.step.date.to_string()),
                Value::Text(p.step.why.clone()),
                Value::Text(p.notify.clone()),
                p.moves_to
                    .map_or(Value::Null, |s| Value::Text(s.as_str().into())),
                Value::Text(p.customer.clone()),
                Value::Text(p.seen.as_str().into()),
            ]
        })
        .collect();
    let written = db.exec_rows(
        "INSERT INTO dunning_actions (invoice_id, step, action, due_on, why, notify, moves_to, recorded_at, recorded_by)
         SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7, ?2, ?1
         FROM (VALUES {rows}) AS v
         WHERE (SELECT paid_at FROM invoices WHERE id = v.column1) IS NULL
           AND COALESCE((SELECT status FROM service_status WHERE customer_id = v.column8), 'active') = v.column9
         ON CONFLICT DO NOTHING
         RETURNING action, moves_to",
        &[Value::Text(actor.into()), timestamp(now)],
        rows,
        WRITE_CHUNK,
    )?;
    let (recorded, moved) = count_written(&written, "action", &mut run.steps_by_action)?;
    run.steps_recorded += recorded;
    run.service_moves += moved;
    Ok(moved)
}
