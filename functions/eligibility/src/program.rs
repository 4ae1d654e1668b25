//! The programme's eligibility rules: stored in SQL as one versioned document,
//! seeded with the DOMAIN.md defaults on first use, edited by staff.

use serde::Serialize;
use spin_sdk::http::Response;
use vip_domain::eligibility::{default_config, EligibilityConfig};
use vip_kit::body::read_json;
use vip_kit::db::{int, json_column, text, timestamp, Db, Value};
use vip_kit::{Ctx, Problem};

const NAME: &str = "eligibility";

/// The rules in force and their version.
#[derive(Serialize)]
pub struct Program {
    pub version: i64,
    pub updated_at: String,
    pub updated_by: String,
    pub rules: EligibilityConfig,
}

fn select(db: &Db) -> Result<Option<Program>, Problem> {
    let Some(row) = db.first(
        "SELECT document, version, updated_at, updated_by FROM program_settings WHERE name = ?",
        &[Value::Text(NAME.into())],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(Program {
        rules: json_column(&row, 0)?,
        version: int(&row, 1)?,
        updated_at: text(&row, 2)?,
        updated_by: text(&row, 3)?,
    }))
}

/// The rules in force, seeding the defaults the first time.
pub fn load(db: &Db, now: chrono::DateTime<chrono::Utc>) -> Result<Program, Problem> {
    if let Some(p) = select(db)? {
        return Ok(p);
    }
    let document = serde_json::to_string(&default_config()).map_err(Problem::internal)?;
    db.exec(
        "INSERT INTO program_settings (name, document, version, updated_at, updated_by, change_reason)
         VALUES (?, ?, 1, ?, 'system', 'seeded with the DOMAIN.md defaults')
         ON CONFLICT (name) DO NOTHING",
        &[Value::Text(NAME.into()), Value::Text(document), timestamp(now)],
    )?;
    select(db)?.ok_or_else(|| Problem::internal("eligibility rules missing after seeding"))
}

fn respond(program: &Program) -> Response {
    let mut response = vip_kit::json(200, program);
    response.set_header("etag", format!("\"{}\"", program.version));
    response
}

pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    Ok(respond(&load(&Db::open()?, ctx.now)?))
}

/// `If-Match: "7"` (or `7`): apply only if version 7 is still in force.
fn if_match(ctx: &Ctx<'_>) -> Result<Option<i64>, Problem> {
    ctx.header("if-match")
        .map(|v| {
            v.trim()
                .trim_matches('"')
                .parse::<i64>()
                .map_err(|_| Problem::field("If-Match", "must be a rules version, like \"3\""))
        })
        .transpose()
}

pub fn put(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let config: EligibilityConfig = read_json(ctx.req)?;
    config.validate().map_err(Problem::validation)?;
    let expected = if_match(ctx)?;
    let db = Db::open()?;
    let current = load(&db, ctx.now)?;
    let document = serde_json::to_string(&config).map_err(Problem::internal)?;
    // One statement: the version check and the guard that no stored customer
    // uses a plan type the new rules drop are atomic with the write.
    let updated = db.first(
        "UPDATE program_settings
         SET document = ?1, version = version + 1, updated_at = ?2, updated_by = ?3, change_reason = ?4
         WHERE name = ?5 AND (?6 IS NULL OR version = ?6)
           AND NOT EXISTS (
             SELECT 1 FROM customers
             WHERE json_extract(facts, '$.plan_type') NOT IN (SELECT value FROM json_each(?1, '$.plan_types')))
         RETURNING version",
        &[
            Value::Text(document.clone()),
            timestamp(ctx.now),
            Value::Text(ctx.actor()),
            ctx.change_reason(),
            Value::Text(NAME.into()),
            expected.map_or(Value::Null, Value::Integer),
        ],
    )?;
    if updated.is_some() {
        return get(ctx);
    }
    if let Some(v) = expected.filter(|v| *v != current.version) {
        return Err(Problem::new(
            412,
            "version-mismatch",
            "The rules changed since you read them",
            format!(
                "If-Match names version {v}, but version {} is in force; read the rules again",
                current.version
            ),
        ));
    }
    let in_use = db.exec(
        "SELECT DISTINCT json_extract(facts, '$.plan_type') FROM customers
         WHERE json_extract(facts, '$.plan_type') NOT IN (SELECT value FROM json_each(?, '$.plan_types'))
         ORDER BY 1",
        &[Value::Text(document)],
    )?;
    let plans: Vec<String> = in_use
        .rows
        .iter()
        .filter_map(|r| r.get::<&str>(0).map(str::to_string))
        .collect();
    Err(Problem {
        errors: vec![vip_domain::validation::FieldError {
            field: "plan_types".into(),
            message: format!("still used by stored customers: {}", plans.join(", ")),
        }],
        ..Problem::conflict(
            "plan-type-in-use",
            "A plan type the new rules drop is still in use",
            "move those customers to another plan type first",
        )
    })
}
