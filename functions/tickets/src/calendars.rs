//! Business calendars: a zone, weekly working intervals, holidays and
//! holidays worked anyway, one versioned document per calendar id. The
//! calendar `default` (Monday to Friday 08:00–17:00, Europe/Madrid, 002 §3)
//! exists from the first read on.

use chrono::Duration;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::calendar::{Calendar, Clock};
use vip_domain::sla::Span;
use vip_kit::body::read_json;
use vip_kit::db::{int, json_column, text, timestamp, timestamp_text, Db, Value};
use vip_kit::{Ctx, Problem};

const DEFAULT: &str = "default";

pub struct Stored {
    id: String,
    pub calendar: Calendar,
    pub version: i64,
    updated_at: String,
    updated_by: String,
}

impl Stored {
    fn view(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "version": self.version,
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
            "calendar": self.calendar,
        })
    }

    fn respond(&self, status: u16) -> Response {
        let mut r = vip_kit::json(status, &self.view());
        r.set_header("etag", format!("\"{}\"", self.version));
        r
    }
}

fn from_row(row: &spin_sdk::sqlite::RowResult) -> Result<Stored, Problem> {
    Ok(Stored {
        id: text(row, 0)?,
        calendar: json_column(row, 1)?,
        version: int(row, 2)?,
        updated_at: text(row, 3)?,
        updated_by: text(row, 4)?,
    })
}

const COLUMNS: &str = "id, document, version, updated_at, updated_by";

/// A calendar id: 1 to 64 of `a-z`, `0-9` and `-`.
fn calendar_id(ctx: &Ctx<'_>) -> Result<String, Problem> {
    let id = ctx.param("calendar");
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(id.to_string())
    } else {
        Err(Problem::field(
            "calendar",
            "must be 1 to 64 lowercase letters, digits and dashes, like madrid-office",
        ))
    }
}

/// A stored calendar; `default` is seeded on first use.
pub fn load(db: &Db, ctx: &Ctx<'_>, id: &str) -> Result<Stored, Problem> {
    let select = |db: &Db| {
        db.first(
            &format!("SELECT {COLUMNS} FROM calendars WHERE id = ?"),
            &[Value::Text(id.into())],
        )?
        .map(|row| from_row(&row))
        .transpose()
    };
    if let Some(found) = select(db)? {
        return Ok(found);
    }
    if id != DEFAULT {
        return Err(Problem::not_found(format!("there is no calendar `{id}`")));
    }
    db.exec(
        "INSERT INTO calendars (id, document, updated_at, updated_by, change_reason)
         VALUES (?, ?, ?, 'system', 'seeded with the DOMAIN.md defaults') ON CONFLICT (id) DO NOTHING",
        &[
            Value::Text(DEFAULT.into()),
            Value::Text(serde_json::to_string(&Calendar::default_business()).map_err(Problem::internal)?),
            timestamp(ctx.now),
        ],
    )?;
    select(db)?.ok_or_else(|| Problem::internal("the default calendar vanished"))
}

/// `GET /api/v1/calendars`.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    load(&db, ctx, DEFAULT)?;
    let rows = db.exec(&format!("SELECT {COLUMNS} FROM calendars ORDER BY id"), &[])?;
    let calendars = rows
        .rows
        .iter()
        .map(|r| from_row(r).map(|s| s.view()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(vip_kit::json(200, &json!({ "calendars": calendars })))
}

/// `GET /api/v1/calendars/{calendar}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = calendar_id(ctx)?;
    Ok(load(&Db::open()?, ctx, &id)?.respond(200))
}

/// `PUT /api/v1/calendars/{calendar}`: creates (201) or replaces (200, under
/// `If-Match` when given). Validated: known zone, intervals that start before
/// they end and do not overlap, worked holidays that are holidays.
pub fn put(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = calendar_id(ctx)?;
    let calendar: Calendar = read_json(ctx.req)?;
    calendar.validate().map_err(Problem::validation)?;
    let expected = ctx.if_match()?;
    let document = serde_json::to_string(&calendar).map_err(Problem::internal)?;
    let db = Db::open()?;
    let params = [
        Value::Text(id.clone()),
        Value::Text(document),
        timestamp(ctx.now),
        Value::Text(ctx.actor()),
        ctx.change_reason(),
        expected.map_or(Value::Null, Value::Integer),
    ];
    let created = db.first(
        &format!(
            "INSERT INTO calendars (id, document, updated_at, updated_by, change_reason)
             SELECT ?1, ?2, ?3, ?4, ?5 WHERE ?6 IS NULL
             ON CONFLICT (id) DO NOTHING RETURNING {COLUMNS}"
        ),
        &params,
    )?;
    if let Some(row) = created {
        return Ok(from_row(&row)?.respond(201));
    }
    let replaced = db.first(
        &format!(
            "UPDATE calendars SET document = ?2, version = version + 1, updated_at = ?3, updated_by = ?4, change_reason = ?5
             WHERE id = ?1 AND (?6 IS NULL OR version = ?6) RETURNING {COLUMNS}"
        ),
        &params,
    )?;
    match replaced {
        Some(row) => Ok(from_row(&row)?.respond(200)),
        None => Err(Problem::new(
            412,
            "version-mismatch",
            "The calendar changed since you read it",
            format!(
                "If-Match names version {}; read the calendar again",
                expected.unwrap_or(0)
            ),
        )),
    }
}

/// `GET /api/v1/calendars/{calendar}/deadline?start=…&duration=4h[&natural=true]`:
/// when a target of that duration started then falls due on this calendar,
/// and the business time between the two (the arithmetic the SLA clocks use).
pub fn deadline(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = calendar_id(ctx)?;
    let start = ctx
        .time_query("start")?
        .ok_or_else(|| Problem::field("start", "is required, like 2026-11-23T08:00:00Z"))?;
    let span = Span::parse(
        ctx.query("duration")
            .ok_or_else(|| Problem::field("duration", "is required, like 4h, 30m or 5d"))?,
    )
    .map_err(|m| Problem::field("duration", m))?;
    let natural = ctx.bool_query("natural")?.unwrap_or(false);
    let day_hours = ctx
        .int_query("business_day_hours", 1, 24)?
        .map_or(9, |h| u32::try_from(h).unwrap_or(9));
    let stored = load(&Db::open()?, ctx, &id)?;
    let schedule = stored.calendar.compile();
    let clock = Clock::on(natural, &schedule);
    let duration: Duration = span.duration(natural, day_hours);
    let due = clock.add(start, duration).ok_or_else(|| {
        Problem::unprocessable(
            "no-working-time",
            "The calendar has no working time",
            "no working interval falls within ten years of the start",
        )
    })?;
    Ok(vip_kit::json(
        200,
        &json!({
            "calendar": stored.id,
            "zone": stored.calendar.zone,
            "clock": if natural { "natural (24×7)" } else { "business hours" },
            "start": timestamp_text(start),
            "duration": span,
            "duration_minutes": duration.num_minutes(),
            "due": timestamp_text(due),
            "due_local": due.with_timezone(&stored.calendar.zone.tz()).to_rfc3339(),
            "business_minutes_between": schedule.business_between(start, due).num_minutes(),
        }),
    ))
}
