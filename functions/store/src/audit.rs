//! The audit trail (`audit_events`). Triggers write it, in the same
//! statement as the change they record (see each module's `EFFECTS`), so no
//! change commits without its audit row; this module reads it back. The one
//! exception is [`record`]: an act that changes no table (a member session
//! opened on a member's behalf lives in the key-value store).

use vip_kit::db::{Db, Value};
use vip_kit::Problem;

/// One audited change.
pub struct Entry {
    /// As the audit stored it.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub reason: Option<String>,
    pub details: serde_json::Value,
}

/// The audit trail of one entity (`entity_type` `ticket`, `entity_id` its
/// id), oldest first.
pub fn trail(db: &Db, entity_type: &str, entity_id: &str) -> Result<Vec<Entry>, Problem> {
    db.all(
        "SELECT at, actor, action, reason, details FROM audit_events
         WHERE entity_type = ? AND entity_id = ? ORDER BY at, id",
        &[
            Value::Text(entity_type.into()),
            Value::Text(entity_id.into()),
        ],
        |row| {
            Ok(Entry {
                at: row.text("at")?,
                actor: row.text("actor")?,
                action: row.text("action")?,
                reason: row.opt_text("reason")?,
                details: row.json("details")?,
            })
        },
    )
}

/// Records an act that changes no table, at `at`, by `actor`.
pub fn record(
    db: &Db,
    at: &str,
    actor: &str,
    action: &str,
    entity: (&str, &str),
    reason: Value,
    details: &serde_json::Value,
) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Text(at.into()),
            Value::Text(actor.into()),
            Value::Text(action.into()),
            Value::Text(entity.0.into()),
            Value::Text(entity.1.into()),
            reason,
            Value::Text(details.to_string()),
        ],
    )?;
    Ok(())
}
