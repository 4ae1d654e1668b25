//! Satisfaction surveys (migration 0018, table `ticket_surveys`): one answer
//! per ticket, and the facts first-contact resolution is derived from.

use chrono::{DateTime, Utc};
use vip_domain::surveys::SurveyAnswer;
use vip_kit::db::{timestamp, Db, Value};
use vip_kit::Problem;

/// A recorded answer.
pub struct Answered {
    pub answer: SurveyAnswer,
    pub at: DateTime<Utc>,
    pub by: String,
}

/// Records the answer for ticket `ticket_id`; `false` if it had one already
/// (the first is kept).
pub fn answer(
    db: &Db,
    ticket_id: i64,
    a: &SurveyAnswer,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, Problem> {
    let score = |v: Option<u8>| v.map_or(Value::Null, |v| Value::Integer(i64::from(v)));
    let written = db.exec(
        "INSERT INTO ticket_surveys (ticket_id, csat, nps, ces, comment, answered_at, answered_by)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id) DO NOTHING RETURNING ticket_id",
        &[
            Value::Integer(ticket_id),
            score(a.csat),
            score(a.nps),
            score(a.ces),
            a.comment.clone().map_or(Value::Null, Value::Text),
            timestamp(at),
            Value::Text(by.into()),
        ],
    )?;
    Ok(!written.rows.is_empty())
}

/// Ticket `ticket_id`'s answer, if any.
pub fn answer_of(db: &Db, ticket_id: i64) -> Result<Option<Answered>, Problem> {
    let score = |v: Option<i64>| v.and_then(|v| u8::try_from(v).ok());
    db.one(
        "SELECT csat, nps, ces, comment, answered_at, answered_by FROM ticket_surveys WHERE ticket_id = ?",
        &[Value::Integer(ticket_id)],
        |row| {
            Ok(Answered {
                answer: SurveyAnswer {
                    csat: score(row.opt_int("csat")?),
                    nps: score(row.opt_int("nps")?),
                    ces: score(row.opt_int("ces")?),
                    comment: row.opt_text("comment")?,
                },
                at: row.time("answered_at")?,
                by: row.text("answered_by")?,
            })
        },
    )
}

/// What first-contact resolution is derived from: the team's public answers
/// (messages, and `team_reply` events that moved nothing are not counted:
/// the conversation is the record) and whether the ticket was ever reopened.
pub struct Contacts {
    pub team_answers: u32,
    pub reopened: bool,
}

pub fn contacts(db: &Db, ticket_id: i64) -> Result<Contacts, Problem> {
    db.one(
        "SELECT (SELECT COUNT(*) FROM ticket_messages
                 WHERE ticket_id = ?1 AND side = 'team' AND visibility = 'public') AS team_answers,
                EXISTS (SELECT 1 FROM audit_events
                        WHERE entity_type = 'ticket' AND entity_id = CAST(?1 AS TEXT) AND action = 'ticket.open'
                          AND json_extract(details, '$.from') IN ('resolved', 'closed')) AS reopened",
        &[Value::Integer(ticket_id)],
        |row| {
            Ok(Contacts {
                team_answers: u32::try_from(row.int("team_answers")?).unwrap_or(u32::MAX),
                reopened: row.flag("reopened")?,
            })
        },
    )
    .map(|c| {
        c.unwrap_or(Contacts {
            team_answers: 0,
            reopened: false,
        })
    })
}
