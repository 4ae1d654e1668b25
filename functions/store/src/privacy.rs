//! A member's data (seed 004, DOMAIN §8): exported on request, every row
//! about the customer, table by table, as stored (login-code notices left
//! out: they hold secrets, not the member's data); and erased on request.

use vip_domain::customer::CustomerId;
use vip_kit::db::{timestamp, Db, Effect, Value};
use vip_kit::{Ctx, Problem};

pub const EFFECTS: &[Effect] = &[Effect {
    trigger: "erasures_audit",
    table: "erasures",
    on: "INSERT",
    writes: &["audit_events"],
    does: "audits an erasure, with no personal data",
}];

/// When `customer` was erased, if they were.
pub fn erased_at(db: &Db, customer: &CustomerId) -> Result<Option<String>, Problem> {
    db.one(
        "SELECT erased_at FROM erasures WHERE customer_id = ?",
        &[Value::Text(customer.as_str().into())],
        |row| row.text("erased_at"),
    )
}

/// Erases `customer`'s personal data: name and contact pseudonymised (the
/// customer's audit row of the change carries facts only), ticket subjects and
/// descriptions redacted, undelivered login codes and the date of birth
/// dropped, then the erasure
/// recorded (`erasures_audit`). Ledgers, invoices, payments and the audit stay
/// under the same id: accounting records must be kept, and the id names no
/// one once the name and contact are gone. Each step may run again, and the
/// record comes last, so a crash midway is finished by the next request; an
/// erased customer is answered with the first erasure's time, and nothing
/// changes. Returns when it was erased.
pub fn erase(db: &Db, ctx: &Ctx<'_>, customer: &CustomerId) -> Result<String, Problem> {
    if let Some(at) = erased_at(db, customer)? {
        return Ok(at);
    }
    let id = Value::Text(customer.as_str().into());
    db.exec(
        "UPDATE customers SET legal_name = 'erased', contact = '{}', version = version + 1,
                updated_at = ?2, updated_by = ?3, change_reason = 'erasure on request'
         WHERE id = ?1 AND (legal_name <> 'erased' OR contact <> '{}')",
        &[id.clone(), timestamp(ctx.now), Value::Text(ctx.actor())],
    )?;
    db.exec(
        "UPDATE tickets SET subject = '[erased]', description = '[erased]' WHERE customer_id = ?",
        std::slice::from_ref(&id),
    )?;
    db.exec(
        "DELETE FROM notice_outbox WHERE customer_id = ? AND kind = 'member.login_code'",
        std::slice::from_ref(&id),
    )?;
    db.exec(
        "DELETE FROM member_birthdays WHERE customer_id = ?",
        std::slice::from_ref(&id),
    )?;
    db.exec(
        "INSERT INTO erasures (customer_id, erased_at, erased_by) VALUES (?, ?, ?)
         ON CONFLICT (customer_id) DO NOTHING",
        &[id, timestamp(ctx.now), Value::Text(ctx.actor())],
    )?;
    erased_at(db, customer)?.ok_or_else(|| Problem::internal("erasure not recorded"))
}

