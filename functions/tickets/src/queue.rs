//! The work queue (docs/domain.md §4; 002 §8.6, §9): tickets ordered by
//! priority, key accounts first within a priority, then by time to breach
//! of the clock that runs next; filtered by team, state and breach.

use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::sla::Priority;
use vip_domain::tickets::TicketState;
use vip_kit::db::{opt_timestamp, parse_enum, text, timestamp, timestamp_text, Db, Value};
use vip_kit::{Ctx, Problem};
use vip_store::tickets::PROGRAM;

use crate::intake::{as_text, view, COLUMNS};

/// `GET /api/v1/tickets/queue?team=&state=&breached=&limit=`: by default
/// every ticket still being worked on (not resolved or closed).
pub fn queue(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let db = Db::open()?;
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let kinds = match ctx.query("team") {
        None => None,
        Some(team) => {
            let kinds = program.teams.kinds_of(team);
            if kinds.is_empty() {
                let t = &program.teams;
                return Err(Problem::field(
                    "team",
                    format!(
                        "no ticket goes to team `{team}`; the programme routes to {}, {} and {}",
                        t.question, t.incident, t.change_request
                    ),
                ));
            }
            let kinds = kinds.iter().map(as_text).collect::<Result<Vec<_>, _>>()?;
            Some(serde_json::to_string(&kinds).map_err(Problem::internal)?)
        }
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
    let rank = Priority::ALL
        .iter()
        .enumerate()
        .map(|(i, p)| Ok(format!("WHEN '{}' THEN {i}", as_text(p)?)))
        .collect::<Result<Vec<_>, Problem>>()?
        .join(" ");
    let rows = db.exec(
        &format!(
            "SELECT * FROM (
                SELECT {COLUMNS},
                       CASE WHEN first_responded_at IS NULL THEN 'first_response' ELSE 'resolution' END AS next_clock,
                       CASE WHEN first_responded_at IS NULL THEN first_response_due
                            WHEN resolved_at IS NULL THEN resolution_due END AS next_due
                FROM tickets
                WHERE (?1 IS NULL AND state NOT IN ('resolved', 'closed') OR state = ?1)
                  AND (?2 IS NULL OR kind IN (SELECT value FROM json_each(?2))))
             WHERE ?3 IS NULL OR ?3 = (next_due IS NOT NULL AND next_due <= ?4)
             ORDER BY CASE sla_priority {rank} END, key_account DESC, next_due IS NULL, next_due, id
             LIMIT ?5"
        ),
        &[
            state.map_or(Value::Null, |s| Value::Text(s.as_str().into())),
            kinds.map_or(Value::Null, Value::Text),
            breached.map_or(Value::Null, |b| Value::Integer(i64::from(b))),
            timestamp(ctx.now),
            Value::Integer(limit),
        ],
    )?;
    let tickets = rows
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let next_due = opt_timestamp(row, 25)?;
            let mut item = view(row, &program)?;
            let queue = json!({
                "position": i + 1,
                "next_clock": text(row, 24)?,
                "due": next_due.map(timestamp_text),
                "minutes_to_breach": next_due.map(|d| (d - ctx.now).num_minutes()),
                "breached": next_due.is_some_and(|d| d <= ctx.now),
            });
            if let Some(fields) = item.as_object_mut() {
                fields.insert("queue".into(), queue);
            }
            Ok(item)
        })
        .collect::<Result<Vec<_>, Problem>>()?;
    Ok(vip_kit::json(
        200,
        &json!({
            "as_of": timestamp_text(ctx.now),
            "order": "priority (very_high first), key accounts first within a priority, then time to breach (paused clocks last)",
            "tickets": tickets,
        }),
    ))
}
