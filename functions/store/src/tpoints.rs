//! The T-Points ledger (docs/domain.md §10 "T-Points"): packs bought, what
//! expires of them, and the balance every entry adds up to. Entries are written by the pack's trigger
//! and by the change-request moves ([`crate::change_requests`]); each is
//! append-only and no entry may leave a sum below zero
//! (`tpoint_ledger_never_negative`).

use chrono::{DateTime, Utc};
use vip_domain::customer::CustomerId;
use vip_domain::tpoints::{Balance, Entry, Lot, Pack, TPoints};
use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::Problem;

use crate::effects::Effect;

/// The trigger a pack fires (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[Effect {
    trigger: "tpoint_pack_credited",
    table: "tpoint_packs",
    on: "INSERT",
    writes: &["audit_events", "tpoint_ledger"],
    does: "credits a pack bought to the customer's T-Points and audits it",
}];

/// The sum of the customer's entries, as the SQL of a guard: what they can
/// commit now, for customer `?{param}`.
pub fn available_sql(customer: &str) -> String {
    format!(
        "(SELECT COALESCE(SUM(available), 0) FROM tpoint_ledger WHERE customer_id = {customer})"
    )
}

/// Records a pack `customer` bought (fires `tpoint_pack_credited`); its id.
pub fn record_pack(
    db: &Db,
    customer: &CustomerId,
    pack: &Pack,
    at: DateTime<Utc>,
    by: &str,
) -> Result<i64, Problem> {
    db.one(
        "INSERT INTO tpoint_packs (customer_id, points, price_minor, currency, bought_at, expires_at,
            reference, recorded_at, recorded_by)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        &[
            Value::Text(customer.as_str().into()),
            Value::Integer(pack.points.hundredths()),
            Value::Integer(pack.price.minor()),
            Value::Text(pack.price.currency().as_str().into()),
            timestamp(pack.bought_at),
            pack.expires_at.map_or(Value::Null, timestamp),
            pack.reference.clone().map_or(Value::Null, Value::Text),
            timestamp(at),
            Value::Text(by.into()),
        ],
        |row| row.int("id"),
    )?
    .ok_or_else(|| Problem::internal("pack not recorded"))
}

/// A column of hundredths of a T-Point, never below zero.
pub(crate) fn points(row: &Row<'_>, name: &str) -> Result<TPoints, Problem> {
    let h = row.int(name)?;
    TPoints::from_hundredths(h)
        .ok_or_else(|| Problem::internal(format!("column `{name}` below zero: {h}")))
}

/// `customer`'s balance: the sums of their entries.
pub fn balance(db: &Db, customer: &str) -> Result<Balance, Problem> {
    db.one(
        "SELECT COALESCE(SUM(available), 0) AS available, COALESCE(SUM(reserved), 0) AS reserved,
                COALESCE(SUM(CASE entry WHEN 'spend' THEN -reserved WHEN 'fee' THEN -available ELSE 0 END), 0) AS spent,
                COALESCE(SUM(CASE entry WHEN 'pack' THEN available ELSE 0 END), 0) AS bought,
                COALESCE(SUM(CASE entry WHEN 'expire' THEN -available ELSE 0 END), 0) AS expired
         FROM tpoint_ledger WHERE customer_id = ?",
        &[Value::Text(customer.into())],
        |row| {
            Ok(Balance {
                available: points(&row, "available")?,
                reserved: points(&row, "reserved")?,
                spent: points(&row, "spent")?,
                bought: points(&row, "bought")?,
                expired: points(&row, "expired")?,
            })
        },
    )
    .map(Option::unwrap_or_default)
}

/// One ledger entry as shown: its kind, its effect on available and
/// reserved (signed, in T-Points), what it belongs to.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LedgerLine {
    pub id: i64,
    pub entry: Entry,
    pub available: f64,
    pub reserved: f64,
    pub pack_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub version: Option<i64>,
    pub at: String,
}

/// `customer`'s latest `limit` entries, newest first.
pub fn entries(db: &Db, customer: &str, limit: i64) -> Result<Vec<LedgerLine>, Problem> {
    db.all(
        "SELECT id, entry, available, reserved, pack_id, ticket_id, version, at FROM tpoint_ledger
         WHERE customer_id = ? ORDER BY id DESC LIMIT ?",
        &[Value::Text(customer.into()), Value::Integer(limit)],
        |row| {
            Ok(LedgerLine {
                id: row.int("id")?,
                entry: row.parse("entry")?,
                available: row.int("available")? as f64 / 100.0,
                reserved: row.int("reserved")? as f64 / 100.0,
                pack_id: row.opt_int("pack_id")?,
                ticket_id: row.opt_int("ticket_id")?,
                version: row.opt_int("version")?,
                at: row.text("at")?,
            })
        },
    )
}

/// Customers with a pack expired by `as_of` that may still hold points
/// (nothing expired from it yet, or points released back into it since).
pub fn with_expired_packs(db: &Db, as_of: DateTime<Utc>) -> Result<Vec<String>, Problem> {
    db.all(
        "SELECT DISTINCT customer_id FROM tpoint_packs WHERE expires_at <= ? ORDER BY customer_id",
        &[timestamp(as_of)],
        |row| row.text("customer_id"),
    )
}

/// `customer`'s packs with what has expired of each, and the points they
/// have used (reserved, spent or charged, net of releases).
pub fn lots(db: &Db, customer: &str) -> Result<(Vec<Lot>, TPoints), Problem> {
    let lots = db.all(
        "SELECT p.id, p.points, p.bought_at, p.expires_at,
                (SELECT COALESCE(SUM(-l.available), 0) FROM tpoint_ledger l
                  WHERE l.pack_id = p.id AND l.entry = 'expire') AS expired
         FROM tpoint_packs p WHERE p.customer_id = ? ORDER BY p.id",
        &[Value::Text(customer.into())],
        |row| {
            Ok(Lot {
                pack_id: row.int("id")?,
                points: points(&row, "points")?,
                bought_at: row.time("bought_at")?,
                expires_at: row.opt_time("expires_at")?,
                expired: points(&row, "expired")?,
            })
        },
    )?;
    let b = balance(db, customer)?;
    let used = b
        .bought
        .saturating_sub(b.available)
        .saturating_sub(b.expired);
    Ok((lots, used))
}

/// Expires `amount` of pack `pack_id` if what has expired of it is still
/// `expired_before` (a concurrent run expires nothing twice) and the points
/// are still available (not reserved meanwhile: the next run looks again);
/// whether it did.
pub fn expire(
    db: &Db,
    customer: &str,
    pack_id: i64,
    amount: TPoints,
    expired_before: TPoints,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    Ok(db
        .one(
            "INSERT INTO tpoint_ledger (customer_id, entry, available, reserved, pack_id, at, actor)
             SELECT ?1, 'expire', -?3, 0, ?2, ?5, ?6
             WHERE (SELECT COALESCE(SUM(-available), 0) FROM tpoint_ledger
                    WHERE pack_id = ?2 AND entry = 'expire') = ?4
               AND (SELECT COALESCE(SUM(available), 0) FROM tpoint_ledger WHERE customer_id = ?1) >= ?3
             RETURNING id",
            &[
                Value::Text(customer.into()),
                Value::Integer(pack_id),
                Value::Integer(amount.hundredths()),
                Value::Integer(expired_before.hundredths()),
                timestamp(at),
                Value::Text(by.into()),
            ],
            |_| Ok(()),
        )?
        .is_some())
}
