//! The audit trail (`audit_events`). Triggers write it, in the same
//! statement as the change they record (see each module's `EFFECTS`), so no
//! change commits without its audit row; this module reads it back. The one
//! exception is [`record`]: an act that changes no table (a member session
//! opened on a member's behalf lives in the key-value store).

use vip_kit::db::{timestamp, Db, Value};
use vip_kit::{Ctx, Problem};

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

/// Records an act on `entity` (type, id) that changes no table, by the
/// request's actor at its time, with its `X-Change-Reason`.
pub fn record(db: &Db, ctx: &Ctx<'_>, action: &str, entity: (&str, &str)) -> Result<(), Problem> {
    db.exec(
        "INSERT INTO audit_events (at, actor, action, entity_type, entity_id, reason, details)
         VALUES (?, ?, ?, ?, ?, ?, json_object())",
        &[
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
            Value::Text(action.into()),
            Value::Text(entity.0.into()),
            Value::Text(entity.1.into()),
            ctx.change_reason(),
        ],
    )?;
    Ok(())
}
