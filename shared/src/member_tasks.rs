//! The follow-through after approval (seed 000 SOP-001 steps 2-3 and the §2.2 checklist) and the
//! congratulation call for a promotion to a high tier (§3.2): tasks with due times, assignable,
//! completed once with a note. The tasks and their times are programme data.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::validation::Errors;

/// One task a member's approval (or promotion) opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// Unique among the programme's tasks (`welcome_call`).
    pub key: String,
    pub title: String,
    /// Who does it (a team or role name, shown in the queue).
    pub owner: String,
    /// Due this many hours after the approval (or the promotion).
    pub due_hours: u32,
}

/// The congratulation call a promotion to a high tier opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromotionCall {
    /// Tiers whose promotion opens the call (none: no calls).
    pub tiers: Vec<String>,
    pub task: TaskSpec,
}

/// The follow-through programme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskProgram {
    pub after_approval: Vec<TaskSpec>,
    pub promotion_call: PromotionCall,
}

fn task(key: &str, title: &str, owner: &str, due_hours: u32) -> TaskSpec {
    TaskSpec {
        key: key.into(),
        title: title.into(),
        owner: owner.into(),
        due_hours,
    }
}

/// Seed 000: account set-up within 4 hours (step 2), the welcome call within 48 hours (step 3)
/// with the checklist's "during onboarding" items, the 7-day follow-up with the "post-onboarding"
/// ones; a congratulation call for gold and diamond.
pub fn default_task_program() -> TaskProgram {
    TaskProgram {
        after_approval: vec![
            task(
                "account_setup",
                "Set up the VIP account: profile, benefits of the tier, notification preferences, community access; schedule the welcome call",
                "technical_support",
                4,
            ),
            task(
                "welcome_call",
                "Welcome call (30-45 min): explain the tier's benefits, set goals and expectations, schedule the 7-day follow-up",
                "customer_success",
                48,
            ),
            task(
                "follow_up_7_days",
                "7-day follow-up: review initial activity, collect first feedback, update the CRM profile",
                "customer_success",
                168,
            ),
        ],
        promotion_call: PromotionCall {
            tiers: vec!["gold".into(), "diamond".into()],
            task: task(
                "promotion_call",
                "Congratulation call for the new tier: explain its benefits",
                "customer_success",
                48,
            ),
        },
    }
}

const MAX_DUE_HOURS: u32 = 24 * 90;

impl TaskSpec {
    fn check(&self, at: &str, errors: &mut Errors) {
        let key_ok = !self.key.is_empty()
            && self.key.len() <= 64
            && self
                .key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            errors.add(format!("{at}.key"), "1 to 64 of a-z, 0-9, _");
        }
        for (field, text) in [("title", &self.title), ("owner", &self.owner)] {
            if text.trim().is_empty() || text.chars().count() > 200 {
                errors.add(format!("{at}.{field}"), "1 to 200 characters");
            }
        }
        if !(1..=MAX_DUE_HOURS).contains(&self.due_hours) {
            errors.add(
                format!("{at}.due_hours"),
                format!("1 to {MAX_DUE_HOURS} hours"),
            );
        }
    }
}

impl TaskProgram {
    /// Each task well formed, keys unique (the promotion call's too).
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        let mut keys = Vec::new();
        for (i, t) in self.after_approval.iter().enumerate() {
            let at = format!("after_approval[{i}]");
            t.check(&at, &mut errors);
            if keys.contains(&&t.key) {
                errors.add(format!("{at}.key"), format!("`{}` appears twice", t.key));
            }
            keys.push(&t.key);
        }
        self.promotion_call
            .task
            .check("promotion_call.task", &mut errors);
        if keys.contains(&&self.promotion_call.task.key) {
            errors.add(
                "promotion_call.task.key",
                "must differ from the approval's tasks",
            );
        }
        errors.finish(())
    }
}

/// A task as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub id: i64,
    pub customer_id: String,
    pub key: String,
    pub title: String,
    pub owner: String,
    pub cause: String,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub assignee: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<String>,
    pub note: Option<String>,
}

/// Where a task stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Open,
    Overdue,
    DoneOnTime,
    DoneLate,
}

impl Task {
    pub fn state(&self, now: DateTime<Utc>) -> TaskState {
        match self.done_at {
            Some(done) if done <= self.due_at => TaskState::DoneOnTime,
            Some(_) => TaskState::DoneLate,
            None if now > self.due_at => TaskState::Overdue,
            None => TaskState::Open,
        }
    }

    /// Whether it may be completed: once only.
    pub fn check_completion(&self) -> Result<(), String> {
        match (self.done_at, &self.done_by) {
            (Some(at), by) => Err(format!(
                "task {} was completed at {} by {}",
                self.id,
                at.format("%Y-%m-%dT%H:%M:%SZ"),
                by.as_deref().unwrap_or("someone")
            )),
            (None, _) => Ok(()),
        }
    }
}

/// A completion note: 1 to 1000 characters, trimmed.
pub fn check_note(note: &str) -> Result<String, Errors> {
    let mut errors = Errors::new();
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 1000 {
        errors.add("note", "1 to 1000 characters: what was done");
    }
    errors.finish(note.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap()
    }

    fn open_task() -> Task {
        Task {
            id: 7,
            customer_id: "C1".into(),
            key: "account_setup".into(),
            title: "Set up".into(),
            owner: "technical_support".into(),
            cause: "onboarding-1".into(),
            opened_at: at(8),
            due_at: at(12),
            assignee: None,
            done_at: None,
            done_by: None,
            note: None,
        }
    }

    #[test]
    fn the_default_programme_is_valid_and_mistakes_are_named() {
        assert_eq!(default_task_program().validate(), Ok(()));
        let mut p = default_task_program();
        p.after_approval[1].key = "account_setup".into();
        p.after_approval[2].due_hours = 0;
        p.promotion_call.task.title = " ".into();
        assert_eq!(
            p.validate().unwrap_err().fields(),
            vec![
                "after_approval[1].key",
                "after_approval[2].due_hours",
                "promotion_call.task.title"
            ]
        );
    }

    #[test]
    fn a_task_is_overdue_after_its_due_time_and_completed_once() {
        let t = open_task();
        assert_eq!(t.state(at(12)), TaskState::Open);
        assert_eq!(t.state(at(13)), TaskState::Overdue);
        let done = Task {
            done_at: Some(at(13)),
            done_by: Some("cs-1".into()),
            ..t
        };
        assert_eq!(done.state(at(20)), TaskState::DoneLate);
        assert_eq!(
            done.check_completion().unwrap_err(),
            "task 7 was completed at 2026-12-01T13:00:00Z by cs-1"
        );
        assert!(check_note("  ").is_err());
    }
}
