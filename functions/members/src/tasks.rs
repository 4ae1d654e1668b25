//! The follow-through tasks (docs/domain.md §1 "Onboarding follow-through";
//! seed 000 SOP-001, §3.2): the queue, assignment, completion with a note.
//! Tasks are opened by the approval and by a promotion to a high tier (SQL
//! triggers); the programme document `onboarding_tasks` says which and when.

use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::member_tasks::{check_note, Task};
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::member_tasks::{self as tasks, Filter, TASKS};

const LIST_LIMIT: i64 = 500;

fn view(task: &Task, ctx: &Ctx<'_>) -> serde_json::Value {
    json!({
        "id": task.id,
        "customer_id": task.customer_id,
        "key": task.key,
        "title": task.title,
        "owner": task.owner,
        "cause": task.cause,
        "opened_at": timestamp_text(task.opened_at),
        "due_at": timestamp_text(task.due_at),
        "state": task.state(ctx.now),
        "assignee": task.assignee,
        "done_at": task.done_at.map(timestamp_text),
        "done_by": task.done_by,
        "note": task.note,
    })
}

fn task_id(ctx: &Ctx<'_>) -> Result<i64, Problem> {
    ctx.param("task")
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| Problem::field("task", "must be a task number"))
}

fn found(db: &Db, id: i64) -> Result<Task, Problem> {
    tasks::find(db, id)?.ok_or_else(|| Problem::not_found(format!("no task {id}")))
}

/// `GET /api/v1/program/onboarding-tasks`.
pub fn program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    TASKS.get(ctx)
}

/// `PUT /api/v1/program/onboarding-tasks`.
pub fn replace_program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    TASKS.put(ctx)
}

/// `GET /api/v1/onboarding/tasks?customer_id=&assignee=&state=open|overdue|all`
/// (default open): by due time, oldest first.
pub fn list(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let state = ctx.query("state").unwrap_or("open");
    let (open, overdue) = match state {
        "open" => (true, false),
        "overdue" => (true, true),
        "all" => (false, false),
        _ => return Err(Problem::field("state", "open, overdue or all")),
    };
    let db = Db::open()?;
    let list = tasks::list(
        &db,
        &Filter {
            customer: ctx.query("customer_id"),
            assignee: ctx.query("assignee"),
            open,
            due_before: overdue.then_some(ctx.now),
            limit: LIST_LIMIT,
        },
    )?;
    Ok(vip_kit::json(
        200,
        &json!({"tasks": list.iter().map(|t| view(t, ctx)).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Assignment {
    assignee: String,
}

/// `POST /api/v1/onboarding/tasks/{task}/assignment` `{assignee}`.
pub fn assign(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = task_id(ctx)?;
    let body: Assignment = read_json(ctx.req)?;
    let assignee = body.assignee.trim();
    if assignee.is_empty() || assignee.chars().count() > 100 {
        return Err(Problem::field("assignee", "1 to 100 characters"));
    }
    let db = Db::open()?;
    if !tasks::assign(&db, id, assignee, ctx.now, &ctx.actor())? {
        return Err(Problem::not_found(format!("no task {id}")));
    }
    Ok(vip_kit::json(200, &view(&found(&db, id)?, ctx)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Completion {
    note: String,
}

/// `POST /api/v1/onboarding/tasks/{task}/completion` `{note}`: once; a
/// second completion is 409 `task-already-done`.
pub fn complete(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = task_id(ctx)?;
    let body: Completion = read_json(ctx.req)?;
    let note = check_note(&body.note).map_err(Problem::validation)?;
    let db = Db::open()?;
    let task = found(&db, id)?;
    let done = |t: &Task| {
        t.check_completion()
            .map_err(|why| Problem::conflict("task-already-done", "The task is already done", why))
    };
    done(&task)?;
    if !tasks::complete(&db, id, &note, ctx.now, &ctx.actor())? {
        done(&found(&db, id)?)?;
    }
    Ok(vip_kit::json(200, &view(&found(&db, id)?, ctx)))
}
