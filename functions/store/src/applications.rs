//! Applications from the public web form: the customer each created and the
//! consents given with it. No trigger: the customer's own insert is audited.

use chrono::{DateTime, Utc};
use vip_domain::customer::CustomerId;
use vip_kit::db::{timestamp, Db, Value};
use vip_kit::Problem;

/// Records the application that created `customer`; returns its id.
pub fn record(
    db: &Db,
    customer: &CustomerId,
    consents: &serde_json::Value,
    at: DateTime<Utc>,
) -> Result<i64, Problem> {
    db.one(
        "INSERT INTO applications (customer_id, consents, applied_at) VALUES (?, ?, ?) RETURNING id",
        &[
            Value::Text(customer.as_str().into()),
            Value::Text(consents.to_string()),
            timestamp(at),
        ],
        |row| row.int("id"),
    )?
    .ok_or_else(|| Problem::internal("application insert returned nothing"))
}
