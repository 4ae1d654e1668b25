//! Consents per purpose and their history (append-only `consents`): the
//! latest row of a purpose is the consent in force. A change is recorded
//! only where it changes something, in one statement per purpose.

use chrono::{DateTime, Utc};
use serde::Serialize;
use vip_domain::customer::CustomerId;
use vip_kit::db::{timestamp, Db, Value};
use vip_kit::Problem;

/// The purposes a member consents to, or not.
pub const PURPOSES: &[&str] = &["programme", "marketing", "third_parties"];

#[derive(Serialize)]
pub struct Change {
    pub purpose: String,
    pub granted: bool,
    pub recorded_at: String,
    pub recorded_by: String,
}

/// SQL for whether the consent for `purpose` (a literal of [`PURPOSES`]) is
/// in force for the customer whose id is the SQL expression `customer`: 1
/// or 0 (never given).
pub(crate) fn in_force_sql(customer: &str, purpose: &str) -> String {
    format!(
        "COALESCE((SELECT granted FROM consents WHERE customer_id = {customer} AND purpose = '{purpose}'
                   ORDER BY id DESC LIMIT 1), 0)"
    )
}

/// Records `granted` for `purpose` unless it is already the consent in force.
pub fn set(
    db: &Db,
    customer: &CustomerId,
    purpose: &str,
    granted: bool,
    at: DateTime<Utc>,
    actor: &str,
) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO consents (customer_id, purpose, granted, recorded_at, recorded_by)
         SELECT ?1, ?2, ?3, ?4, ?5
         WHERE (SELECT granted FROM consents WHERE customer_id = ?1 AND purpose = ?2 ORDER BY id DESC LIMIT 1)
               IS NOT ?3",
        &[
            Value::Text(customer.as_str().into()),
            Value::Text(purpose.into()),
            Value::Integer(i64::from(granted)),
            timestamp(at),
            Value::Text(actor.into()),
        ],
    )?;
    Ok(())
}

/// Every change for `customer`, oldest first.
pub fn history(db: &Db, customer: &CustomerId) -> Result<Vec<Change>, Problem> {
    db.all(
        "SELECT purpose, granted, recorded_at, recorded_by FROM consents WHERE customer_id = ? ORDER BY id",
        &[Value::Text(customer.as_str().into())],
        |row| {
            Ok(Change {
                purpose: row.text("purpose")?,
                granted: row.int("granted")? != 0,
                recorded_at: row.text("recorded_at")?,
                recorded_by: row.text("recorded_by")?,
            })
        },
    )
}
