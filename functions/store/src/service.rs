//! Service status, service orders and retention cases (docs/domain.md §6;
//! seed 001), and the suspension programme that drives them. Every move is
//! guarded by what was read (the status, the stage), so a move meanwhile is
//! never overtaken: a guarded write answers whether it applied.

use crate::effects::Effect;
use chrono::{DateTime, Utc};
use std::cell::RefCell;
use vip_domain::customer::{CustomerId, ServiceDelivery};
use vip_domain::money::Money;
use vip_domain::service::ServiceStatus;
use vip_domain::suspension::{
    default_suspension_program, OrderAction, OrderStage, RetentionCause, RetryPolicy,
    SuspensionProgram, ORDERING_STATUSES,
};
use vip_kit::db::{timestamp, Db, Row, Value};

use spin_sdk::sqlite::QueryResult;
use vip_kit::outbound::{deliver_due, next_try, Endpoint, Tally};
use vip_kit::settings::Document;
use vip_kit::Problem;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "service_status_inserted",
        table: "service_status",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a customer's first service status",
    },
    Effect {
        trigger: "service_status_moved",
        table: "service_status",
        on: "UPDATE OF status",
        writes: &["audit_events"],
        does: "audits each service move",
    },
    Effect {
        trigger: "service_order_opened",
        table: "service_orders",
        on: "INSERT",
        writes: &["audit_events", "notice_outbox"],
        does: "audits an opened service order and tells the department list",
    },
    Effect {
        trigger: "service_order_moved",
        table: "service_orders",
        on: "UPDATE OF stage",
        writes: &["audit_events", "notice_outbox"],
        does: "audits each stage of an order and tells the department list",
    },
    Effect {
        trigger: "retention_case_opened",
        table: "retention_cases",
        on: "INSERT",
        writes: &["notice_outbox", "service_status"],
        does: "moves the service status into retention and tells sales",
    },
    Effect {
        trigger: "retention_case_moved",
        table: "retention_cases",
        on: "UPDATE OF status",
        writes: &["notice_outbox", "service_status"],
        does: "keeps the service status in step with the case and tells who acts next",
    },
    Effect {
        trigger: "reconnection_basis_changed",
        table: "reconnection_basis_changes",
        on: "INSERT",
        writes: &["audit_events", "service_status"],
        does:
            "moves a reconnected customer to the new basis (same reconnection time) and audits it",
    },
    Effect {
        trigger: "retention_case_formalises",
        table: "retention_cases",
        on: "INSERT",
        writes: &["disconnection_requests"],
        does: "a disconnection case closes the customer's pending filed request",
    },
    Effect {
        trigger: "disconnection_request_filed",
        table: "disconnection_requests",
        on: "INSERT",
        writes: &["audit_events", "notice_outbox"],
        does:
            "audits a filed request to disconnect and tells collections and sales (a staff notice)",
    },
];

/// The suspension programme: notice list, retries, retention windows (its
/// retry policy and call timeout also pace notice delivery).
pub const PROGRAM: Document<SuspensionProgram> = Document {
    name: "suspension",
    key: "program",
    default: default_suspension_program,
    validate: SuspensionProgram::validate,
    in_use: None,
};

pub(crate) fn customer_key(customer: &CustomerId) -> Value {
    Value::Text(customer.as_str().into())
}

/// A customer id this code stored.
pub(crate) fn customer_id(stored: &str) -> Result<CustomerId, Problem> {
    CustomerId::parse(stored).map_err(Problem::internal)
}

/// Whether `sql` answered a row: a guarded write applied (`RETURNING 1`),
/// or what a check looks for exists.
pub(crate) fn applied(db: &Db, sql: &str, params: &[Value]) -> Result<bool, Problem> {
    Ok(db.one(sql, params, |_| Ok(()))?.is_some())
}

/// `customer`'s service status (no stored row: `active`); `None` if there
/// is no such customer (a read-only join of customers and service status).
pub fn status_of(db: &Db, customer: &CustomerId) -> Result<Option<ServiceStatus>, Problem> {
    db.one(
        "SELECT COALESCE(s.status, 'active') AS status FROM customers c
         LEFT JOIN service_status s ON s.customer_id = c.id WHERE c.id = ?",
        &[customer_key(customer)],
        |row| row.parse("status"),
    )
}

/// A customer's stored service status and its last move.
pub struct StatusMove {
    pub status: ServiceStatus,
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: Option<String>,
}

