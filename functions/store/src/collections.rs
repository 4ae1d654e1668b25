//! Invoices, payments, payment commitments and dunning steps (docs/domain.md
//! §5; seed 001), and the collections programme document. Shared by the
//! `collections` component's handlers and its daily cron entry.
//!
//! The dunning run: for every unpaid invoice the run asks the domain
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
use crate::service::{applied, customer_id, customer_key};
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use vip_domain::customer::CustomerId;
use vip_domain::dunning::{default_dunning_program, due_steps, DueStep, DunningProgram};
use vip_domain::money::{Currency, Money};
use vip_domain::month_end::Month;
use vip_domain::service::{transition, ServiceStatus};
use vip_domain::tiers::PurchaseId;

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
        does: "audits a dunning step, queues its notice and moves the customer's service status \
               as of the step's due time (dunning_step_due_times)",
    },
    Effect {
        trigger: "month_end_marks_collections",
        table: "month_end_changes",
        on: "INSERT",
        writes: &["collections_marks"],
        does: "marks (or unmarks) the customer CLIENTE VIP in collections with the list's note",
    },
    Effect {
        trigger: "collector_assigned",
        table: "collector_assignments",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a customer's first collector",
    },
    Effect {
        trigger: "collector_reassigned",
        table: "collector_assignments",
        on: "UPDATE OF collector",
        writes: &["audit_events"],
        does: "audits a reassignment to another collector",
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

/// An invoice as stored.
pub struct Invoice {
    pub id: i64,
    pub customer: CustomerId,
    pub month: Month,
    pub amount: Money,
    /// What payments added up to (above `amount` with a credit).
    pub paid: Money,
    pub due_on: NaiveDate,
    /// When paid in full.
    pub paid_at: Option<DateTime<Utc>>,
    pub issued_at: DateTime<Utc>,
    pub issued_by: String,
    pub receipt_confirmed_at: Option<DateTime<Utc>>,
    pub receipt_confirmed_by: Option<String>,
}

const INVOICE_COLUMNS: &str =
    "id, customer_id, month, amount_minor, currency, due_on, paid_minor, paid_at,
    issued_at, issued_by, receipt_confirmed_at, receipt_confirmed_by";

impl Invoice {
    fn from_row(row: Row<'_>) -> Result<Self, Problem> {
        let currency = Currency::parse(&row.text("currency")?).map_err(Problem::internal)?;
        Ok(Invoice {
            id: row.int("id")?,
            customer: customer_id(&row.text("customer_id")?)?,
            month: Month::parse(&row.text("month")?).map_err(Problem::internal)?,
            amount: Money::from_minor(row.int("amount_minor")?, currency.clone()),
            paid: Money::from_minor(row.int("paid_minor")?, currency),
            due_on: date(&row.text("due_on")?)?,
            paid_at: row.opt_time("paid_at")?,
            issued_at: row.time("issued_at")?,
            issued_by: row.text("issued_by")?,
            receipt_confirmed_at: row.opt_time("receipt_confirmed_at")?,
            receipt_confirmed_by: row.opt_text("receipt_confirmed_by")?,
        })
    }
}

/// A stored `YYYY-MM-DD` date.
fn date(stored: &str) -> Result<NaiveDate, Problem> {
    NaiveDate::parse_from_str(stored, "%Y-%m-%d").map_err(Problem::internal)
}

/// Invoice `id`, if any.
pub fn invoice(db: &Db, id: i64) -> Result<Option<Invoice>, Problem> {
    db.one(
        &format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = ?"),
        &[Value::Integer(id)],
        Invoice::from_row,
    )
}

/// `customer`'s invoices, newest month first, at most `limit`.
pub fn invoices_of(db: &Db, customer: &CustomerId, limit: i64) -> Result<Vec<Invoice>, Problem> {
    db.all(
        &format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE customer_id = ? ORDER BY month DESC, id DESC LIMIT ?"),
        &[Value::Text(customer.as_str().into()), Value::Integer(limit)],
        Invoice::from_row,
    )
}

/// `customer`'s invoice for `month`, if issued.
pub fn invoice_of(
    db: &Db,
    customer: &CustomerId,
    month: Month,
) -> Result<Option<Invoice>, Problem> {
    db.one(
        &format!("SELECT {INVOICE_COLUMNS} FROM invoices WHERE customer_id = ? AND month = ?"),
        &[customer_key(customer), Value::Text(month.to_string())],
        Invoice::from_row,
    )
}

/// Issues `customer`'s invoice for `month`, unless that month is invoiced
/// already (then `None`). Fires `invoices_issued`: the audit row.
pub fn issue_invoice(
    db: &Db,
    customer: &CustomerId,
    month: Month,
    amount: &Money,
    due_on: NaiveDate,
    at: DateTime<Utc>,
    by: &str,
) -> Result<Option<Invoice>, Problem> {
    db.one(
        &format!(
            "INSERT INTO invoices (customer_id, month, amount_minor, currency, due_on, issued_at, issued_by)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (customer_id, month) DO NOTHING RETURNING {INVOICE_COLUMNS}"
        ),
        &[
            customer_key(customer),
            Value::Text(month.to_string()),
            Value::Integer(amount.minor()),
            Value::Text(amount.currency().to_string()),
            Value::Text(due_on.to_string()),
            timestamp(at),
            Value::Text(by.into()),
        ],
        Invoice::from_row,
    )
}

/// A member's monthly plan amount (from the customer's facts).
pub struct MonthlyPlan {
    pub customer: CustomerId,
    pub amount: Money,
}

/// Every member not yet invoiced for `month`, with their monthly plan
/// amount, in customer order (a read-only join of memberships and customers).
pub fn not_invoiced(db: &Db, month: Month) -> Result<Vec<MonthlyPlan>, Problem> {
    db.all(
        "SELECT m.customer_id, json_extract(c.facts, '$.monthly_plan_amount.amount') AS amount,
                json_extract(c.facts, '$.monthly_plan_amount.currency') AS currency
         FROM memberships m JOIN customers c ON c.id = m.customer_id
         WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = m.customer_id AND i.month = ?)
         ORDER BY m.customer_id",
        &[Value::Text(month.to_string())],
        |row| {
            Ok(MonthlyPlan {
                amount: Money::parse(&row.text("amount")?, &row.text("currency")?)
                    .map_err(Problem::internal)?,
                customer: customer_id(&row.text("customer_id")?)?,
            })
        },
    )
}

