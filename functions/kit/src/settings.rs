//! Programme configuration documents (`program_settings`): one JSON document
//! per name (`eligibility`, `tiers`), versioned, seeded with the domain's
//! defaults on first use, replaced by staff under optimistic concurrency
//! (`If-Match`) and a guard that refuses to drop something still in use —
//! the guard, the version check and the write are one statement.

use serde::de::DeserializeOwned;
use serde::Serialize;
use spin_sdk::http::Response;
use vip_domain::validation::{Errors, FieldError};

use crate::body::read_json;
use crate::db::{timestamp, Db, Effect, Value};
use crate::problem::Problem;
use crate::router::Ctx;

/// A document as stored, with its version.
pub struct Stored<T> {
    pub version: i64,
    pub updated_at: String,
    pub updated_by: String,
    pub document: T,
}

fn select<T: DeserializeOwned>(db: &Db, name: &str) -> Result<Option<Stored<T>>, Problem> {
    db.one(
        "SELECT document, version, updated_at, updated_by FROM program_settings WHERE name = ?",
        &[Value::Text(name.into())],
        |row| {
            Ok(Stored {
                document: row.json("document")?,
                version: row.int("version")?,
                updated_at: row.text("updated_at")?,
                updated_by: row.text("updated_by")?,
            })
        },
    )
}

/// The document in force, seeding `default` the first time.
fn load<T: DeserializeOwned + Serialize>(
    db: &Db,
    name: &str,
    default: impl FnOnce() -> T,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Stored<T>, Problem> {
    if let Some(stored) = select(db, name)? {
        return Ok(stored);
    }
    let document = serde_json::to_string(&default()).map_err(Problem::internal)?;
    db.exec(
        "INSERT INTO program_settings (name, document, version, updated_at, updated_by, change_reason)
         VALUES (?, ?, 1, ?, 'system', 'seeded with the DOMAIN.md defaults')
         ON CONFLICT (name) DO NOTHING",
        &[Value::Text(name.into()), Value::Text(document), timestamp(now)],
    )?;
    select(db, name)?
        .ok_or_else(|| Problem::internal(format!("{name} settings missing after seeding")))
}

/// A programme document: where it is stored, the field that holds it in
/// responses, its defaults, its checks, and what it may not drop.
pub struct Document<T: 'static> {
    pub name: &'static str,
    /// The response field holding the document (`rules`, `ladder`).
    pub key: &'static str,
    pub default: fn() -> T,
    pub validate: fn(&T) -> Result<(), Errors>,
    /// What stored data forbids dropping, if anything.
    pub in_use: Option<InUse>,
}

impl<T: DeserializeOwned + Serialize> Document<T> {
    /// The document in force, seeding the defaults the first time.
    pub fn load(&self, db: &Db, now: chrono::DateTime<chrono::Utc>) -> Result<Stored<T>, Problem> {
        load(db, self.name, self.default, now)
    }

    /// `GET`: the document with its version (also the `ETag`).
    pub fn get(&self, ctx: &Ctx<'_>) -> Result<Response, Problem> {
        Ok(self.respond(&self.load(&Db::open()?, ctx.now)?))
    }

    /// `PUT`: validated, then replaced under `If-Match` and the in-use guard.
    pub fn put(&self, ctx: &Ctx<'_>) -> Result<Response, Problem> {
        let document: T = read_json(ctx.req)?;
        (self.validate)(&document).map_err(Problem::validation)?;
        let expected = ctx.if_match()?;
        let db = Db::open()?;
        self.load(&db, ctx.now)?;
        replace(
            &db,
            ctx,
            self.name,
            &document,
            expected,
            self.in_use.as_ref(),
        )?;
        Ok(self.respond(&self.load(&db, ctx.now)?))
    }

    fn respond(&self, stored: &Stored<T>) -> Response {
        let body = serde_json::json!({
            "version": stored.version,
            "updated_at": stored.updated_at,
            "updated_by": stored.updated_by,
            self.key: stored.document,
        });
        let mut response = crate::json(200, &body);
        response.set_header("etag", format!("\"{}\"", stored.version));
        response
    }
}

/// What a new document may not drop while stored data still uses it.
pub struct InUse {
    /// A query listing, as column `value`, the values in use that the new
    /// document (`?1`, JSON) lacks.
    pub sql: &'static str,
    /// The document field the problem names.
    pub field: &'static str,
    pub slug: &'static str,
    pub title: &'static str,
    pub detail: &'static str,
}

/// Replaces document `name` (already validated) if version `expected` (when
/// given) is in force and nothing in use is dropped; returns the new version.
fn replace<T: Serialize>(
    db: &Db,
    ctx: &Ctx<'_>,
    name: &str,
    document: &T,
    expected: Option<i64>,
    in_use: Option<&InUse>,
) -> Result<i64, Problem> {
    let document = serde_json::to_string(document).map_err(Problem::internal)?;
    let updated = db.one(
        &format!(
            "UPDATE program_settings
             SET document = ?1, version = version + 1, updated_at = ?2, updated_by = ?3, change_reason = ?4
             WHERE name = ?5 AND (?6 IS NULL OR version = ?6){}
             RETURNING version",
            in_use.map_or(String::new(), |u| format!(" AND NOT EXISTS ({})", u.sql))
        ),
        &[
            Value::Text(document.clone()),
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
            ctx.change_reason(),
            Value::Text(name.into()),
            expected.map_or(Value::Null, Value::Integer),
        ],
        |row| row.int("version"),
    )?;
    if let Some(version) = updated {
        return Ok(version);
    }
    let current = db.one(
        "SELECT version FROM program_settings WHERE name = ?",
        &[Value::Text(name.into())],
        |row| row.int("version"),
    )?;
    if let Some(v) = expected.filter(|v| Some(*v) != current) {
        return Err(Problem::new(
            412,
            "version-mismatch",
            "The document changed since you read it",
            format!(
                "If-Match names version {v}, but version {} is in force; read it again",
                current.unwrap_or(0)
            ),
        ));
    }
    let concurrent = Problem::conflict(
        "concurrent-change",
        "The document changed meanwhile",
        "read it again and retry",
    );
    let Some(in_use) = in_use else {
        return Err(concurrent);
    };
    let values = db.all(in_use.sql, &[Value::Text(document)], |row| {
        row.text("value")
    })?;
    if values.is_empty() {
        return Err(concurrent);
    }
    Err(Problem {
        errors: vec![FieldError {
            field: in_use.field.into(),
            message: format!("still in use: {}", values.join(", ")),
        }],
        ..Problem::conflict(in_use.slug, in_use.title, in_use.detail)
    })
}

/// The triggers writes to `program_settings` fire.
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "program_settings_audit_insert",
        table: "program_settings",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits the first stored version of a programme document",
    },
    Effect {
        trigger: "program_settings_audit_update",
        table: "program_settings",
        on: "UPDATE",
        writes: &["audit_events"],
        does: "audits each new version of a programme document, with its reason",
    },
];