/// `customer`'s stored service status, if ever moved.
pub fn last_move(db: &Db, customer: &CustomerId) -> Result<Option<StatusMove>, Problem> {
    db.one(
        "SELECT status, updated_at, updated_by, reason FROM service_status WHERE customer_id = ?",
        &[customer_key(customer)],
        |row| {
            Ok(StatusMove {
                status: row.parse("status")?,
                at: row.time("updated_at")?,
                by: row.text("updated_by")?,
                reason: row.opt_text("reason")?,
            })
        },
    )
}

/// The `paid` move of a customer with nothing left unpaid, from `from`
/// (still the stored status) to `to`. Fires `service_status_moved`: the
/// audit row.
pub fn paid_in_full(
    db: &Db,
    customer: &CustomerId,
    from: ServiceStatus,
    to: ServiceStatus,
    at: DateTime<Utc>,
    by: &str,
) -> Result<(), Problem> {
    db.exec(
        "UPDATE service_status SET status = ?, updated_at = ?, updated_by = ?, reason = 'paid in full'
         WHERE customer_id = ? AND status = ?",
        &[
            Value::Text(to.as_str().into()),
            timestamp(at),
            Value::Text(by.into()),
            customer_key(customer),
            Value::Text(from.as_str().into()),
        ],
    )?;
    Ok(())
}

/// Reconnects `customer` from `from` (still the stored status) to `to`,
/// `why` naming the basis; whether it applied. Fires
/// `service_status_moved`: the audit row.
pub fn reconnect(
    db: &Db,
    customer: &CustomerId,
    from: ServiceStatus,
    to: ServiceStatus,
    why: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    applied(
        db,
        "UPDATE service_status SET status = ?, updated_at = ?, updated_by = ?, reason = ?
         WHERE customer_id = ? AND status = ? RETURNING 1",
        &[
            Value::Text(to.as_str().into()),
            timestamp(at),
            Value::Text(by.into()),
            Value::Text(why.into()),
            customer_key(customer),
            Value::Text(from.as_str().into()),
        ],
    )
}

/// Changes a reconnected customer's basis from `from` (still its status) to
/// `to`, keeping the time they were reconnected; whether it applied. Fires
/// `reconnection_basis_changed`: the status follows, audited.
pub fn change_basis(
    db: &Db,
    customer: &CustomerId,
    from: ServiceStatus,
    to: ServiceStatus,
    why: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    applied(
        db,
        "INSERT INTO reconnection_basis_changes (customer_id, from_status, to_status, why, at, by)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6
         WHERE (SELECT status FROM service_status WHERE customer_id = ?1) = ?2 RETURNING 1",
        &[
            customer_key(customer),
            Value::Text(from.as_str().into()),
            Value::Text(to.as_str().into()),
            Value::Text(why.into()),
            timestamp(at),
            Value::Text(by.into()),
        ],
    )
}

/// Orders read per statement, and calls made per batch.
const ORDER_BATCH: i64 = 200;

