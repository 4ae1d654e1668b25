//! Satisfaction surveys after a ticket is resolved (seed 003: CSAT, NPS,
//! effort, first-contact resolution). The survey notice goes out a
//! programme-set time after the resolution; one answer per ticket.

use serde::{Deserialize, Serialize};

use crate::validation::Errors;

/// When the survey goes out (programme data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyRules {
    /// Hours after the resolution (natural time) the survey notice is sent:
    /// 003 asks 24 to 48 hours after.
    pub delay_hours: u32,
    /// Days after the resolution an answer is still taken.
    pub answer_days: u32,
}

pub fn default_survey_rules() -> SurveyRules {
    SurveyRules {
        delay_hours: 24,
        answer_days: 14,
    }
}

impl SurveyRules {
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        if !(1..=24 * 14).contains(&self.delay_hours) {
            errors.add("surveys.delay_hours", "must be 1 to 336 (14 days)");
        }
        if self.answer_days == 0 || u64::from(self.answer_days) * 24 <= u64::from(self.delay_hours)
        {
            errors.add(
                "surveys.answer_days",
                "must leave time to answer after the survey is sent",
            );
        }
        errors.finish(())
    }
}

/// A customer's answer: satisfaction (CSAT 1–5), likelihood to recommend
/// (NPS 0–10), effort (CES 1–7), free text. At least one score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyAnswer {
    #[serde(default)]
    pub csat: Option<u8>,
    #[serde(default)]
    pub nps: Option<u8>,
    #[serde(default)]
    pub ces: Option<u8>,
    #[serde(default)]
    pub comment: Option<String>,
}

impl SurveyAnswer {
    pub fn check(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        let mut score = |field: &str, value: Option<u8>, min: u8, max: u8| {
            if value.is_some_and(|v| !(min..=max).contains(&v)) {
                errors.add(field, format!("must be {min} to {max}"));
            }
        };
        score("csat", self.csat, 1, 5);
        score("nps", self.nps, 0, 10);
        score("ces", self.ces, 1, 7);
        if self.csat.is_none() && self.nps.is_none() && self.ces.is_none() {
            errors.add("csat", "give at least one score: csat, nps or ces");
        }
        if self
            .comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > 2000)
        {
            errors.add("comment", "must be at most 2000 characters");
        }
        errors.finish(())
    }
}

/// First-contact resolution (003): resolved with at most one answer from the
/// team, and never reopened.
pub fn first_contact_resolution(resolved: bool, team_answers: u32, reopened: bool) -> bool {
    resolved && team_answers <= 1 && !reopened
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_scored_on_their_scales() {
        let ok = SurveyAnswer {
            csat: Some(5),
            nps: Some(0),
            ces: Some(7),
            comment: None,
        };
        assert!(ok.check().is_ok());
        let bad = SurveyAnswer {
            csat: Some(0),
            nps: Some(11),
            ces: Some(8),
            comment: Some("x".repeat(2001)),
        };
        assert_eq!(
            bad.check().unwrap_err().fields(),
            ["csat", "nps", "ces", "comment"]
        );
        let empty = SurveyAnswer {
            csat: None,
            nps: None,
            ces: None,
            comment: Some("nice".into()),
        };
        assert_eq!(empty.check().unwrap_err().fields(), ["csat"]);
    }

    #[test]
    fn first_contact_resolution_needs_one_answer_and_no_reopen() {
        assert!(first_contact_resolution(true, 1, false));
        assert!(first_contact_resolution(true, 0, false));
        assert!(!first_contact_resolution(true, 2, false));
        assert!(!first_contact_resolution(true, 1, true));
        assert!(!first_contact_resolution(false, 1, false));
        let rules = default_survey_rules();
        assert!(rules.validate().is_ok());
        assert!(SurveyRules {
            delay_hours: 24,
            answer_days: 1
        }
        .validate()
        .is_err());
    }
}
