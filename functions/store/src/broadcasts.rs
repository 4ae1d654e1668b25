//! Broadcasts: the request, its recipients (every active member of the
//! audience, or the members of the broadcast it follows), and one notice per
//! recipient in the outbox, dated the moment it may go. The `notices`
//! component delivers them like any member notice; progress is read back
//! from the outbox.

use chrono::{DateTime, Utc};
use serde::Serialize;
use vip_domain::broadcasts::{
    default_broadcast_program, Audience, BroadcastMessage, BroadcastProgram, Purpose, BROADCAST,
};
use vip_domain::customer::Contact;
use vip_domain::notices::{Preferences, Reach};
use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::settings::Document;
use vip_kit::Problem;

use crate::consents::in_force_sql;
use crate::effects::Effect;
use crate::memberships::state_sql;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[Effect {
    trigger: "broadcasts_audit",
    table: "broadcasts",
    on: "INSERT",
    writes: &["audit_events"],
    does: "audits a broadcast",
}];

/// How fast broadcasts go out, per channel.
pub const PROGRAM: Document<BroadcastProgram> = Document {
    name: "broadcasts",
    key: "program",
    default: default_broadcast_program,
    validate: BroadcastProgram::validate,
    in_use: None,
};

/// Recipients read per statement.
const BATCH: i64 = 1000;
/// Notices written per statement.
const WRITE_CHUNK: usize = 200;

/// A broadcast as stored.
pub struct Broadcast {
    pub id: i64,
    pub audience: Audience,
    pub purpose: Purpose,
    pub messages: Vec<BroadcastMessage>,
    pub follows: Option<i64>,
    pub recipients: Option<i64>,
    pub unreachable: Option<i64>,
    pub last_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

const COLUMNS: &str = "id, audience, purpose, messages, follows, recipients, unreachable, last_at, created_at, created_by";

impl Broadcast {
    fn read(row: &Row<'_>) -> Result<Self, Problem> {
        Ok(Broadcast {
            id: row.int("id")?,
            audience: row.json("audience")?,
            purpose: row.parse("purpose")?,
            messages: row.json("messages")?,
            follows: row.opt_int("follows")?,
            recipients: row.opt_int("recipients")?,
            unreachable: row.opt_int("unreachable")?,
            last_at: row.opt_time("last_at")?,
            created_at: row.time("created_at")?,
            created_by: row.text("created_by")?,
        })
    }
}

/// Broadcast `id`, if there is one.
pub fn find(db: &Db, id: i64) -> Result<Option<Broadcast>, Problem> {
    db.one(
        &format!("SELECT {COLUMNS} FROM broadcasts WHERE id = ?"),
        &[Value::Integer(id)],
        |row| Broadcast::read(&row),
    )
}

/// Records a broadcast (fires `broadcasts_audit`); its id.
pub fn create(
    db: &Db,
    audience: &Audience,
    purpose: Purpose,
    messages: &[BroadcastMessage],
    follows: Option<i64>,
    at: DateTime<Utc>,
    by: &str,
) -> Result<i64, Problem> {
    db.one(
        "INSERT INTO broadcasts (audience, purpose, messages, follows, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        &[
            Value::Text(serde_json::to_string(audience).map_err(Problem::internal)?),
            Value::Text(
                serde_json::to_value(purpose)
                    .map_err(Problem::internal)?
                    .as_str()
                    .unwrap_or("service")
                    .into(),
            ),
            Value::Text(serde_json::to_string(messages).map_err(Problem::internal)?),
            follows.map_or(Value::Null, Value::Integer),
            timestamp(at),
            Value::Text(by.into()),
        ],
        |row| row.int("id"),
    )?
    .ok_or_else(|| Problem::internal("the broadcast was not recorded"))
}

/// One member a broadcast goes to, with what routing their message needs.
pub struct Recipient {
    pub customer: String,
    pub preferences: Option<Preferences>,
    pub reach: Reach,
}

/// The notice id of broadcast `id`'s message to `customer`.
pub fn notice_id(id: i64, customer: &str) -> String {
    format!("broadcast-{id}-{customer}")
}