/// A `vip_suspension` order.
pub struct Order {
    pub id: i64,
    pub customer: CustomerId,
    pub ticket_type: String,
    pub action: OrderAction,
    pub delivery: ServiceDelivery,
    /// The service status that ordered it, and when the customer moved to it.
    pub status: ServiceStatus,
    pub status_at: DateTime<Utc>,
    pub why: String,
    pub stage: OrderStage,
    pub opened_at: DateTime<Utc>,
    /// When engineering confirmed the partner side.
    pub engineering_at: Option<DateTime<Utc>>,
    pub call_attempts: i64,
    /// When the provisioning call is due (`None`: none is).
    pub call_next_at: Option<DateTime<Utc>>,
    /// When the provisioning system accepted the call.
    pub call_sent_at: Option<DateTime<Utc>>,
    pub call_last_error: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

const ORDER_COLUMNS: &str = "id, customer_id, ticket_type, action, delivery, status, status_at, why, stage,
    opened_at, engineering_at, call_attempts, call_next_at, call_sent_at, call_last_error, closed_at, updated_at";

impl Order {
    fn from_row(row: Row<'_>) -> Result<Self, Problem> {
        Ok(Order {
            id: row.int("id")?,
            customer: customer_id(&row.text("customer_id")?)?,
            ticket_type: row.text("ticket_type")?,
            action: row.parse("action")?,
            delivery: row.parse("delivery")?,
            status: row.parse("status")?,
            status_at: row.time("status_at")?,
            why: row.text("why")?,
            stage: row.parse("stage")?,
            opened_at: row.time("opened_at")?,
            engineering_at: row.opt_time("engineering_at")?,
            call_attempts: row.int("call_attempts")?,
            call_next_at: row.opt_time("call_next_at")?,
            call_sent_at: row.opt_time("call_sent_at")?,
            call_last_error: row.opt_text("call_last_error")?,
            closed_at: row.opt_time("closed_at")?,
            updated_at: row.time("updated_at")?,
        })
    }
}

/// Order `id`, if any.
pub fn order(db: &Db, id: i64) -> Result<Option<Order>, Problem> {
    db.one(
        &format!("SELECT {ORDER_COLUMNS} FROM service_orders WHERE id = ?"),
        &[Value::Integer(id)],
        Order::from_row,
    )
}

/// `customer`'s latest orders, newest first.
pub fn orders_of(db: &Db, customer: &CustomerId) -> Result<Vec<Order>, Problem> {
    db.all(
        &format!(
            "SELECT {ORDER_COLUMNS} FROM service_orders WHERE customer_id = ? ORDER BY id DESC LIMIT 20"
        ),
        &[customer_key(customer)],
        Order::from_row,
    )
}

/// A move to a status that may order something, with no order yet.
pub struct ServiceMove {
    pub customer: CustomerId,
    pub status: ServiceStatus,
    /// When the customer moved, as stored: the order's key (one order per
    /// move), matched as text.
    at: String,
    pub why: String,
    /// The customer's service delivery, if their facts say.
    pub delivery: Option<ServiceDelivery>,
}

/// The next moves (of `customer`, or of everyone) to one of the domain's
/// `ORDERING_STATUSES` that have no order yet, oldest first (a read-only
/// join of service status, orders and customers' facts).
pub fn moves_to_order(db: &Db, customer: Option<&CustomerId>) -> Result<Vec<ServiceMove>, Problem> {
    let statuses: Vec<Value> = ORDERING_STATUSES
        .iter()
        .map(|s| Value::Text(s.as_str().into()))
        .collect();
    let marks = vec!["?"; statuses.len()].join(", ");
    let mut params = statuses;
    params.push(customer.map_or(Value::Null, customer_key));
    db.all(
        &format!(
            "SELECT s.customer_id, s.status, s.updated_at, COALESCE(s.reason, '') AS reason,
                    json_extract(c.facts, '$.service_delivery') AS delivery
             FROM service_status s LEFT JOIN customers c ON c.id = s.customer_id
             WHERE s.status IN ({marks}) AND (?{n} IS NULL OR s.customer_id = ?{n})
               AND NOT EXISTS (SELECT 1 FROM service_orders o
                               WHERE o.customer_id = s.customer_id AND o.status_at = s.updated_at)
             ORDER BY s.updated_at LIMIT {ORDER_BATCH}",
            n = params.len()
        ),
        &params,
        |row| {
            Ok(ServiceMove {
                customer: customer_id(&row.text("customer_id")?)?,
                status: row.parse("status")?,
                at: row.text("updated_at")?,
                why: row.text("reason")?,
                delivery: row
                    .opt_text("delivery")?
                    .map(vip_kit::db::parse_enum)
                    .transpose()?,
            })
        },
    )
}

/// An order to open for a service move.
pub struct NewOrder<'a> {
    pub service_move: &'a ServiceMove,
    pub action: OrderAction,
    pub delivery: ServiceDelivery,
    /// Told when the order closes.
    pub notify: &'a [String],
    pub stage: OrderStage,
    /// When its provisioning call is due (`None` while engineering looks first).
    pub call_due: Option<DateTime<Utc>>,
    pub opened_at: DateTime<Utc>,
    pub opened_by: &'a str,
}

/// Opens the order of a service move, unless the move has one; whether it
/// was opened. Fires `service_order_opened`: the audit row, and the notice
/// to engineering of an order that starts with them.
pub fn open_order(db: &Db, order: &NewOrder<'_>) -> Result<bool, Problem> {
    let notify = serde_json::to_string(order.notify).map_err(Problem::internal)?;
    let service_move = order.service_move;
    applied(
        db,
        "INSERT INTO service_orders (customer_id, action, delivery, status, status_at, why, notify,
             stage, opened_at, opened_by, call_next_at, updated_at, updated_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?9, ?10)
         ON CONFLICT (customer_id, status_at) DO NOTHING RETURNING 1",
        &[
            customer_key(&service_move.customer),
            Value::Text(order.action.as_str().into()),
            Value::Text(order.delivery.as_str().into()),
            Value::Text(service_move.status.as_str().into()),
            Value::Text(service_move.at.clone()),
            Value::Text(service_move.why.clone()),
            Value::Text(notify),
            Value::Text(order.stage.as_str().into()),
            timestamp(order.opened_at),
            Value::Text(order.opened_by.into()),
            order.call_due.map_or(Value::Null, timestamp),
        ],
    )
}

