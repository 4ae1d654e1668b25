//! A ticket's conversation and who works it (issue 18; seed 002 §9, §10.1):
//! public messages between the team and the customer, internal notes the
//! customer never sees, attachments as metadata only (the file lives
//! elsewhere), and the ticket's team and assignee.
//!
//! A public message is also the ticket event it stands for: the team's
//! answer is `team_reply` (it meets the first-response clock), the
//! customer's is `customer_reply` (a paused clock runs again). An internal
//! note moves nothing.

use serde::{Deserialize, Serialize};

use crate::tickets::{Teams, TicketEvent};
use crate::validation::Errors;

/// Which side of the conversation wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Customer,
    Team,
}

/// Who may read a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Team and customer.
    #[default]
    Public,
    /// The team only: never shown to the customer or to a web form or chat bot.
    Internal,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Customer => "customer",
            Side::Team => "team",
        }
    }
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
    }
}

/// A file attached to a message: what it is and where it lives. No file
/// body is ever stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub name: String,
    pub media_type: String,
    pub size_bytes: u64,
    /// Lower-case hex SHA-256 of the file, so a reader can check what they fetch.
    pub sha256: String,
    /// Where the file lives (`https://…`).
    pub url: String,
}

/// What attachments the programme accepts (programme data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRules {
    pub max_bytes: u64,
    pub max_per_message: u32,
    /// Exact media types, e.g. `application/pdf`, `image/png`.
    pub media_types: Vec<String>,
}

pub fn default_attachment_rules() -> AttachmentRules {
    AttachmentRules {
        max_bytes: 10 * 1024 * 1024,
        max_per_message: 5,
        media_types: [
            "application/pdf",
            "image/png",
            "image/jpeg",
            "text/plain",
            "text/csv",
        ]
        .map(String::from)
        .to_vec(),
    }
}

impl AttachmentRules {
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        if !(1..=100 * 1024 * 1024).contains(&self.max_bytes) {
            errors.add("attachments.max_bytes", "must be 1 byte to 100 MiB");
        }
        if !(1..=20).contains(&self.max_per_message) {
            errors.add("attachments.max_per_message", "must be 1 to 20");
        }
        for (i, t) in self.media_types.iter().enumerate() {
            if !is_media_type(t) {
                errors.add(
                    format!("attachments.media_types[{i}]"),
                    "must be a media type like application/pdf",
                );
            }
        }
        errors.finish(())
    }
}

fn is_media_type(text: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.len() <= 100
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b))
    };
    text.split_once('/')
        .is_some_and(|(kind, sub)| token(kind) && token(sub))
}

/// A message as posted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub body: String,
    #[serde(default)]
    pub visibility: Visibility,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// Longest message body, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;

/// Why a message is not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageRefusal {
    Invalid(Errors),
    /// Only the team writes internal notes.
    InternalFromCustomer,
    TooLarge {
        field: String,
        max_bytes: u64,
    },
    MediaType {
        field: String,
        allowed: Vec<String>,
    },
}

impl NewMessage {
    /// Checks the message from `side` against the programme's rules.
    pub fn check(&self, side: Side, rules: &AttachmentRules) -> Result<(), MessageRefusal> {
        if side == Side::Customer && self.visibility == Visibility::Internal {
            return Err(MessageRefusal::InternalFromCustomer);
        }
        let mut errors = Errors::new();
        let chars = self.body.trim().chars().count();
        if chars == 0 || chars > MAX_BODY_CHARS {
            errors.add("body", format!("must be 1 to {MAX_BODY_CHARS} characters"));
        }
        if self.attachments.len() > rules.max_per_message as usize {
            errors.add(
                "attachments",
                format!("at most {} per message", rules.max_per_message),
            );
        }
        for (i, a) in self.attachments.iter().enumerate() {
            let field = |name: &str| format!("attachments[{i}].{name}");
            let name_chars = a.name.trim().chars().count();
            if name_chars == 0 || name_chars > 255 || a.name.contains(['/', '\\']) {
                errors.add(field("name"), "must be a file name of 1 to 255 characters");
            }
            if a.sha256.len() != 64
                || !a
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                errors.add(field("sha256"), "must be 64 lower-case hex digits");
            }
            if !a.url.starts_with("https://")
                || a.url.len() > 2000
                || a.url.contains(char::is_whitespace)
            {
                errors.add(
                    field("url"),
                    "must be an https:// link of at most 2000 characters",
                );
            }
            if a.size_bytes == 0 {
                errors.add(field("size_bytes"), "must be at least 1");
            }
        }
        errors.finish(()).map_err(MessageRefusal::Invalid)?;
        for (i, a) in self.attachments.iter().enumerate() {
            if a.size_bytes > rules.max_bytes {
                return Err(MessageRefusal::TooLarge {
                    field: format!("attachments[{i}].size_bytes"),
                    max_bytes: rules.max_bytes,
                });
            }
            if !rules.media_types.contains(&a.media_type) {
                return Err(MessageRefusal::MediaType {
                    field: format!("attachments[{i}].media_type"),
                    allowed: rules.media_types.clone(),
                });
            }
        }
        Ok(())
    }

    /// The ticket event the message stands for, if any.
    pub fn event(&self, side: Side) -> Option<TicketEvent> {
        match (self.visibility, side) {
            (Visibility::Internal, _) => None,
            (Visibility::Public, Side::Team) => Some(TicketEvent::TeamReply),
            (Visibility::Public, Side::Customer) => Some(TicketEvent::CustomerReply),
        }
    }
}

