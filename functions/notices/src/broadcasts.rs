//! Broadcasts (docs/domain.md "Broadcasts"; seed 000 §8): a message to every
//! active member of an audience, or an update to the members of an earlier
//! broadcast. Each member's message is queued as a notice dated the moment
//! it may go, paced per channel at the programme's rate
//! (`vip_domain::broadcasts::Pacer`), so the other notices keep flowing;
//! progress is read back from the outbox.

use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::broadcasts::BroadcastRequest;
use vip_domain::notices::{default_preferences, routes};
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::broadcasts::{self, Broadcast, PROGRAM};
use vip_store::notices::TEMPLATES;

/// `GET /api/v1/program/broadcasts`.
pub fn program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.get(ctx)
}

/// `PUT /api/v1/program/broadcasts`.
pub fn replace_program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.put(ctx)
}

fn view(db: &Db, b: &Broadcast) -> Result<serde_json::Value, Problem> {
    Ok(json!({
        "id": b.id,
        "audience": b.audience,
        "purpose": b.purpose,
        "follows": b.follows,
        "messages": b.messages,
        "created_at": timestamp_text(b.created_at),
        "created_by": b.created_by,
        "recipients": b.recipients,
        "unreachable": b.unreachable,
        "goes_out_by": b.last_at.map(timestamp_text),
        "progress": broadcasts::progress(db, b.id)?,
    }))
}

fn found(db: &Db, id: i64) -> Result<Broadcast, Problem> {
    broadcasts::find(db, id)?.ok_or_else(|| Problem::not_found(format!("no broadcast {id}")))
}

/// `POST /api/v1/broadcasts`: `{audience | follows, purpose?, messages}`.
/// Every recipient's message is queued before the answer (201), dated the
/// moment its channel's pace lets it go.
pub fn create(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let request: BroadcastRequest = read_json(ctx.req)?;
    let db = Db::open()?;
    let templates = TEMPLATES.load(&db, ctx.now)?.document;
    request
        .validate(templates.default_language)
        .map_err(Problem::validation)?;
    let audience = match request.follows {
        Some(f) => found(&db, f)?.audience,
        None => request.audience.clone().unwrap_or_default(),
    };
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let id = broadcasts::create(
        &db,
        &audience,
        request.purpose,
        &request.messages,
        request.follows,
        ctx.now,
        &ctx.actor(),
    )?;
    let mut pacer = program.pacer(ctx.now);
    let (mut recipients, mut unreachable) = (0, 0);
    let defaults = default_preferences(&templates);
    broadcasts::recipients(&db, &audience, request.purpose, request.follows, |batch| {
        let messages: Vec<_> = batch
            .into_iter()
            .map(|r| {
                let preferences = r.preferences.as_ref().unwrap_or(&defaults);
                let channel = routes(preferences, &r.reach, None).first().map(|c| c.0);
                recipients += 1;
                unreachable += i64::from(channel.is_none());
                (r.customer, pacer.slot(channel))
            })
            .collect();
        broadcasts::queue(&db, id, &messages)
    })?;
    broadcasts::queued(&db, id, recipients, unreachable, pacer.last())?;
    Ok(vip_kit::json(201, &view(&db, &found(&db, id)?)?))
}

/// `GET /api/v1/broadcasts/{broadcast}`: the broadcast and where its
/// messages are (delivered, retrying, undeliverable, waiting, by channel).
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id: i64 = ctx
        .param("broadcast")
        .parse()
        .map_err(|_| Problem::field("broadcast", "a broadcast id (an integer)"))?;
    let db = Db::open()?;
    Ok(vip_kit::json(200, &view(&db, &found(&db, id)?)?))
}
