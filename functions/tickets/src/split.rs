//! Splitting a ticket that mixes topics into one-topic tickets (docs/domain.md
//! §4; the rule is `vip_domain::tickets::split`). The new tickets keep the
//! parent's customer, plan, calendar and intake time (the customer has been
//! waiting since then); the parent is closed with the numbers of its parts.
//! Each part is keyed by parent and position, so a retry after a failure
//! half-way creates nothing twice and finishes the split.

use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::tickets::{split as split_topics, Topic};
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::calendars;
use vip_store::tickets::{self, PROGRAM};

use crate::intake::{caller_of, filed, insert, load, refused, view, NewTicket};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitBody {
    topics: Vec<Topic>,
    #[serde(default)]
    note: Option<String>,
}

/// `POST /api/v1/tickets/{ticket}/split`: `{"topics": [{"subject", "description"?,
/// "kind"?, "priority"?, "urgency"?, "complexity"?}, …], "note"?}`.
pub fn split(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let body: SplitBody = read_json(ctx.req)?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let ticket = load(&db, id)?;
    let parent = filed(&ticket);
    let state = ticket.state;
    let parts = split_topics(&parent, state, &body.topics).map_err(refused)?;
    let stored = calendars::calendar(&db, &ticket.calendar_id, ctx.now)?;
    let schedule = stored.calendar.compile();
    let month = tickets::month_of(&db, id)?.unwrap_or_default();
    let (caller, _) = caller_of(&db, &ticket.customer_id, ctx.now)?;
    let mut created = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let key = format!("split:{id}:{i}");
        let new = NewTicket {
            intake: part,
            plan: ticket.support_plan,
            key_account: ticket.key_account,
            calendar_id: ticket.calendar_id.clone(),
            schedule: &schedule,
            opened_at: ticket.opened_at,
            opened_by: ctx.actor(),
            caller,
            month: month.clone(),
            // The customer's request was counted once, as the parent.
            counts_towards_limit: false,
            request_key: Some(key.clone()),
        };
        let part = match insert(&db, &program, &new, ctx.now)? {
            Some(part) => part,
            None => tickets::by_request_key(&db, &key)?
                .ok_or_else(|| Problem::internal("a split part vanished"))?,
        };
        created.push(part);
    }
    let numbers = created
        .iter()
        .map(|t| format!("#{}", t.id))
        .collect::<Vec<_>>()
        .join(", ");
    let reason = match body.note {
        Some(note) => format!("split into {numbers}: {note}"),
        None => format!("split into {numbers}"),
    };
    let closed = tickets::close_split(&db, id, state, &reason, &ctx.actor(), ctx.now)?;
    let parent = closed.ok_or_else(|| {
        Problem::conflict(
            "concurrent-change",
            "The ticket changed meanwhile",
            "read it again and retry the split; the parts made so far are kept and reused",
        )
    })?;
    Ok(vip_kit::json(
        201,
        &json!({
            "parent": view(&parent, &program),
            "tickets": created.iter().map(|t| view(t, &program)).collect::<Vec<_>>(),
        }),
    ))
}
