//! Customers and their VIP status over time: customer facts, the
//! eligibility rules, eligibility decisions, the month-end VIP list
//! (docs/domain.md §1).

use std::collections::HashMap;

use serde::Serialize;
use vip_domain::customer::{Contact, Customer, CustomerFacts, CustomerId};
use vip_domain::eligibility::{default_config, Decision, EligibilityConfig};
use vip_domain::month_end::{Month, MonthEnd, StatusChange};
use vip_kit::db::{timestamp, Db, Value};
use vip_kit::settings::{Document, InUse};
use vip_kit::{Ctx, Problem};

use crate::effects::Effect;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "customers_audit_insert",
        table: "customers",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a new customer",
    },
    Effect {
        trigger: "customers_audit_update",
        table: "customers",
        on: "UPDATE",
        writes: &["audit_events"],
        does: "audits a change to a customer's facts",
    },
    Effect {
        trigger: "month_end_runs_audit",
        table: "month_end_runs",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a month-end close",
    },
];

/// The eligibility rules. They may not drop a plan type a stored customer has.
pub const RULES: Document<EligibilityConfig> = Document {
    name: "eligibility",
    key: "rules",
    default: default_config,
    validate: EligibilityConfig::validate,
    in_use: Some(InUse {
        sql: "SELECT DISTINCT json_extract(facts, '$.plan_type') AS value FROM customers
              WHERE json_extract(facts, '$.plan_type') NOT IN (SELECT value FROM json_each(?1, '$.plan_types'))
              ORDER BY 1",
        field: "plan_types",
        slug: "plan-type-in-use",
        title: "A plan type the new rules drop is still in use",
        detail: "move those customers to another plan type first",
    }),
};

/// Creates or replaces customer `id`, only if its plan type is one the
/// eligibility rules in force list (the guard is part of the write, so a
/// concurrent rules edit that drops it cannot slip in between check and
/// write), and only if it differs from what is stored. Answers the version
/// written, or `None` if nothing was. Fires `customers_audit_insert` or
/// `customers_audit_update`: the audit row of the new version.
pub fn put(
    db: &Db,
    ctx: &Ctx<'_>,
    id: &CustomerId,
    customer: &Customer,
) -> Result<Option<i64>, Problem> {
    db.one(
        "INSERT INTO customers (id, legal_name, facts, contact, version, created_at, updated_at, updated_by, change_reason)
         SELECT ?1, ?2, ?3, ?4, 1, ?5, ?5, ?6, ?7
         WHERE EXISTS (
           SELECT 1 FROM program_settings, json_each(program_settings.document, '$.plan_types')
           WHERE program_settings.name = 'eligibility' AND json_each.value = json_extract(?3, '$.plan_type'))
         ON CONFLICT (id) DO UPDATE SET
           legal_name = excluded.legal_name, facts = excluded.facts, contact = excluded.contact,
           version = customers.version + 1, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by, change_reason = excluded.change_reason
         WHERE customers.legal_name IS NOT excluded.legal_name
            OR customers.facts IS NOT excluded.facts
            OR customers.contact IS NOT excluded.contact
         RETURNING version",
        &[
            Value::Text(id.as_str().into()),
            Value::Text(customer.legal_name.clone()),
            Value::Text(serde_json::to_string(&customer.facts).map_err(Problem::internal)?),
            Value::Text(serde_json::to_string(&customer.contact).map_err(Problem::internal)?),
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
            ctx.change_reason(),
        ],
        |row| row.int("version"),
    )
}

/// The month-end close of `month` with its counts; written after its
/// changes, it marks the month done (`ON CONFLICT DO NOTHING`: a close
/// already recorded stays as it was). Fires `month_end_runs_audit`: the
/// audit row of the close.
pub fn close_month(
    db: &Db,
    ctx: &Ctx<'_>,
    month: &Month,
    rules_version: i64,
    result: &MonthEnd,
) -> Result<(), Problem> {
    let count = |n: usize| Value::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    db.exec(
        "INSERT INTO month_end_runs (month, run_at, requested_by, rules_version, evaluated, vip,
                                     became_vip, stopped_being_vip, not_evaluated)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (month) DO NOTHING",
        &[
            Value::Text(month.to_string()),
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
            Value::Integer(rules_version),
            count(result.evaluated),
            count(result.vip),
            count(result.became_vip.len()),
            count(result.stopped_being_vip.len()),
            Value::Text(serde_json::to_string(&result.not_evaluated).map_err(Problem::internal)?),
        ],
    )?;
    Ok(())
}

/// The health check's probe: whether the database answers at all (no table
/// is read).
pub fn ping(db: &Db) -> Result<(), Problem> {
    db.exec("SELECT 1", &[])?;
    Ok(())
}

