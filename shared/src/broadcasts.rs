//! Broadcasts (seed 000 §8: in a crisis, an email to all VIPs and an update every 2 hours; event
//! invitations): one message, in the members' languages, to every active member of an audience,
//! delivered through the notice outbox at a throttled rate per channel so a broadcast to 100,000
//! members never starves the other notices.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::notices::{
    check_text, Channel, Language, Template, Templates, BODY_MAX, SMS_MAX, SUBJECT_MAX,
};
use crate::validation::Errors;

/// The notice kind of a broadcast's message to one member.
pub const BROADCAST: &str = "broadcast.message";

/// Fields a broadcast's texts may use.
pub const FIELDS: &[&str] = &["name", "customer_id"];

/// Who receives a broadcast: every active member, or those of some tiers and/or segments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub tiers: Vec<String>,
    #[serde(default)]
    pub segments: Vec<String>,
}

/// Why members are told: the service (a crisis, an outage) reaches every member; marketing (an
/// event, a thank-you) only those who consented to it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    #[default]
    Service,
    Marketing,
}

/// A broadcast's text in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BroadcastMessage {
    pub language: Language,
    pub subject: String,
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<String>,
}

/// A broadcast as asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BroadcastRequest {
    /// Required, unless this is an update of an earlier broadcast (its audience).
    #[serde(default)]
    pub audience: Option<Audience>,
    #[serde(default)]
    pub purpose: Purpose,
    pub messages: Vec<BroadcastMessage>,
    /// The broadcast this one updates (the crisis update every 2 hours).
    #[serde(default)]
    pub follows: Option<i64>,
}

impl BroadcastRequest {
    /// An audience that selects someone (or an earlier broadcast to follow, not both), and a
    /// message in `default_language` (which stands in for the others), each text within bounds and
    /// using only [`FIELDS`].
    pub fn validate(&self, default_language: Language) -> Result<(), Errors> {
        let mut errors = Errors::new();
        match (&self.audience, self.follows) {
            (None, None) => errors.add(
                "audience",
                "required: `{\"all\": true}`, or `tiers` and/or `segments` (or `follows` for an update)",
            ),
            (Some(_), Some(_)) => errors.add(
                "audience",
                "an update goes to the audience of the broadcast it follows; leave `audience` out",
            ),
            (Some(a), None) if !a.all && a.tiers.is_empty() && a.segments.is_empty() => errors.add(
                "audience",
                "selects nobody: `{\"all\": true}`, or name `tiers` and/or `segments`",
            ),
            (Some(a), None) if a.all && !(a.tiers.is_empty() && a.segments.is_empty()) => errors
                .add(
                    "audience",
                    "`all` with `tiers` or `segments` is ambiguous: choose one",
                ),
            _ => {}
        }
        if !self.messages.iter().any(|m| m.language == default_language) {
            errors.add(
                "messages",
                format!(
                    "required: a message in the default language `{}` (it stands in for the others)",
                    default_language.as_str()
                ),
            );
        }
        let mut seen = Vec::new();
        for (i, m) in self.messages.iter().enumerate() {
            if seen.contains(&m.language) {
                errors.add(
                    format!("messages[{i}].language"),
                    "one message per language",
                );
            }
            seen.push(m.language);
            let texts = [
                ("subject", Some(&m.subject), SUBJECT_MAX),
                ("body", Some(&m.body), BODY_MAX),
                ("sms", m.sms.as_ref(), SMS_MAX),
            ];
            for (field, text) in texts
                .iter()
                .filter_map(|(f, t, max)| t.map(|t| (f, (t, *max))))
            {
                let (text, max) = text;
                check_text(
                    &format!("messages[{i}].{field}"),
                    text,
                    max,
                    BROADCAST,
                    FIELDS,
                    &mut errors,
                );
            }
        }
        errors.finish(())
    }

    /// The messages as templates, for the notices component's renderer.
    pub fn templates(messages: &[BroadcastMessage], default_language: Language) -> Templates {
        Templates {
            default_language,
            templates: messages
                .iter()
                .map(|m| Template {
                    kind: BROADCAST.into(),
                    language: m.language,
                    subject: m.subject.clone(),
                    body: m.body.clone(),
                    sms: m.sms.clone(),
                })
                .collect(),
        }
    }
}

/// How fast broadcasts go out: messages per second on each channel (programme data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BroadcastProgram {
    pub per_second: BTreeMap<Channel, u32>,
}

