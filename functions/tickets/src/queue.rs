//! The work queue (docs/domain.md §4; 002 §8.6, §9): tickets ordered by
//! priority, key accounts first within a priority, then by time to breach
//! of the clock that runs next; filtered by team, assignee ("my queue"),
//! state and breach.

use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::conversation::is_agent_id;
use vip_domain::tickets::TicketState;
use vip_kit::db::{parse_enum, timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::tickets::{self, QueueFilter, PROGRAM};

use crate::intake::view;

/// `GET /api/v1/tickets/queue?team=&assignee=&state=&breached=&limit=`: by default
/// every ticket still being worked on (not resolved or closed).
pub fn queue(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let team = ctx.query("team");
    if let Some(team) = team.filter(|t| !program.teams.all().contains(t)) {
        return Err(Problem::field(
            "team",
            format!(
                "no ticket goes to team `{team}`; the programme's teams are {}",
                program.teams.all().join(", ")
            ),
        ));
    }
    let kinds = team.map(|t| program.teams.kinds_of(t));
    // "My queue": `assignee=me` is the caller.
    let assignee = match ctx.text_query("assignee")?.as_deref() {
        Some("me") => Some(ctx.actor()),
        Some(a) if is_agent_id(a) => Some(a.to_string()),
        Some(_) => return Err(Problem::field("assignee", "must be `me` or an agent id")),
        None => None,
    };
    let state = ctx
        .query("state")
        .map(|s| {
            parse_enum::<TicketState>(s.to_string()).map_err(|_| {
                Problem::field(
                    "state",
                    "must be new, open, pending_customer, escalated, resolved or closed",
                )
            })
        })
        .transpose()?;
    let breached = ctx.bool_query("breached")?;
    let limit = ctx.int_query("limit", 1, 500)?.unwrap_or(100);
    let queued = tickets::queue(
        &db,
        &QueueFilter {
            state,
            team: team.zip(kinds.as_deref()),
            assignee: assignee.as_deref(),
            breached,
            now: ctx.now,
            limit,
        },
    )?;
    let tickets: Vec<_> = queued
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mut item = view(&q.ticket, &program);
            let queue = json!({
                "position": i + 1,
                "next_clock": q.next_clock,
                "due": q.next_due.map(timestamp_text),
                "minutes_to_breach": q.next_due.map(|d| (d - ctx.now).num_minutes()),
                "breached": q.next_due.is_some_and(|d| d <= ctx.now),
            });
            if let Some(fields) = item.as_object_mut() {
                fields.insert("queue".into(), queue);
            }
            item
        })
        .collect();
    Ok(vip_kit::json(
        200,
        &json!({
            "as_of": timestamp_text(ctx.now),
            "order": "priority (very_high first), key accounts first within a priority, then time to breach (paused clocks last)",
            "tickets": tickets,
        }),
    ))
}