/// The customer whose contact holds this email (any case) or this phone,
/// when exactly one does (two customers sharing one address sign in with
/// their card number instead). Indexed by migration 0014.
pub fn by_contact(
    db: &Db,
    email: Option<&str>,
    phone: Option<&str>,
) -> Result<Option<CustomerId>, Problem> {
    let (sql, value) = match (email, phone) {
        (Some(email), _) => (
            "SELECT id FROM customers WHERE lower(json_extract(contact, '$.email')) = lower(?) LIMIT 2",
            email,
        ),
        (None, Some(phone)) => (
            "SELECT id FROM customers WHERE json_extract(contact, '$.phone') = ? LIMIT 2",
            phone,
        ),
        (None, None) => return Ok(None),
    };
    let ids = db.all(sql, &[Value::Text(value.trim().into())], |row| {
        row.text("id")
    })?;
    match ids.as_slice() {
        [one] => CustomerId::parse(one).map(Some).map_err(Problem::internal),
        _ => Ok(None),
    }
}

/// Whether another customer than `except` has this email (any case) or phone
/// on file: two customers sharing one could not sign in with it.
pub fn contact_taken(db: &Db, contact: &Contact, except: &CustomerId) -> Result<bool, Problem> {
    let taken = db.one(
        "SELECT 1 AS taken FROM customers WHERE id <> ?1 AND (
           (?2 IS NOT NULL AND lower(json_extract(contact, '$.email')) = lower(?2))
           OR (?3 IS NOT NULL AND json_extract(contact, '$.phone') = ?3)) LIMIT 1",
        &[
            Value::Text(except.as_str().into()),
            contact.email.clone().map_or(Value::Null, Value::Text),
            contact.phone.clone().map_or(Value::Null, Value::Text),
        ],
        |_| Ok(()),
    )?;
    Ok(taken.is_some())
}