/// Members invoiced per statement.
const ISSUE_BATCH: usize = 500;

/// Issues `month`'s invoice of every plan not invoiced that month yet; the
/// number issued. Fires `invoices_issued`: an audit row each.
pub fn issue_invoices(
    db: &Db,
    month: Month,
    plans: &[MonthlyPlan],
    due_on: NaiveDate,
    at: DateTime<Utc>,
    by: &str,
) -> Result<usize, Problem> {
    let values: Vec<Vec<Value>> = plans
        .iter()
        .map(|plan| {
            vec![
                customer_key(&plan.customer),
                Value::Text(month.to_string()),
                Value::Integer(plan.amount.minor()),
                Value::Text(plan.amount.currency().to_string()),
                Value::Text(due_on.to_string()),
                timestamp(at),
                Value::Text(by.into()),
            ]
        })
        .collect();
    Ok(db
        .exec_rows(
            "INSERT INTO invoices (customer_id, month, amount_minor, currency, due_on, issued_at, issued_by)
             VALUES {rows} ON CONFLICT (customer_id, month) DO NOTHING RETURNING id",
            &[],
            values,
            ISSUE_BATCH,
        )?
        .len())
}

/// The collector confirms the customer received invoice `id`; a second
/// confirmation changes nothing. Fires `invoices_receipt`: the audit row.
pub fn confirm_receipt(db: &Db, id: i64, at: DateTime<Utc>, by: &str) -> Result<(), Problem> {
    db.exec(
        "UPDATE invoices SET receipt_confirmed_at = ?, receipt_confirmed_by = ?
         WHERE id = ? AND receipt_confirmed_at IS NULL",
        &[timestamp(at), Value::Text(by.into()), Value::Integer(id)],
    )?;
    Ok(())
}