/// Makes the provisioning call of every order whose call is due by `as_of`
/// (a first call is always due) through `call`, to the endpoint of
/// variables `endpoint`, and records each outcome at `now`: a failed call
/// is due again after `retry`'s backoff. Keyset by id, so a failed call is
/// not read again in this run.
pub fn call_provisioning(
    db: &Db,
    endpoint: (&str, &str),
    retry: &RetryPolicy,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
    mut call: impl FnMut(&Endpoint, &Order) -> Result<(), String>,
) -> Result<Tally, Problem> {
    deliver_rows(
        endpoint,
        0,
        |after| {
            db.exec(
                &format!(
                    "SELECT {ORDER_COLUMNS} FROM service_orders
                     WHERE call_next_at IS NOT NULL AND (call_attempts = 0 OR call_next_at <= ?)
                       AND id > ? ORDER BY id LIMIT {ORDER_BATCH}"
                ),
                &[timestamp(as_of), Value::Integer(*after)],
            )
        },
        Order::from_row,
        |endpoint, order, after| {
            *after = order.id;
            let outcome = call(endpoint, &order);
            record_call(db, &order, retry, &outcome, as_of, now)?;
            Ok(outcome)
        },
    )
}

/// Records a provisioning call's outcome, unless another run recorded one
/// meanwhile (the attempts read guard it).
fn record_call(
    db: &Db,
    order: &Order,
    retry: &RetryPolicy,
    outcome: &Result<(), String>,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    let (next, error) = next_try(retry, order.call_attempts + 1, outcome, as_of);
    db.exec(
        "UPDATE service_orders SET call_attempts = call_attempts + 1, call_next_at = ?,
                call_last_error = ?, call_sent_at = CASE WHEN ? IS NULL THEN ? ELSE call_sent_at END
         WHERE id = ? AND call_attempts = ? AND call_next_at IS NOT NULL",
        &[
            next,
            error.clone(),
            error,
            timestamp(now),
            Value::Integer(order.id),
            Value::Integer(order.call_attempts),
        ],
    )?;
    Ok(())
}

/// Moves order `id` from stage `from` (still its stage) to `to` on a
/// partner's confirmation; whether it applied. Fires `service_order_moved`:
/// the audit row, and the department list's notice once it closes.
pub fn confirm_order(
    db: &Db,
    id: i64,
    from: OrderStage,
    to: OrderStage,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    applied(
        db,
        "UPDATE service_orders SET stage = ?1, updated_at = ?2, updated_by = ?3,
                engineering_at = CASE WHEN ?1 = 'provisioning' THEN ?2 ELSE engineering_at END,
                call_next_at = CASE WHEN ?1 = 'provisioning' THEN ?2 ELSE NULL END,
                closed_at = CASE WHEN ?1 = 'closed' THEN ?2 ELSE closed_at END
         WHERE id = ?4 AND stage = ?5 RETURNING 1",
        &[
            Value::Text(to.as_str().into()),
            timestamp(at),
            Value::Text(by.into()),
            Value::Integer(id),
            Value::Text(from.as_str().into()),
        ],
    )
}

/// A retention case.
pub struct RetentionCase {
    pub id: i64,
    pub cause: RetentionCause,
    /// The customer's service status while it is open, then how it ended.
    pub status: ServiceStatus,
    pub sales_due: DateTime<Utc>,
    pub recovery_due: DateTime<Utc>,
    /// What was left unpaid when it opened.
    pub balance: Vec<Money>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub reason: String,
}

/// `customer`'s latest retention case, if any.
pub fn latest_retention(db: &Db, customer: &CustomerId) -> Result<Option<RetentionCase>, Problem> {
    db.one(
        "SELECT id, cause, status, sales_due, recovery_due, balance, opened_at, closed_at, reason
         FROM retention_cases WHERE customer_id = ? ORDER BY id DESC LIMIT 1",
        &[customer_key(customer)],
        |row| {
            Ok(RetentionCase {
                id: row.int("id")?,
                cause: row.parse("cause")?,
                status: row.parse("status")?,
                sales_due: row.time("sales_due")?,
                recovery_due: row.time("recovery_due")?,
                balance: row.json("balance")?,
                opened_at: row.time("opened_at")?,
                closed_at: row.opt_time("closed_at")?,
                reason: row.text("reason")?,
            })
        },
    )
}

