//! The follow-through tasks after approval and promotion (seed 000 SOP-001,
//! §3.2): opened by SQL triggers in the statement that approves or promotes,
//! from the programme document [`TASKS`]; assigned and completed here.

use chrono::{DateTime, Utc};
use vip_domain::member_tasks::{default_task_program, Task, TaskProgram};
use vip_kit::db::{timestamp, Db, Row, Value};
use vip_kit::settings::Document;
use vip_kit::Problem;

use crate::effects::Effect;

/// The triggers that open and audit tasks (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "onboarding_tasks_opened",
        table: "onboarding_cases",
        on: "UPDATE OF state",
        writes: &["member_tasks"],
        does: "an approval opens the follow-through tasks of the programme document `onboarding_tasks`",
    },
    Effect {
        trigger: "promotion_call_opened",
        table: "tier_changes",
        on: "INSERT",
        writes: &["member_tasks"],
        does: "a promotion to a high tier opens the congratulation call",
    },
    Effect {
        trigger: "member_tasks_audit_opened",
        table: "member_tasks",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits an opened task",
    },
    Effect {
        trigger: "member_tasks_audit_assigned",
        table: "member_tasks",
        on: "UPDATE OF assignee",
        writes: &["audit_events"],
        does: "audits an assignment",
    },
    Effect {
        trigger: "member_tasks_audit_done",
        table: "member_tasks",
        on: "UPDATE OF done_at",
        writes: &["audit_events"],
        does: "audits a completion with its note",
    },
];

/// The tasks an approval and a promotion open. Loaded by the approving and
/// purchasing requests before they write, so the triggers find it on file.
pub const TASKS: Document<TaskProgram> = Document {
    name: "onboarding_tasks",
    key: "program",
    default: default_task_program,
    validate: TaskProgram::validate,
    in_use: None,
};

const COLUMNS: &str = "id, customer_id, key, title, owner, cause, opened_at, due_at, assignee, done_at, done_by, note";

fn task(row: &Row<'_>) -> Result<Task, Problem> {
    Ok(Task {
        id: row.int("id")?,
        customer_id: row.text("customer_id")?,
        key: row.text("key")?,
        title: row.text("title")?,
        owner: row.text("owner")?,
        cause: row.text("cause")?,
        opened_at: row.time("opened_at")?,
        due_at: row.time("due_at")?,
        assignee: row.opt_text("assignee")?,
        done_at: row.opt_time("done_at")?,
        done_by: row.opt_text("done_by")?,
        note: row.opt_text("note")?,
    })
}

/// Task `id`.
pub fn find(db: &Db, id: i64) -> Result<Option<Task>, Problem> {
    db.one(
        &format!("SELECT {COLUMNS} FROM member_tasks WHERE id = ?"),
        &[Value::Integer(id)],
        |row| task(&row),
    )
}

/// What a task list asks for.
pub struct Filter<'a> {
    pub customer: Option<&'a str>,
    pub assignee: Option<&'a str>,
    /// Only tasks not done.
    pub open: bool,
    /// Only open tasks due before this moment.
    pub due_before: Option<DateTime<Utc>>,
    pub limit: i64,
}

/// Tasks by due time, oldest first.
pub fn list(db: &Db, f: &Filter<'_>) -> Result<Vec<Task>, Problem> {
    db.all(
        &format!(
            "SELECT {COLUMNS} FROM member_tasks
             WHERE (?1 IS NULL OR customer_id = ?1) AND (?2 IS NULL OR assignee = ?2)
               AND (?3 = 0 OR done_at IS NULL) AND (?4 IS NULL OR (done_at IS NULL AND due_at < ?4))
             ORDER BY due_at, id LIMIT ?5"
        ),
        &[
            f.customer.map_or(Value::Null, |c| Value::Text(c.into())),
            f.assignee.map_or(Value::Null, |a| Value::Text(a.into())),
            Value::Integer(i64::from(f.open)),
            f.due_before.map_or(Value::Null, timestamp),
            Value::Integer(f.limit),
        ],
        |row| task(&row),
    )
}

/// Open tasks of `customer`'s onboarding case `case` past their due time at `now`.
pub fn overdue_of_case(
    db: &Db,
    customer: &str,
    case: i64,
    now: DateTime<Utc>,
) -> Result<i64, Problem> {
    db.one(
        "SELECT COUNT(*) AS n FROM member_tasks
         WHERE customer_id = ? AND cause = ? AND done_at IS NULL AND due_at < ?",
        &[
            Value::Text(customer.into()),
            Value::Text(format!("onboarding-{case}")),
            timestamp(now),
        ],
        |row| row.int("n"),
    )
    .map(Option::unwrap_or_default)
}

/// Assigns task `id` (fires `member_tasks_audit_assigned`); whether it exists.
pub fn assign(
    db: &Db,
    id: i64,
    assignee: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    Ok(db
        .one(
            "UPDATE member_tasks SET assignee = ?, updated_at = ?, updated_by = ? WHERE id = ? RETURNING id",
            &[
                Value::Text(assignee.into()),
                timestamp(at),
                Value::Text(by.into()),
                Value::Integer(id),
            ],
            |_| Ok(()),
        )?
        .is_some())
}

/// Completes task `id` unless it is done (fires `member_tasks_audit_done`);
/// whether this call completed it.
pub fn complete(
    db: &Db,
    id: i64,
    note: &str,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    Ok(db
        .one(
            "UPDATE member_tasks SET done_at = ?1, done_by = ?2, note = ?3, updated_at = ?1, updated_by = ?2
             WHERE id = ?4 AND done_at IS NULL RETURNING id",
            &[
                timestamp(at),
                Value::Text(by.into()),
                Value::Text(note.into()),
                Value::Integer(id),
            ],
            |_| Ok(()),
        )?
        .is_some())
}
