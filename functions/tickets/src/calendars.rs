//! Business calendars: a zone, weekly working intervals, holidays and
//! holidays worked anyway, one versioned document per calendar id (stored
//! and loaded by `vip_store::calendars`, which the SLA sweep shares).

use chrono::Duration;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::calendar::{is_calendar_id, Calendar, Clock};
use vip_domain::sla::Span;
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::calendars::{self, Change, Saved, StoredCalendar};
use vip_store::tickets::PROGRAM;

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

/// A calendar as the API shows it.
fn view(stored: &StoredCalendar) -> serde_json::Value {
    json!({
        "id": stored.id,
        "version": stored.version,
        "updated_at": stored.updated_at,
        "updated_by": stored.updated_by,
        "calendar": stored.calendar,
    })
}

/// The calendar with its version as the ETag.
fn respond(stored: &StoredCalendar, status: u16) -> Response {
    let mut r = vip_kit::json(status, &view(stored));
    r.set_header("etag", format!("\"{}\"", stored.version));
    r
}

/// Who changes a calendar with this request, and why.
fn change<'a>(ctx: &'a Ctx<'_>, actor: &'a str) -> Change<'a> {
    Change {
        at: ctx.now,
        by: actor,
        reason: ctx.header("x-change-reason"),
    }
}

/// `GET /api/v1/calendars`.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let calendars: Vec<_> = calendars::all(&Db::open()?, ctx.now)?
        .iter()
        .map(view)
        .collect();
    Ok(vip_kit::json(200, &json!({ "calendars": calendars })))
}

/// `GET /api/v1/calendars/{calendar}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = calendar_id(ctx)?;
    Ok(respond(
        &calendars::calendar(&Db::open()?, &id, ctx.now)?,
        200,
    ))
}

/// `PUT /api/v1/calendars/{calendar}`: creates (201) or replaces (200, under
/// `If-Match` when given). Validated: known zone, intervals that start before
/// they end and do not overlap, worked holidays that are holidays.
pub fn put(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = calendar_id(ctx)?;
    let calendar: Calendar = read_json(ctx.req)?;
    calendar.validate().map_err(Problem::validation)?;
    let expected = ctx.if_match()?;
    let db = Db::open()?;
    let actor = ctx.actor();
    match calendars::save(&db, &id, &calendar, &change(ctx, &actor), expected)? {
        Some(Saved::Created(stored)) => Ok(respond(&stored, 201)),
        Some(Saved::Replaced(stored)) => Ok(respond(&stored, 200)),
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
pub fn delete(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = calendar_id(ctx)?;
    let db = Db::open()?;
    calendars::calendar(&db, &id, ctx.now)?;
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
    if let Some((channel, _)) = program
        .channels
        .all()
        .into_iter()
        .find(|(_, rule)| rule.hours.as_deref() == Some(id.as_str()))
    {
        return Err(in_use(format!(
            "the {channel} channel's hours in the tickets programme"
        )));
    }
    let actor = ctx.actor();
    if calendars::delete_unused(&db, &id, &change(ctx, &actor))? {
        Ok(Response::builder().status(204).build())
    } else {
        Err(in_use(
            "counted on by a ticket not closed, a customer, or the suspension programme's retention windows".into(),
        ))
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
    let stored = calendars::calendar(&Db::open()?, &id, ctx.now)?;
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