/// A retention case to open.
pub struct NewRetention<'a> {
    pub customer: &'a CustomerId,
    pub cause: RetentionCause,
    /// The status read, which must still be the customer's.
    pub from: ServiceStatus,
    /// The status the case moves the customer to.
    pub status: ServiceStatus,
    pub sales_due: DateTime<Utc>,
    pub recovery_due: DateTime<Utc>,
    pub balance: &'a [Money],
    /// Who takes the balance over if the customer leaves.
    pub notify_legal: &'a str,
    /// When the customer asked, or the equipment was seen off.
    pub at: DateTime<Utc>,
    pub by: &'a str,
    pub reason: &'a str,
}

/// Opens a retention case, unless the customer's status moved meanwhile or
/// a case is open; whether it was opened. Fires `retention_case_opened`:
/// moves the service status into retention and tells sales.
pub fn open_retention(db: &Db, case: &NewRetention<'_>) -> Result<bool, Problem> {
    applied(
        db,
        "INSERT INTO retention_cases (customer_id, cause, status, sales_due, recovery_due, balance,
             notify_legal, opened_at, opened_by, updated_at, updated_by, reason)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?9, ?10
         WHERE COALESCE((SELECT status FROM service_status WHERE customer_id = ?1), 'active') = ?11
         ON CONFLICT DO NOTHING RETURNING 1",
        &[
            customer_key(case.customer),
            Value::Text(case.cause.as_str().into()),
            Value::Text(case.status.as_str().into()),
            timestamp(case.sales_due),
            timestamp(case.recovery_due),
            Value::Text(serde_json::to_string(case.balance).map_err(Problem::internal)?),
            Value::Text(case.notify_legal.into()),
            timestamp(case.at),
            Value::Text(case.by.into()),
            Value::Text(case.reason.into()),
            Value::Text(case.from.as_str().into()),
        ],
    )
}

/// Closes `customer`'s open case as retained, moving it from `from` (still
/// its status) to `to`; whether it applied. Fires `retention_case_moved`:
/// the service status follows, and who acts next is told.
pub fn retain(
    db: &Db,
    customer: &CustomerId,
    from: ServiceStatus,
    to: ServiceStatus,
    reason: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    applied(
        db,
        "UPDATE retention_cases SET status = ?1, closed_at = ?2, updated_at = ?2, updated_by = ?3, reason = ?4
         WHERE customer_id = ?5 AND closed_at IS NULL AND status = ?6 RETURNING 1",
        &[
            Value::Text(to.as_str().into()),
            timestamp(at),
            Value::Text(by.into()),
            Value::Text(reason.into()),
            customer_key(customer),
            Value::Text(from.as_str().into()),
        ],
    )
}

/// An open retention case whose current window ended.
pub struct WindowEnded {
    pub id: i64,
    pub cause: RetentionCause,
    pub status: ServiceStatus,
    pub sales_due: DateTime<Utc>,
    pub recovery_due: DateTime<Utc>,
}

/// Up to 200 open cases whose current window (sales, or recovery) ended by
/// `as_of`, in id order.
pub fn windows_ended(db: &Db, as_of: DateTime<Utc>) -> Result<Vec<WindowEnded>, Problem> {
    db.all(
        "SELECT id, customer_id, cause, status, sales_due, recovery_due FROM retention_cases
         WHERE closed_at IS NULL
           AND ((status = 'retention_sales' AND sales_due <= ?1)
             OR (status = 'retention_recovery' AND recovery_due <= ?1))
         ORDER BY id LIMIT 200",
        &[timestamp(as_of)],
        |row| {
            Ok(WindowEnded {
                id: row.int("id")?,
                cause: row.parse("cause")?,
                status: row.parse("status")?,
                sales_due: row.time("sales_due")?,
                recovery_due: row.time("recovery_due")?,
            })
        },
    )
}