/// A payment to record.
pub struct NewPayment<'a> {
    pub id: &'a PurchaseId,
    pub invoice: i64,
    pub amount: &'a Money,
    pub received_at: DateTime<Utc>,
    /// `staff`, or `webhook:<webhook-id>`.
    pub source: &'a str,
    /// Accept an amount above what is outstanding (the excess is a credit).
    pub credit: bool,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: &'a str,
}

/// Records a payment unless its id is recorded already, its invoice is
/// paid, or (without `credit`) it is more than what is outstanding: the
/// guard is the INSERT's own condition, so two payments at once cannot both
/// pass it. Whether it was recorded. Fires `payments_applied`: adds it to
/// the invoice (paid once complete) and audits it.
pub fn record_payment(db: &Db, payment: &NewPayment<'_>) -> Result<bool, Problem> {
    applied(
        db,
        "INSERT INTO payments (id, invoice_id, amount_minor, currency, received_at, source, recorded_at, recorded_by)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
         WHERE EXISTS (SELECT 1 FROM invoices WHERE id = ?2 AND paid_at IS NULL
                       AND (?9 OR amount_minor - paid_minor >= ?3))
         ON CONFLICT (id) DO NOTHING RETURNING 1",
        &[
            Value::Text(payment.id.as_str().into()),
            Value::Integer(payment.invoice),
            Value::Integer(payment.amount.minor()),
            Value::Text(payment.amount.currency().to_string()),
            timestamp(payment.received_at),
            Value::Text(payment.source.into()),
            timestamp(payment.recorded_at),
            Value::Text(payment.recorded_by.into()),
            Value::Integer(i64::from(payment.credit)),
        ],
    )
}

/// A recorded payment's invoice and amount (minor units of the invoice's currency).
pub struct StoredPayment {
    pub invoice: i64,
    pub amount_minor: i64,
}

/// Payment `id`, if recorded.
pub fn payment(db: &Db, id: &PurchaseId) -> Result<Option<StoredPayment>, Problem> {
    db.one(
        "SELECT invoice_id, amount_minor FROM payments WHERE id = ?",
        &[Value::Text(id.as_str().into())],
        |row| {
            Ok(StoredPayment {
                invoice: row.int("invoice_id")?,
                amount_minor: row.int("amount_minor")?,
            })
        },
    )
}

/// Whether payment `payment` is recorded for one of `customer`'s invoices.
pub fn has_paid(db: &Db, customer: &CustomerId, payment: &str) -> Result<bool, Problem> {
    applied(
        db,
        "SELECT 1 FROM payments p JOIN invoices i ON i.id = p.invoice_id
         WHERE p.id = ? AND i.customer_id = ?",
        &[Value::Text(payment.into()), customer_key(customer)],
    )
}

/// What `customer` owes: their unpaid invoices' outstanding amounts, one
/// per currency, in currency order.
pub fn unpaid_balance(db: &Db, customer: &CustomerId) -> Result<Vec<Money>, Problem> {
    db.all(
        "SELECT currency, SUM(amount_minor - paid_minor) AS owed FROM invoices
         WHERE customer_id = ? AND paid_at IS NULL GROUP BY currency ORDER BY currency",
        &[customer_key(customer)],
        |row| {
            let currency = Currency::parse(&row.text("currency")?).map_err(Problem::internal)?;
            Ok(Money::from_minor(row.int("owed")?, currency))
        },
    )
}