/// The recipients of a broadcast, by customer id, a batch at a time: every
/// member not exited or revoked in `audience` (marketing: who consented to
/// it), or, for an update, the members the followed broadcast was queued to.
pub fn recipients(
    db: &Db,
    audience: &Audience,
    purpose: Purpose,
    follows: Option<i64>,
    mut each: impl FnMut(Vec<Recipient>) -> Result<(), Problem>,
) -> Result<(), Problem> {
    let followed = follows.map(|f| {
        (
            Value::Text(notice_id(f, "")),
            Value::Text(format!("broadcast-{f}.")),
        )
    });
    let mut after = String::new();
    let sql = format!(
        "SELECT m.customer_id, c.contact, p.language, p.channels, {} AS third_parties
         FROM memberships m JOIN customers c ON c.id = m.customer_id
         LEFT JOIN notice_preferences p ON p.customer_id = m.customer_id
         WHERE m.customer_id > ?1 AND {} NOT IN ('exited', 'revoked')
           AND (?2 = 'marketing') <= ({} = 1)
           AND CASE WHEN ?3 IS NOT NULL THEN
                 EXISTS (SELECT 1 FROM notice_outbox o WHERE o.id = ?3 || m.customer_id)
               ELSE (?4 OR (json_array_length(?5) = 0 OR m.tier IN (SELECT value FROM json_each(?5))))
                    AND (?4 OR (json_array_length(?6) = 0
                                OR json_extract(c.facts, '$.segment') IN (SELECT value FROM json_each(?6))))
               END
         ORDER BY m.customer_id LIMIT ?7",
        in_force_sql("m.customer_id", "third_parties"),
        state_sql("m.customer_id"),
        in_force_sql("m.customer_id", "marketing"),
    );
    loop {
        let batch = db.all(
            &sql,
            &[
                Value::Text(after.clone()),
                Value::Text(
                    match purpose {
                        Purpose::Service => "service",
                        Purpose::Marketing => "marketing",
                    }
                    .into(),
                ),
                followed.as_ref().map_or(Value::Null, |f| f.0.clone()),
                Value::Integer(i64::from(audience.all)),
                Value::Text(serde_json::to_string(&audience.tiers).map_err(Problem::internal)?),
                Value::Text(serde_json::to_string(&audience.segments).map_err(Problem::internal)?),
                Value::Integer(BATCH),
            ],
            |row| {
                let contact: Contact = row.json("contact")?;
                let preferences = match row.opt_text("language")? {
                    Some(_) => Some(Preferences {
                        language: row.parse("language")?,
                        channels: row.json("channels")?,
                    }),
                    None => None,
                };
                Ok(Recipient {
                    customer: row.text("customer_id")?,
                    preferences,
                    reach: Reach {
                        email: contact.email,
                        phone: contact.phone,
                        third_parties: row.int("third_parties")? != 0,
                    },
                })
            },
        )?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after.clone_from(&last.customer);
        let full = batch.len() as i64 == BATCH;
        each(batch)?;
        if !full {
            return Ok(());
        }
    }
}

/// Queues broadcast `id`'s messages: one notice per `(customer, moment)`;
/// a notice already queued is left as it is (a repeat writes nothing).
pub fn queue(db: &Db, id: i64, messages: &[(String, DateTime<Utc>)]) -> Result<(), Problem> {
    let payload = serde_json::json!({ "broadcast_id": id }).to_string();
    db.exec_rows(
        "INSERT INTO notice_outbox (id, kind, customer_id, payload, created_at) VALUES {rows}
         ON CONFLICT (id) DO NOTHING",
        &[],
        messages
            .iter()
            .map(|(customer, at)| {
                vec![
                    Value::Text(notice_id(id, customer)),
                    Value::Text(BROADCAST.into()),
                    Value::Text(customer.clone()),
                    Value::Text(payload.clone()),
                    timestamp(*at),
                ]
            })
            .collect(),
        WRITE_CHUNK,
    )?;
    Ok(())
}

/// Records that every message of broadcast `id` is queued.
pub fn queued(
    db: &Db,
    id: i64,
    recipients: i64,
    unreachable: i64,
    last_at: DateTime<Utc>,
) -> Result<(), Problem> {
    db.exec(
        "UPDATE broadcasts SET recipients = ?, unreachable = ?, last_at = ? WHERE id = ?",
        &[
            Value::Integer(recipients),
            Value::Integer(unreachable),
            timestamp(last_at),
            Value::Integer(id),
        ],
    )?;
    Ok(())
}

/// Where a broadcast's messages are, read from the outbox.
#[derive(Debug, Serialize)]
pub struct Progress {
    pub queued: i64,
    pub delivered: i64,
    /// Tried and failed for now; tried again after the backoff.
    pub retrying: i64,
    /// Given up: no channel could reach the member, or every channel refused.
    pub undeliverable: i64,
    /// Not yet tried (their moment has not come, or the next run takes them).
    pub waiting: i64,
    pub by_channel: serde_json::Map<String, serde_json::Value>,
}

/// The progress of broadcast `id`'s messages.
pub fn progress(db: &Db, id: i64) -> Result<Progress, Problem> {
    let range = [
        Value::Text(notice_id(id, "")),
        Value::Text(format!("broadcast-{id}.")),
    ];
    let mut progress = db
        .one(
            "SELECT COUNT(*) AS queued,
                    COUNT(o.delivered_at) AS delivered,
                    SUM(o.delivered_at IS NULL AND r.gave_up_at IS NOT NULL) AS undeliverable,
                    SUM(o.delivered_at IS NULL AND r.gave_up_at IS NULL AND d.attempts > 0) AS retrying
             FROM notice_outbox o LEFT JOIN outbox_deliveries d ON d.id = o.id
             LEFT JOIN notice_routes r ON r.id = o.id
             WHERE o.id >= ?1 AND o.id < ?2",
            &range,
            |row| {
                let queued = row.int("queued")?;
                let delivered = row.int("delivered")?;
                let undeliverable = row.opt_int("undeliverable")?.unwrap_or(0);
                let retrying = row.opt_int("retrying")?.unwrap_or(0);
                Ok(Progress {
                    queued,
                    delivered,
                    retrying,
                    undeliverable,
                    waiting: queued - delivered - undeliverable - retrying,
                    by_channel: serde_json::Map::new(),
                })
            },
        )?
        .ok_or_else(|| Problem::internal("no progress row"))?;
    for (channel, n) in db.all(
        "SELECT r.channel, COUNT(*) AS n FROM notice_routes r JOIN notice_outbox o ON o.id = r.id
         WHERE r.id >= ?1 AND r.id < ?2 AND o.delivered_at IS NOT NULL GROUP BY r.channel",
        &range,
        |row| Ok((row.opt_text("channel")?.unwrap_or_default(), row.int("n")?)),
    )? {
        progress.by_channel.insert(channel, n.into());
    }
    Ok(progress)
}
