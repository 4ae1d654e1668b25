//! Members' birth dates and the birthday benefits granted, once per member
//! and year (docs/domain.md §1 "Birthday benefit").

use chrono::{DateTime, NaiveDate, Utc};
use vip_domain::birthdays::{default_birthday_program, BirthdayProgram};
use vip_domain::customer::CustomerId;
use vip_kit::db::{timestamp, Db, Value};
use vip_kit::settings::Document;
use vip_kit::Problem;

use crate::consents::in_force_sql;
use crate::effects::Effect;
use crate::memberships::state_sql;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[Effect {
    trigger: "birthday_granted",
    table: "birthday_grants",
    on: "INSERT",
    writes: &["audit_events", "notice_outbox"],
    does: "audits a birthday benefit granted and queues the member's birthday notice",
}];

/// The zone birthdays are counted in and the catch-up window.
pub const PROGRAM: Document<BirthdayProgram> = Document {
    name: "birthdays",
    key: "program",
    default: default_birthday_program,
    validate: BirthdayProgram::validate,
    in_use: None,
};

fn date(stored: &str) -> Result<NaiveDate, Problem> {
    stored.parse().map_err(Problem::internal)
}

/// Records `customer`'s date of birth.
pub fn set(
    db: &Db,
    customer: &CustomerId,
    born: NaiveDate,
    at: DateTime<Utc>,
    by: &str,
) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO member_birthdays (customer_id, birth_date, recorded_at, recorded_by) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (customer_id) DO UPDATE SET birth_date = excluded.birth_date,
            recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by",
        &[
            Value::Text(customer.as_str().into()),
            Value::Text(born.to_string()),
            timestamp(at),
            Value::Text(by.into()),
        ],
    )?;
    Ok(())
}

/// `customer`'s date of birth, if given.
pub fn of(db: &Db, customer: &CustomerId) -> Result<Option<NaiveDate>, Problem> {
    db.one(
        "SELECT birth_date FROM member_birthdays WHERE customer_id = ?",
        &[Value::Text(customer.as_str().into())],
        |row| date(&row.text("birth_date")?),
    )
}

/// A member whose birthday may be due: born, tier, and whether their
/// membership is active (not suspended, exited or revoked) with the
/// programme consent in force.
pub struct Candidate {
    pub customer: String,
    pub born: NaiveDate,
    pub tier: String,
}

/// Members with a birth date and the programme consent whose membership is
/// active and who were not granted a birthday in `year`, born on a month-day
/// in `days` (`MM-DD`).
pub fn candidates(db: &Db, year: i32, days: &[String]) -> Result<Vec<Candidate>, Problem> {
    db.all(
        &format!(
            "SELECT b.customer_id, b.birth_date, m.tier FROM member_birthdays b
             JOIN memberships m ON m.customer_id = b.customer_id
             WHERE substr(b.birth_date, 6, 5) IN (SELECT value FROM json_each(?1))
               AND NOT EXISTS (SELECT 1 FROM birthday_grants g WHERE g.customer_id = b.customer_id AND g.year = ?2)
               AND {} = 'active' AND {} = 1
             ORDER BY b.customer_id",
            state_sql("b.customer_id"),
            in_force_sql("b.customer_id", "programme")
        ),
        &[
            Value::Text(serde_json::to_string(days).map_err(Problem::internal)?),
            Value::Integer(i64::from(year)),
        ],
        |row| {
            Ok(Candidate {
                customer: row.text("customer_id")?,
                born: date(&row.text("birth_date")?)?,
                tier: row.text("tier")?,
            })
        },
    )
}

/// Grants `customer`'s birthday of `year` unless granted; whether this call
/// granted it. Fires `birthday_granted`.
pub fn grant(
    db: &Db,
    customer: &str,
    year: i32,
    tier: &str,
    benefit: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    Ok(db
        .one(
            "INSERT INTO birthday_grants (customer_id, year, tier, benefit, granted_at, granted_by)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING year",
            &[
                Value::Text(customer.into()),
                Value::Integer(i64::from(year)),
                Value::Text(tier.into()),
                Value::Text(benefit.into()),
                timestamp(at),
                Value::Text(by.into()),
            ],
            |_| Ok(()),
        )?
        .is_some())
}