/// `customer`'s stored service status once nothing of theirs is left
/// unpaid; `None` while something is, or without a stored status.
pub fn status_when_settled(
    db: &Db,
    customer: &CustomerId,
) -> Result<Option<ServiceStatus>, Problem> {
    db.one(
        "SELECT status FROM service_status WHERE customer_id = ?1
         AND NOT EXISTS (SELECT 1 FROM invoices WHERE customer_id = ?1 AND paid_at IS NULL)",
        &[customer_key(customer)],
        |row| row.parse("status"),
    )
}

/// Records commitment number `seq` of invoice `invoice`, unless another
/// took that number meanwhile; whether it was made. Fires
/// `payment_commitments_made`: the audit row.
pub fn commit(
    db: &Db,
    invoice: i64,
    seq: i64,
    pay_by: NaiveDate,
    made_on: NaiveDate,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    applied(
        db,
        "INSERT INTO payment_commitments (invoice_id, seq, pay_by, made_on, made_at, made_by)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1",
        &[
            Value::Integer(invoice),
            Value::Integer(seq),
            Value::Text(pay_by.to_string()),
            Value::Text(made_on.to_string()),
            timestamp(at),
            Value::Text(by.into()),
        ],
    )
}

/// A promise to pay an invoice by a date.
pub struct Commitment {
    pub seq: i64,
    pub pay_by: NaiveDate,
    pub made_on: NaiveDate,
    pub made_by: String,
}

/// One invoice's commitments as made, in order.
pub fn commitments_made(db: &Db, invoice: i64) -> Result<Vec<Commitment>, Problem> {
    db.all(
        "SELECT seq, pay_by, made_on, made_by FROM payment_commitments WHERE invoice_id = ? ORDER BY seq",
        &[Value::Integer(invoice)],
        |row| {
            Ok(Commitment {
                seq: row.int("seq")?,
                pay_by: date(&row.text("pay_by")?)?,
                made_on: date(&row.text("made_on")?)?,
                made_by: row.text("made_by")?,
            })
        },
    )
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
    for (invoice, pay_by) in db.all(
        "SELECT invoice_id, pay_by FROM payment_commitments
         WHERE invoice_id BETWEEN ? AND ? ORDER BY invoice_id, seq",
        range,
        |row| Ok((row.int("invoice_id")?, date(&row.text("pay_by")?)?)),
    )? {
        out.entry(invoice).or_default().push(pay_by);
    }
    Ok(out)
}

/// A dunning step recorded for an invoice.
pub struct RecordedStep {
    pub step: String,
    pub recorded_at: DateTime<Utc>,
}

/// The dunning steps recorded for invoice `invoice`.
pub fn steps_recorded(db: &Db, invoice: i64) -> Result<Vec<RecordedStep>, Problem> {
    db.all(
        "SELECT step, recorded_at FROM dunning_actions WHERE invoice_id = ?",
        &[Value::Integer(invoice)],
        |row| {
            Ok(RecordedStep {
                step: row.text("step")?,
                recorded_at: row.time("recorded_at")?,
            })
        },
    )
}

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
fn month_start(month: &str) -> Result<NaiveDate, Problem> {
    Month::parse(month)
        .map(|m| m.first_day())
        .map_err(Problem::internal)
}

/// A step to write, with what the run read.
struct Pending {
    invoice: i64,
    customer: String,
    step: DueStep,
    /// When the step fell due: the start of its day in the programme's zone.
    due_at: DateTime<Utc>,
    notify: String,
    moves_to: Option<ServiceStatus>,
    seen: ServiceStatus,
}

/// Runs the dunning ladder as of `as_of`; `actor` is recorded on every step.
/// Fires `dunning_action_recorded` for each step recorded: its audit row,
/// its notice, and the customer's service move.
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
                due_at: program.zone.start_of(step.date),
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
    // Read by the step's trigger; harmless if the step is then not written.
    db.exec_rows(
        "INSERT INTO dunning_step_due_times (invoice_id, step, due_at) VALUES {rows}
         ON CONFLICT DO NOTHING",
        &[],
        pending
            .iter()
            .map(|p| {
                vec![
                    Value::Integer(p.invoice),
                    Value::Text(p.step.step.clone()),
                    timestamp(p.due_at),
                ]
            })
            .collect(),
        WRITE_CHUNK,
    )?;
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

