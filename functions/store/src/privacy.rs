//! A member's data, all of it (seed 004, DOMAIN §8: exportable on request):
//! every row about the customer, table by table, as stored. Reads only.
//! Login-code notices are left out: they hold secrets, not the member's data.

use vip_domain::customer::CustomerId;
use vip_kit::db::{Db, Value};
use vip_kit::Problem;

/// Each section of an export: its name and the rows about customer `?1`.
const SECTIONS: &[(&str, &str)] = &[
    ("customer", "SELECT id, legal_name, facts, contact, version, created_at, updated_at FROM customers WHERE id = ?1"),
    ("applications", "SELECT * FROM applications WHERE customer_id = ?1 ORDER BY id"),
    ("eligibility_decisions", "SELECT * FROM eligibility_decisions WHERE customer_id = ?1 ORDER BY id"),
    ("onboarding_cases", "SELECT * FROM onboarding_cases WHERE customer_id = ?1 ORDER BY id"),
    ("membership", "SELECT * FROM memberships WHERE customer_id = ?1"),
    ("tier_changes", "SELECT * FROM tier_changes WHERE customer_id = ?1 ORDER BY id"),
    ("purchases", "SELECT * FROM purchases WHERE customer_id = ?1 ORDER BY at, purchase_id"),
    ("cards", "SELECT * FROM cards WHERE customer_id = ?1 ORDER BY issued_at"),
    ("card_orders", "SELECT * FROM card_orders WHERE customer_id = ?1 ORDER BY created_at"),
    ("points_ledger", "SELECT * FROM points_ledger WHERE customer_id = ?1 ORDER BY id"),
    ("redemptions", "SELECT * FROM redemptions WHERE customer_id = ?1 ORDER BY id"),
    ("tickets", "SELECT * FROM tickets WHERE customer_id = ?1 ORDER BY id"),
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