/// A stored customer, personal data (`legal_name`, `contact`) included.
pub struct StoredCustomer {
    pub legal_name: String,
    pub facts: CustomerFacts,
    pub contact: Contact,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// Customer `id`, if stored.
pub fn get(db: &Db, id: &CustomerId) -> Result<Option<StoredCustomer>, Problem> {
    db.one(
        "SELECT legal_name, facts, contact, version, created_at, updated_at FROM customers WHERE id = ?",
        &[Value::Text(id.as_str().into())],
        |row| {
            Ok(StoredCustomer {
                legal_name: row.text("legal_name")?,
                facts: row.json("facts")?,
                contact: row.json("contact")?,
                version: row.int("version")?,
                created_at: row.text("created_at")?,
                updated_at: row.text("updated_at")?,
            })
        },
    )
}

/// Whether customer `id` is stored.
pub fn exists(db: &Db, id: &CustomerId) -> Result<bool, Problem> {
    Ok(db
        .one(
            "SELECT 1 FROM customers WHERE id = ?",
            &[Value::Text(id.as_str().into())],
            |_| Ok(()),
        )?
        .is_some())
}

/// The facts of customer `id`, if stored.
pub fn facts(db: &Db, id: &CustomerId) -> Result<Option<CustomerFacts>, Problem> {
    db.one(
        "SELECT facts FROM customers WHERE id = ?",
        &[Value::Text(id.as_str().into())],
        |row| row.json("facts"),
    )
}

/// Every customer's id (as stored) and facts, in id order.
pub fn all_facts(db: &Db) -> Result<Vec<(String, CustomerFacts)>, Problem> {
    db.all("SELECT id, facts FROM customers ORDER BY id", &[], |row| {
        Ok((row.text("id")?, row.json("facts")?))
    })
}

/// Records an eligibility check of stored customer `id` and why; answers
/// the decision's id.
pub fn record_decision(
    db: &Db,
    ctx: &Ctx<'_>,
    id: &CustomerId,
    decision: &Decision,
    rules_version: i64,
) -> Result<i64, Problem> {
    db.one(
        "INSERT INTO eligibility_decisions
           (customer_id, decided_at, vip, matched_rules, decision, rules_version, requested_by)
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        &[
            Value::Text(id.as_str().into()),
            timestamp(ctx.now),
            Value::Integer(i64::from(decision.vip)),
            Value::Text(serde_json::to_string(&decision.matched_rules).map_err(Problem::internal)?),
            Value::Text(serde_json::to_string(decision).map_err(Problem::internal)?),
            Value::Integer(rules_version),
            Value::Text(ctx.actor()),
        ],
        |row| row.int("id"),
    )?
    .ok_or_else(|| Problem::internal("decision insert returned nothing"))
}

/// A recorded month-end close.
#[derive(Serialize)]
pub struct MonthEndRun {
    pub month: String,
    pub run_at: String,
    pub requested_by: String,
    pub rules_version: i64,
    pub evaluated: i64,
    pub vip: i64,
    pub became_vip: i64,
    pub stopped_being_vip: i64,
    /// `[[customer_id, why]]`, as recorded.
    pub not_evaluated: serde_json::Value,
}

/// The close of `month`, if it was recorded.
pub fn month_end_run(db: &Db, month: &Month) -> Result<Option<MonthEndRun>, Problem> {
    db.one(
        "SELECT run_at, requested_by, rules_version, evaluated, vip, became_vip, stopped_being_vip, not_evaluated
         FROM month_end_runs WHERE month = ?",
        &[Value::Text(month.to_string())],
        |row| {
            Ok(MonthEndRun {
                month: month.to_string(),
                run_at: row.text("run_at")?,
                requested_by: row.text("requested_by")?,
                rules_version: row.int("rules_version")?,
                evaluated: row.int("evaluated")?,
                vip: row.int("vip")?,
                became_vip: row.int("became_vip")?,
                stopped_being_vip: row.int("stopped_being_vip")?,
                not_evaluated: row.json("not_evaluated")?,
            })
        },
    )
}

/// The earliest month after `month` already closed (`YYYY-MM`), if any.
pub fn closed_after(db: &Db, month: &Month) -> Result<Option<String>, Problem> {
    db.one(
        "SELECT month FROM month_end_runs WHERE month > ? ORDER BY month LIMIT 1",
        &[Value::Text(month.to_string())],
        |row| row.text("month"),
    )
}

/// Each customer's VIP status before `month` closes: the latest change
/// recorded for an earlier month (customers never changed are absent).
pub fn vip_before(db: &Db, month: &Month) -> Result<HashMap<String, bool>, Problem> {
    Ok(db
        .all(
            "SELECT c.customer_id, c.vip FROM month_end_changes c
             WHERE c.month = (SELECT MAX(p.month) FROM month_end_changes p
                              WHERE p.customer_id = c.customer_id AND p.month < ?)",
            &[Value::Text(month.to_string())],
            |row| Ok((row.text("customer_id")?, row.int("vip")? == 1)),
        )?
        .into_iter()
        .collect())
}

/// Rows per multi-row INSERT of month-end changes (5 parameters each).
const CHANGES_PER_STATEMENT: usize = 200;

/// Records the status changes of `month`'s close; a change already recorded
/// stays as it was (`ON CONFLICT DO NOTHING`), so a re-run after a crash
/// writes only what is missing.
pub fn record_month_end_changes<'a>(
    db: &Db,
    month: &Month,
    changes: impl IntoIterator<Item = &'a StatusChange>,
) -> Result<(), Problem> {
    let rows = changes
        .into_iter()
        .map(|c| {
            Ok(vec![
                Value::Text(month.to_string()),
                Value::Text(c.customer_id.clone()),
                Value::Integer(i64::from(c.vip)),
                Value::Text(serde_json::to_string(&c.matched_rules).map_err(Problem::internal)?),
                Value::Text(c.summary.clone()),
            ])
        })
        .collect::<Result<Vec<_>, Problem>>()?;
    db.exec_rows(
        "INSERT INTO month_end_changes (month, customer_id, vip, matched_rules, summary)
         VALUES {rows} ON CONFLICT (month, customer_id) DO NOTHING",
        &[],
        rows,
        CHANGES_PER_STATEMENT,
    )?;
    Ok(())
}

/// A recorded month-end status change.
pub struct MonthEndChange {
    pub customer_id: String,
    /// The status from this close on.
    pub vip: bool,
    pub matched_rules: serde_json::Value,
    pub summary: String,
}

/// A page of `month`'s changes in customer order: `limit` from `offset`.
pub fn month_end_changes(
    db: &Db,
    month: &Month,
    limit: i64,
    offset: i64,
) -> Result<Vec<MonthEndChange>, Problem> {
    db.all(
        "SELECT customer_id, vip, matched_rules, summary FROM month_end_changes
         WHERE month = ? ORDER BY customer_id LIMIT ? OFFSET ?",
        &[
            Value::Text(month.to_string()),
            Value::Integer(limit),
            Value::Integer(offset),
        ],
        |row| {
            Ok(MonthEndChange {
                customer_id: row.text("customer_id")?,
                vip: row.int("vip")? == 1,
                matched_rules: row.json("matched_rules")?,
                summary: row.text("summary")?,
            })
        },
    )
}