/// A change of who works a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// The agent (their actor id, e.g. `customer_success#1a2b3c4d`); absent
    /// keeps the current one.
    #[serde(default)]
    pub assignee: Option<String>,
    /// Leaves the ticket to its team, with no agent.
    #[serde(default)]
    pub unassign: bool,
    /// One of the programme's teams; absent keeps the current team.
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// Whether `id` can name an agent: 1 to 100 of letters, digits and `_.:@#-`.
pub fn is_agent_id(id: &str) -> bool {
    (1..=100).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:@#-".contains(&b))
}

impl Assignment {
    /// Checks the fields; `teams` are the programme's.
    pub fn check(&self, teams: &Teams) -> Result<(), Errors> {
        let mut errors = Errors::new();
        if let Some(a) = &self.assignee {
            if !is_agent_id(a) {
                errors.add(
                    "assignee",
                    "must be an agent id: 1 to 100 of letters, digits and _.:@#-",
                );
            }
        }
        if self.unassign && self.assignee.is_some() {
            errors.add("unassign", "give an assignee or unassign, not both");
        }
        if let Some(team) = &self.team {
            let known = teams.all();
            if !known.contains(&team.as_str()) {
                errors.add(
                    "team",
                    format!("unknown team; the programme has {}", known.join(", ")),
                );
            }
        }
        if self
            .reason
            .as_ref()
            .is_some_and(|r| r.chars().count() > 500)
        {
            errors.add("reason", "must be at most 500 characters");
        }
        errors.finish(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::default_teams;

    fn file(size: u64, media: &str) -> Attachment {
        Attachment {
            name: "router.png".into(),
            media_type: media.into(),
            size_bytes: size,
            sha256: "ab".repeat(32),
            url: "https://files.example.test/router.png".into(),
        }
    }

    fn message(visibility: Visibility, attachments: Vec<Attachment>) -> NewMessage {
        NewMessage {
            body: "It blinks red".into(),
            visibility,
            attachments,
        }
    }

    #[test]
    fn public_messages_are_the_events_they_stand_for_and_notes_move_nothing() {
        let public = message(Visibility::Public, vec![]);
        assert_eq!(public.event(Side::Team), Some(TicketEvent::TeamReply));
        assert_eq!(
            public.event(Side::Customer),
            Some(TicketEvent::CustomerReply)
        );
        assert_eq!(
            message(Visibility::Internal, vec![]).event(Side::Team),
            None
        );
    }

    #[test]
    fn the_customer_writes_no_internal_notes() {
        let rules = default_attachment_rules();
        let note = message(Visibility::Internal, vec![]);
        assert_eq!(
            note.check(Side::Customer, &rules),
            Err(MessageRefusal::InternalFromCustomer)
        );
        assert_eq!(note.check(Side::Team, &rules), Ok(()));
    }

    #[test]
    fn attachments_are_checked_against_the_programme() {
        let rules = default_attachment_rules();
        assert!(rules.validate().is_ok());
        let ok = message(Visibility::Public, vec![file(2_000, "image/png")]);
        assert_eq!(ok.check(Side::Customer, &rules), Ok(()));
        let big = message(
            Visibility::Public,
            vec![file(rules.max_bytes + 1, "image/png")],
        );
        assert!(matches!(
            big.check(Side::Customer, &rules),
            Err(MessageRefusal::TooLarge { field, .. }) if field == "attachments[0].size_bytes"
        ));
        let exe = message(
            Visibility::Public,
            vec![file(10, "image/png"), file(10, "application/x-msdownload")],
        );
        assert!(matches!(
            exe.check(Side::Customer, &rules),
            Err(MessageRefusal::MediaType { field, .. }) if field == "attachments[1].media_type"
        ));
        let mut bad = file(10, "image/png");
        bad.sha256 = "XYZ".into();
        bad.url = "http://plain.example.test/x".into();
        bad.name = "../etc/passwd".into();
        let blank = NewMessage {
            body: "  ".into(),
            ..message(Visibility::Public, vec![bad])
        };
        let Err(MessageRefusal::Invalid(errors)) = blank.check(Side::Team, &rules) else {
            panic!("invalid fields are named");
        };
        assert_eq!(
            errors.fields(),
            [
                "body",
                "attachments[0].name",
                "attachments[0].sha256",
                "attachments[0].url"
            ]
        );
    }

    #[test]
    fn assignments_name_a_known_team_and_a_plausible_agent() {
        let teams = default_teams();
        let ok = Assignment {
            assignee: Some("customer_success#1a2b3c4d".into()),
            unassign: false,
            team: Some("change_requests".into()),
            reason: None,
        };
        assert!(ok.check(&teams).is_ok());
        let bad = Assignment {
            assignee: Some("ana lopez".into()),
            unassign: true,
            team: Some("billing".into()),
            reason: None,
        };
        assert_eq!(
            bad.check(&teams).unwrap_err().fields(),
            ["assignee", "unassign", "team"]
        );
        assert!(!is_media_type("pdf") && is_media_type("application/vnd.ms-excel"));
    }
}