/// How collections mark a customer after the month-end list (seed 001:
/// status CLIENTE VIP with a note).
#[derive(Debug, Serialize)]
pub struct Mark {
    pub vip: bool,
    /// `CLIENTE VIP` or `NO VIP`.
    pub label: &'static str,
    pub note: String,
    /// The close that set it.
    pub month: String,
}

/// `customer`'s collections mark, once a month-end list named them.
pub fn mark_of(db: &Db, customer: &CustomerId) -> Result<Option<Mark>, Problem> {
    db.one(
        "SELECT vip, note, month FROM collections_marks WHERE customer_id = ?",
        &[customer_key(customer)],
        |row| {
            let vip = row.int("vip")? != 0;
            Ok(Mark {
                vip,
                label: if vip { "CLIENTE VIP" } else { "NO VIP" },
                note: row.text("note")?,
                month: row.text("month")?,
            })
        },
    )
}

/// The collector `customer` is assigned to, if any.
pub fn collector_of(db: &Db, customer: &CustomerId) -> Result<Option<String>, Problem> {
    db.one(
        "SELECT collector FROM collector_assignments WHERE customer_id = ?",
        &[customer_key(customer)],
        |row| row.text("collector"),
    )
}

/// Assigns `customer` to `collector` (fires `collector_assigned` or, for a
/// change, `collector_reassigned`).
pub fn assign_collector(
    db: &Db,
    customer: &CustomerId,
    collector: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO collector_assignments (customer_id, collector, assigned_at, assigned_by) VALUES (?, ?, ?, ?)
         ON CONFLICT (customer_id) DO UPDATE SET collector = excluded.collector,
            assigned_at = excluded.assigned_at, assigned_by = excluded.assigned_by
         WHERE collector_assignments.collector <> excluded.collector",
        &[
            customer_key(customer),
            Value::Text(collector.into()),
            timestamp(at),
            Value::Text(by.into()),
        ],
    )?;
    Ok(())
}

/// One customer of a collector's portfolio.
#[derive(Debug, Serialize)]
pub struct PortfolioEntry {
    pub customer_id: String,
    pub vip: Option<bool>,
    pub service_status: String,
    pub unpaid_invoices: i64,
    /// The earliest due date among the unpaid invoices.
    pub oldest_due_on: Option<String>,
}

/// `collector`'s customers, those with the oldest unpaid invoice first.
pub fn portfolio(db: &Db, collector: &str) -> Result<Vec<PortfolioEntry>, Problem> {
    db.all(
        "SELECT a.customer_id, m.vip, COALESCE(s.status, 'active') AS service_status,
                (SELECT COUNT(*) FROM invoices i WHERE i.customer_id = a.customer_id AND i.paid_at IS NULL) AS unpaid,
                (SELECT MIN(due_on) FROM invoices i WHERE i.customer_id = a.customer_id AND i.paid_at IS NULL) AS oldest
         FROM collector_assignments a
         LEFT JOIN collections_marks m ON m.customer_id = a.customer_id
         LEFT JOIN service_status s ON s.customer_id = a.customer_id
         WHERE a.collector = ?
         ORDER BY oldest IS NULL, oldest, a.customer_id LIMIT 2000",
        &[Value::Text(collector.into())],
        |row| {
            Ok(PortfolioEntry {
                customer_id: row.text("customer_id")?,
                vip: row.opt_int("vip")?.map(|v| v != 0),
                service_status: row.text("service_status")?,
                unpaid_invoices: row.int("unpaid")?,
                oldest_due_on: row.opt_text("oldest")?,
            })
        },
    )
}
