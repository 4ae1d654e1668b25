//! Balances handed to legal (docs/domain.md §6 "Legal hand-off"; seed 001):
//! the run opens a record for each move to pickup, and to disconnected
//! owing money, with the balance collections report; staff close it with
//! the outcome.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::suspension::{hands_to_legal, LegalOutcome, SuspensionProgram};
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::legal;

/// Moves read per run.
const BATCH: i64 = 500;

/// Opens the hand-offs of moves that have none; how many were opened.
pub fn open_due(
    db: &Db,
    program: &SuspensionProgram,
    at: DateTime<Utc>,
    actor: &str,
) -> Result<u64, Problem> {
    let mut opened = 0;
    for due in legal::due(db, BATCH)? {
        let customer = CustomerId::parse(&due.customer_id).map_err(Problem::internal)?;
        let balance = vip_store::collections::unpaid_balance(db, &customer)?;
        let owes = balance.iter().any(|m| m.minor() > 0);
        if hands_to_legal(due.cause, owes)
            && legal::open(db, &due, &balance, &program.legal, at, actor)?
        {
            opened += 1;
        }
    }
    Ok(opened)
}

/// `GET /api/v1/legal-handoffs?open=true&customer_id=`: oldest first.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let open_only = ctx.bool_query("open")?.unwrap_or(true);
    let db = Db::open()?;
    let list = legal::list(&db, open_only, ctx.query("customer_id"))?;
    Ok(vip_kit::json(200, &json!({ "handoffs": list })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Closure {
    outcome: LegalOutcome,
    note: String,
}

/// `POST /api/v1/legal-handoffs/{handoff}/closure` `{outcome, note}`: once
/// (a closed hand-off is 409 `handoff-closed`).
pub fn close(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id: i64 = ctx
        .param("handoff")
        .parse()
        .map_err(|_| Problem::field("handoff", "a hand-off id (an integer)"))?;
    let body: Closure = read_json(ctx.req)?;
    let note = body.note.trim();
    if note.is_empty() || note.chars().count() > 1000 {
        return Err(Problem::field("note", "1 to 1000 characters"));
    }
    let db = Db::open()?;
    let found = |db: &Db| {
        legal::find(db, id)?.ok_or_else(|| Problem::not_found(format!("no legal hand-off {id}")))
    };
    let handoff = found(&db)?;
    if handoff.closed_at.is_some()
        || !legal::close(&db, id, body.outcome.as_str(), note, ctx.now, &ctx.actor())?
    {
        let closed = found(&db)?;
        return Err(Problem::conflict(
            "handoff-closed",
            "The hand-off is closed",
            format!(
                "legal hand-off {id} was closed at {} ({})",
                closed.closed_at.unwrap_or_default(),
                closed.outcome.unwrap_or_default()
            ),
        ));
    }
    Ok(vip_kit::json(200, &found(&db)?))
}