/// Each section of an export: its name and the rows about customer `?1`.
const SECTIONS: &[(&str, &str)] = &[
    ("customer", "SELECT id, legal_name, facts, contact, version, created_at, updated_at FROM customers WHERE id = ?1"),
    ("applications", "SELECT * FROM applications WHERE customer_id = ?1 ORDER BY id"),
    ("consents", "SELECT purpose, granted, recorded_at, recorded_by FROM consents WHERE customer_id = ?1 ORDER BY id"),
    ("eligibility_decisions", "SELECT * FROM eligibility_decisions WHERE customer_id = ?1 ORDER BY id"),
    ("onboarding_cases", "SELECT * FROM onboarding_cases WHERE customer_id = ?1 ORDER BY id"),
    ("membership", "SELECT * FROM memberships WHERE customer_id = ?1"),
    ("membership_states", "SELECT event, from_state, to_state, reason, at, by FROM membership_state_changes WHERE customer_id = ?1 ORDER BY id"),
    ("birth_date", "SELECT birth_date, recorded_at FROM member_birthdays WHERE customer_id = ?1"),
    ("birthday_grants", "SELECT year, tier, benefit, granted_at FROM birthday_grants WHERE customer_id = ?1 ORDER BY year"),
    ("notice_preferences", "SELECT language, channels, updated_at FROM notice_preferences WHERE customer_id = ?1"),
    ("tier_changes", "SELECT * FROM tier_changes WHERE customer_id = ?1 ORDER BY id"),
    ("purchases", "SELECT * FROM purchases WHERE customer_id = ?1 ORDER BY at, purchase_id"),
    ("cards", "SELECT * FROM cards WHERE customer_id = ?1 ORDER BY issued_at"),
    ("card_orders", "SELECT * FROM card_orders WHERE customer_id = ?1 ORDER BY created_at"),
    ("points_ledger", "SELECT * FROM points_ledger WHERE customer_id = ?1 ORDER BY id"),
    ("redemptions", "SELECT * FROM redemptions WHERE customer_id = ?1 ORDER BY id"),
    ("tickets", "SELECT * FROM tickets WHERE customer_id = ?1 ORDER BY id"),
    ("tpoint_packs", "SELECT * FROM tpoint_packs WHERE customer_id = ?1 ORDER BY id"),
    ("tpoint_ledger", "SELECT * FROM tpoint_ledger WHERE customer_id = ?1 ORDER BY id"),
    ("change_requests", "SELECT * FROM change_requests WHERE customer_id = ?1 ORDER BY ticket_id"),
    ("change_estimates", "SELECT * FROM change_estimates WHERE customer_id = ?1 ORDER BY ticket_id, version"),
    ("change_request_moves", "SELECT * FROM change_request_moves WHERE customer_id = ?1 ORDER BY id"),
    ("change_plans", "SELECT * FROM change_plans WHERE customer_id = ?1 ORDER BY ticket_id"),
    ("trainings", "SELECT * FROM trainings WHERE customer_id = ?1 ORDER BY id"),
    ("invoices", "SELECT * FROM invoices WHERE customer_id = ?1 ORDER BY id"),
    ("payments", "SELECT p.* FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE i.customer_id = ?1 ORDER BY p.rowid"),
    ("payment_commitments", "SELECT c.* FROM payment_commitments c JOIN invoices i ON i.id = c.invoice_id WHERE i.customer_id = ?1 ORDER BY c.rowid"),
    ("service_status", "SELECT * FROM service_status WHERE customer_id = ?1"),
    ("service_orders", "SELECT * FROM service_orders WHERE customer_id = ?1 ORDER BY id"),
    ("retention_cases", "SELECT * FROM retention_cases WHERE customer_id = ?1 ORDER BY id"),
    ("notices", "SELECT id, kind, payload, created_at, delivered_at FROM notice_outbox WHERE customer_id = ?1 AND kind <> 'member.login_code' ORDER BY created_at, id"),
    ("month_end_changes", "SELECT * FROM month_end_changes WHERE customer_id = ?1 ORDER BY month"),
    ("audit", "SELECT at, actor, action, reason, details FROM audit_events WHERE entity_type = 'customer' AND entity_id = ?1 ORDER BY at, id"),
];

fn json_of(value: &Value) -> serde_json::Value {
    match value {
        Value::Integer(i) => (*i).into(),
        Value::Real(f) => (*f).into(),
        Value::Text(t) => t.clone().into(),
        Value::Blob(b) => b
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
            .into(),
        Value::Null => serde_json::Value::Null,
    }
}

/// Every section about `customer`: each a list of rows (column → value), in
/// the tables' own column names. `None` if the customer is unknown.
pub fn export(db: &Db, customer: &CustomerId) -> Result<Option<serde_json::Value>, Problem> {
    let mut sections = serde_json::Map::new();
    for (name, sql) in SECTIONS {
        let result = db.exec(sql, &[Value::Text(customer.as_str().into())])?;
        let rows: Vec<serde_json::Value> = result
            .rows
            .iter()
            .map(|row| {
                result
                    .columns
                    .iter()
                    .zip(&row.values)
                    .map(|(c, v)| (c.clone(), json_of(v)))
                    .collect::<serde_json::Map<_, _>>()
                    .into()
            })
            .collect();
        sections.insert((*name).to_string(), rows.into());
    }
    let known = sections
        .values()
        .any(|rows| rows.as_array().is_some_and(|r| !r.is_empty()));
    Ok(known.then(|| sections.into()))
}
