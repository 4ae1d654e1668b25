//! Splitting a ticket that mixes topics into one-topic tickets (docs/domain.md
//! §4; the rule is `vip_domain::tickets::split`). The new tickets keep the
//! parent's customer, plan, calendar and intake time (the customer has been
//! waiting since then); the parent is closed with the numbers of its parts.
//! Each part is keyed by parent and position, so a retry after a failure
//! half-way creates nothing twice and finishes the split.

use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::tickets::{split as split_topics, Intake, TicketState, Topic};
use vip_kit::body::read_json;
use vip_kit::db::{int, opt_text, parse_enum, parse_timestamp, text, timestamp, Db, Value};
use vip_kit::{Ctx, Problem};
use vip_store::tickets::{calendar, PROGRAM};

use crate::intake::{insert, load, refused, view, NewTicket, COLUMNS};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitBody {
    topics: Vec<Topic>,
    #[serde(default)]
    note: Option<String>,
}

fn opt_enum<T: serde::de::DeserializeOwned>(
    row: &spin_sdk::sqlite::RowResult,
    i: usize,
) -> Result<Option<T>, Problem> {
    opt_text(row, i).map(parse_enum).transpose()
}

/// `POST /api/v1/tickets/{ticket}/split`: `{"topics": [{"subject", "description"?,
/// "kind"?, "priority"?, "urgency"?, "complexity"?}, …], "note"?}`.
pub fn split(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("ticket", "ticket")?;
    let body: SplitBody = read_json(ctx.req)?;
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let row = load(&db, id)?;
    let parent = Intake {
        customer_id: text(&row, 1)?,
        kind: parse_enum(text(&row, 2)?)?,
        channel: parse_enum(text(&row, 3)?)?,
        subject: text(&row, 4)?,
        description: String::new(),
        priority: opt_enum(&row, 5)?,
        urgency: opt_enum(&row, 6)?,
        complexity: opt_enum(&row, 7)?,
        complaint: int(&row, 9)? == 1,
    };
    let state: TicketState = parse_enum(text(&row, 18)?)?;
    let parts = split_topics(&parent, state, &body.topics).map_err(refused)?;
    let calendar_id = text(&row, 12)?;
    let stored = calendar(&db, &calendar_id, ctx.now)?;
    let schedule = stored.calendar.compile();
    let opened_at = parse_timestamp(&text(&row, 19)?)?;
    let month = db
        .first(
            "SELECT month FROM tickets WHERE id = ?",
            &[Value::Integer(id)],
        )?
        .map(|r| text(&r, 0))
        .transpose()?
        .unwrap_or_default();
    let plan = parse_enum(text(&row, 11)?)?;
    let mut created = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let key = format!("split:{id}:{i}");
        let new = NewTicket {
            intake: part,
            plan,
            key_account: int(&row, 10)? == 1,
            calendar_id: calendar_id.clone(),
            schedule: &schedule,
            opened_at,
            opened_by: ctx.actor(),
            month: month.clone(),
            // The customer's request was counted once, as the parent.
            counts_towards_limit: false,
            request_key: Some(key.clone()),
        };
        let row = match insert(&db, &program, &new, ctx.now)? {
            Some(row) => row,
            None => db
                .first(
                    &format!("SELECT {COLUMNS} FROM tickets WHERE request_key = ?"),
                    &[Value::Text(key)],
                )?
                .ok_or_else(|| Problem::internal("a split part vanished"))?,
        };
        created.push(row);
    }
    let numbers = created
        .iter()
        .map(|r| int(r, 0).map(|n| format!("#{n}")))
        .collect::<Result<Vec<_>, _>>()?
        .join(", ");
    let reason = match body.note {
        Some(note) => format!("split into {numbers}: {note}"),
        None => format!("split into {numbers}"),
    };
    let closed = db.first(
        &format!(
            "UPDATE tickets SET state = 'closed', closed_at = ?1, last_reason = ?2, updated_at = ?1, updated_by = ?3
             WHERE id = ?4 AND state = ?5 RETURNING {COLUMNS}"
        ),
        &[
            timestamp(ctx.now),
            Value::Text(reason),
            Value::Text(ctx.actor()),
            Value::Integer(id),
            Value::Text(state.as_str().into()),
        ],
    )?;
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
            "parent": view(&parent, &program)?,
            "tickets": created.iter().map(|r| view(r, &program)).collect::<Result<Vec<_>, _>>()?,
        }),
    ))
}