/// Moves open case `id` on from `from` (still its status) to `to` as its
/// window ended `at`, closing it on `disconnected`; whether it applied.
/// Fires `retention_case_moved`: the service status follows, who acts next
/// is told, and a balance left by a customer who leaves goes to legal.
pub fn lapse(
    db: &Db,
    id: i64,
    from: ServiceStatus,
    to: ServiceStatus,
    why: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    applied(
        db,
        "UPDATE retention_cases SET status = ?1, updated_at = ?2, updated_by = ?3, reason = ?4,
                closed_at = CASE WHEN ?1 = 'disconnected' THEN ?2 ELSE NULL END
         WHERE id = ?5 AND status = ?6 AND closed_at IS NULL RETURNING 1",
        &[
            Value::Text(to.as_str().into()),
            timestamp(at),
            Value::Text(by.into()),
            Value::Text(why.into()),
            Value::Integer(id),
            Value::Text(from.as_str().into()),
        ],
    )
}

/// A request to disconnect filed through a member channel, waiting for the
/// formal request (`case_id` once staff recorded it).
#[derive(Debug)]
pub struct FiledRequest {
    pub id: i64,
    pub customer_id: String,
    pub filed_at: DateTime<Utc>,
    pub filed_by: String,
    pub note: Option<String>,
    pub case_id: Option<i64>,
}

impl FiledRequest {
    fn read(row: &Row<'_>) -> Result<Self, Problem> {
        Ok(FiledRequest {
            id: row.int("id")?,
            customer_id: row.text("customer_id")?,
            filed_at: row.time("filed_at")?,
            filed_by: row.text("filed_by")?,
            note: row.opt_text("note")?,
            case_id: row.opt_int("case_id")?,
        })
    }
}

const FILED_COLUMNS: &str = "id, customer_id, filed_at, filed_by, note, case_id";

/// Files `customer`'s request to disconnect unless one is pending; the
/// pending request either way (fires `disconnection_request_filed` when new).
pub fn file_disconnection_request(
    db: &Db,
    customer: &CustomerId,
    at: DateTime<Utc>,
    by: &str,
    note: Option<&str>,
) -> Result<(FiledRequest, bool), Problem> {
    let filed = db.one(
        &format!(
            "INSERT INTO disconnection_requests (customer_id, filed_at, filed_by, note)
             VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING {FILED_COLUMNS}"
        ),
        &[
            customer_key(customer),
            timestamp(at),
            Value::Text(by.into()),
            note.map_or(Value::Null, |n| Value::Text(n.into())),
        ],
        |row| FiledRequest::read(&row),
    )?;
    match filed {
        Some(request) => Ok((request, true)),
        None => pending_disconnection_request(db, customer)?
            .map(|r| (r, false))
            .ok_or_else(|| Problem::internal("the pending request vanished")),
    }
}

/// `customer`'s filed request still waiting for the formal one.
pub fn pending_disconnection_request(
    db: &Db,
    customer: &CustomerId,
) -> Result<Option<FiledRequest>, Problem> {
    db.one(
        &format!(
            "SELECT {FILED_COLUMNS} FROM disconnection_requests
             WHERE customer_id = ? AND case_id IS NULL"
        ),
        &[customer_key(customer)],
        |row| FiledRequest::read(&row),
    )
}

/// Every filed request waiting for its formal request, oldest first.
pub fn pending_disconnection_requests(db: &Db, limit: i64) -> Result<Vec<FiledRequest>, Problem> {
    db.all(
        &format!(
            "SELECT {FILED_COLUMNS} FROM disconnection_requests
             WHERE case_id IS NULL ORDER BY filed_at, id LIMIT ?"
        ),
        &[Value::Integer(limit)],
        |row| FiledRequest::read(&row),
    )
}

/// [`deliver_due`] over rows read by column name: `read(cursor)` runs the
/// next batch's query, `from_row` reads each of its rows into a `T` for
/// `deliver` (the provisioning calls).
fn deliver_rows<K, T>(
    endpoint: (&str, &str),
    cursor: K,
    mut read: impl FnMut(&K) -> Result<QueryResult, Problem>,
    from_row: impl Fn(Row<'_>) -> Result<T, Problem>,
    mut deliver: impl FnMut(&Endpoint, T, &mut K) -> Result<Result<(), String>, Problem>,
) -> Result<Tally, Problem> {
    // The last batch's column names, for its rows.
    let columns = RefCell::new(Vec::new());
    deliver_due(
        endpoint,
        cursor,
        |after| {
            let batch = read(after)?;
            *columns.borrow_mut() = batch.columns;
            Ok(batch.rows)
        },
        |endpoint, row, after| {
            let item = from_row(Row::of(&columns.borrow(), row))?;
            deliver(endpoint, item, after)
        },
    )
}
