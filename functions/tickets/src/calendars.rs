//! Business calendars: a zone, weekly working intervals, holidays and
//! holidays worked anyway, one versioned document per calendar id (stored
//! and loaded by `vip_store::tickets`, which the `sla-clock` sweep shares).

use chrono::Duration;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::calendar::{is_calendar_id, Calendar, Clock};
use vip_domain::sla::Span;
use vip_kit::body::read_json;
use vip_kit::db::{timestamp, timestamp_text, Db, Value};
use vip_kit::{Ctx, Problem};
use vip_store::tickets::{calendar, StoredCalendar, DEFAULT_CALENDAR, PROGRAM};

/// A calendar id: 1 to 64 of `a-z`, `0-9` and `-`.
fn calendar_id(ctx: &Ctx<'_>) -> Result<String, Problem> {
    let id = ctx.param("calendar");
    if is_calendar_id(id) {
        Ok(id.to_string())
    } else {
        Err(Problem::field(
            "calendar",
            "must be 1 to 64 lowercase letters, digits and dashes, like madrid-office",
        ))
    }
}

/// `GET /api/v1/calendars`.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    calendar(&db, DEFAULT_CALENDAR, ctx.now)?;
    let rows = db.exec(
        &format!(
            "SELECT {} FROM calendars ORDER BY id",
            StoredCalendar::COLUMNS
        ),
        &[],
    )?;
    let calendars = rows
        .rows
        .iter()
        .map(|r| StoredCalendar::from_row(r).map(|s| s.view()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(vip_kit::json(200, &json!({ "calendars": calendars })))
}

/// `GET /api/v1/calendars/{calendar}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = calendar_id(ctx)?;
    Ok(calendar(&Db::open()?, &id, ctx.now)?.respond(200))
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
             ON CONFLICT (id) DO NOTHING RETURNING {}",
            StoredCalendar::COLUMNS
        ),
        &params,
    )?;
    if let Some(row) = created {
        return Ok(StoredCalendar::from_row(&row)?.respond(201));
    }
    let replaced = db.first(
        &format!(
            "UPDATE calendars SET document = ?2, version = version + 1, updated_at = ?3, updated_by = ?4, change_reason = ?5
             WHERE id = ?1 AND (?6 IS NULL OR version = ?6) RETURNING {}",
            StoredCalendar::COLUMNS
        ),
        &params,
    )?;
    match replaced {
        Some(row) => Ok(StoredCalendar::from_row(&row)?.respond(200)),
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

/// `DELETE /api/v1/calendars/{calendar}`: 204, or 409 `calendar-in-use`
/// while the tickets or suspension programme, a customer or a ticket not
/// closed counts on it.
/// Stamped with who deletes it first, so the delete trigger audits them.
pub fn delete(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = calendar_id(ctx)?;
    let db = Db::open()?;
    calendar(&db, &id, ctx.now)?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let c = &program.calendars;
    let in_use = |why: String| {
        Problem::conflict(
            "calendar-in-use",
            "The calendar is in use",
            format!("calendar `{id}` is {why}; point them to another calendar first"),
        )
    };
    if [&c.platinum, &c.gold, &c.silver, &c.bronze].contains(&&id) {
        return Err(in_use(
            "a support plan's calendar in the tickets programme".into(),
        ));
    }
    const UNUSED: &str = "id = ?1
        AND NOT EXISTS (SELECT 1 FROM tickets WHERE calendar_id = ?1 AND state <> 'closed')
        AND NOT EXISTS (SELECT 1 FROM customers WHERE json_extract(facts, '$.support_calendar') = ?1)
        AND NOT EXISTS (SELECT 1 FROM program_settings
                        WHERE name = 'suspension' AND json_extract(document, '$.calendar') = ?1)";
    let params = [
        Value::Text(id.clone()),
        timestamp(ctx.now),
        Value::Text(ctx.actor()),
        ctx.change_reason(),
    ];
    let stamped = db.first(
        &format!(
            "UPDATE calendars SET updated_at = ?2, updated_by = ?3, change_reason = ?4 WHERE {UNUSED} RETURNING id"
        ),
        &params,
    )?;
    let deleted = match stamped {
        Some(_) => db.first(
            &format!("DELETE FROM calendars WHERE {UNUSED} AND updated_at = ?2 RETURNING id"),
            params.get(..2).unwrap_or_default(),
        )?,
        None => None,
    };
    match deleted {
        Some(_) => Ok(Response::builder().status(204).build()),
        None => Err(in_use(
            "counted on by a ticket not closed, a customer, or the suspension programme's retention windows".into(),
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
    let stored = calendar(&Db::open()?, &id, ctx.now)?;
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
            "calendar": &stored.id,
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