pub fn default_broadcast_program() -> BroadcastProgram {
    BroadcastProgram {
        per_second: BTreeMap::from([
            (Channel::Email, 20),
            (Channel::Sms, 10),
            (Channel::Whatsapp, 10),
        ]),
    }
}

impl BroadcastProgram {
    /// A rate from 1 to 1,000 a second for every channel.
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        for channel in Channel::ALL {
            match self.per_second.get(&channel) {
                Some(1..=1000) => {}
                _ => errors.add(
                    format!("per_second.{}", channel.as_str()),
                    "required: 1 to 1000 messages a second",
                ),
            }
        }
        errors.finish(())
    }

    /// Paces messages from `start`: each channel's spaced at its rate.
    pub fn pacer(&self, start: DateTime<Utc>) -> Pacer<'_> {
        Pacer {
            program: self,
            start,
            sent: BTreeMap::new(),
        }
    }
}

/// Hands out the moments a broadcast's messages may go, one channel at its own rate.
pub struct Pacer<'a> {
    program: &'a BroadcastProgram,
    start: DateTime<Utc>,
    sent: BTreeMap<Channel, i64>,
}

impl Pacer<'_> {
    /// When the next message on `channel` may go (`None`: nothing can reach the member; it is
    /// recorded at once).
    pub fn slot(&mut self, channel: Option<Channel>) -> DateTime<Utc> {
        let Some(c) = channel else {
            return self.start;
        };
        let n = self.sent.entry(c).or_default();
        let rate = i64::from(self.program.per_second.get(&c).copied().unwrap_or(1).max(1));
        let at = self.start + Duration::milliseconds(*n * 1000 / rate);
        *n += 1;
        at
    }

    /// The last moment handed out: when the broadcast will have gone out.
    pub fn last(&self) -> DateTime<Utc> {
        self.sent
            .iter()
            .map(|(c, n)| {
                let rate = i64::from(self.program.per_second.get(c).copied().unwrap_or(1).max(1));
                self.start + Duration::milliseconds((n - 1).max(0) * 1000 / rate)
            })
            .max()
            .unwrap_or(self.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn message(language: Language, body: &str) -> BroadcastMessage {
        BroadcastMessage {
            language,
            subject: "Service update".into(),
            body: body.into(),
            sms: None,
        }
    }

    fn request(audience: Option<Audience>, messages: Vec<BroadcastMessage>) -> BroadcastRequest {
        BroadcastRequest {
            audience,
            purpose: Purpose::Service,
            messages,
            follows: None,
        }
    }

    #[test]
    fn a_broadcast_needs_an_audience_and_a_message_in_the_default_language() {
        let es = message(Language::Es, "Hola {{name}}: incidencia en curso.");
        let e = request(None, vec![]).validate(Language::Es).unwrap_err();
        assert_eq!(e.fields(), vec!["audience", "messages"]);
        let nobody = Some(Audience::default());
        assert_eq!(
            request(nobody, vec![es.clone()])
                .validate(Language::Es)
                .unwrap_err()
                .fields(),
            vec!["audience"]
        );
        let gold = Some(Audience {
            tiers: vec!["gold".into()],
            ..Audience::default()
        });
        assert_eq!(
            request(gold.clone(), vec![es.clone()]).validate(Language::Es),
            Ok(())
        );
        let e = request(gold, vec![message(Language::En, "Hi {{pin}}")])
            .validate(Language::Es)
            .unwrap_err();
        assert_eq!(e.fields(), vec!["messages", "messages[0].body"]);
        let update = BroadcastRequest {
            follows: Some(3),
            ..request(None, vec![es])
        };
        assert_eq!(update.validate(Language::Es), Ok(()));
    }

    #[test]
    fn each_channel_is_paced_at_its_own_rate() {
        let p = default_broadcast_program();
        let start = Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
        let e = Some(Channel::Email);
        let s = Some(Channel::Sms);
        let mut pacer = p.pacer(start);
        let ms: Vec<i64> = [e, s, e, s, None, e]
            .into_iter()
            .map(|c| (pacer.slot(c) - start).num_milliseconds())
            .collect();
        // Email 20/s: 0, 50, 100 ms; SMS 10/s: 0, 100 ms; the unreachable at once.
        assert_eq!(ms, vec![0, 0, 50, 100, 0, 100]);
        assert_eq!((pacer.last() - start).num_milliseconds(), 100);
        let mut bad = p.clone();
        bad.per_second.insert(Channel::Sms, 0);
        assert_eq!(bad.validate().unwrap_err().fields(), vec!["per_second.sms"]);
    }
}
