//! Notices to members in their language, over the channels they prefer (seeds 000 §6, §8, §10.2
//! templates; 002 §18 standard messages; 004 the SMS when a card is mailed; the seeds' members read
//! Spanish, English and Chinese).
//!
//! Every feature queues notices as data (`kind` + payload). A notice is for the member when its kind
//! has a member template ([`template_kind`]); any other notice is an operational notice to staff and
//! is delivered as it is. A member notice is rendered from the programme's template for its kind in
//! the member's language (`{{field}}` placeholders from the notice's payload, plus `name` and
//! `customer_id`), then sent over the first channel of the member's preference that has an address
//! and the consent it needs ([`routes`]); a channel that refuses the message for good hands it to the
//! next.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::validation::Errors;

/// Languages templates are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Es,
    En,
    Zh,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Es, Language::En, Language::Zh];

    pub fn as_str(self) -> &'static str {
        match self {
            Language::Es => "es",
            Language::En => "en",
            Language::Zh => "zh",
        }
    }

    /// A language code, or an error naming the supported ones.
    pub fn parse(code: &str) -> Result<Language, String> {
        Language::ALL
            .into_iter()
            .find(|l| l.as_str() == code)
            .ok_or_else(|| format!("`{code}` is not a supported language (es, en, zh)"))
    }
}

/// How a notice reaches a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Whatsapp,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::Whatsapp];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Whatsapp => "whatsapp",
        }
    }

    /// Short text channels take a template's SMS variant.
    pub fn short(self) -> bool {
        !matches!(self, Channel::Email)
    }
}

/// A notice kind members receive, and the fields its templates may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KindSpec {
    pub kind: &'static str,
    /// Payload fields, besides [`COMMON_FIELDS`].
    pub fields: &'static [&'static str],
    /// Sent by SMS as a rule: its templates carry an SMS variant.
    pub sms: bool,
    /// What it tells the member.
    pub about: &'static str,
}

/// Fields every member notice offers its templates.
pub const COMMON_FIELDS: &[&str] = &["name", "customer_id"];

/// Template kind of a ticket's clock event addressed to the customer (a follow-up, a survey, a
/// missed target with the new estimate): the event name varies, the message does not.
pub const TICKET_UPDATE: &str = "ticket.update";

/// Every kind members receive.
pub const KINDS: &[KindSpec] = &[
    KindSpec {
        kind: "onboarding.approved",
        fields: &["case_id"],
        sms: false,
        about: "welcome: the application was approved",
    },
    KindSpec {
        kind: "onboarding.rejected",
        fields: &["case_id", "reason"],
        sms: false,
        about: "the application was not approved, and why",
    },
    KindSpec {
        kind: "membership.tier_changed",
        fields: &["from", "to", "reason"],
        sms: false,
        about: "congratulations on a new tier, or the review's outcome",
    },
    KindSpec {
        kind: "membership.suspended",
        fields: &["from", "to", "reason"],
        sms: false,
        about: "the membership is suspended, and why",
    },
    KindSpec {
        kind: "membership.active",
        fields: &["from", "to", "reason"],
        sms: false,
        about: "the membership is active again",
    },
    KindSpec {
        kind: "membership.exited",
        fields: &["from", "to", "reason"],
        sms: false,
        about: "the member left the programme",
    },
    KindSpec {
        kind: "membership.revoked",
        fields: &["from", "to", "reason"],
        sms: false,
        about: "the membership was revoked, and why",
    },
    KindSpec {
        kind: "redemption.requested",
        fields: &["from", "to", "points"],
        sms: false,
        about: "a reward request was received",
    },
    KindSpec {
        kind: "redemption.approved",
        fields: &["from", "to", "points"],
        sms: false,
        about: "a reward request was approved",
    },
    KindSpec {
        kind: "redemption.fulfilled",
        fields: &["from", "to", "points"],
        sms: false,
        about: "a reward was delivered",
    },
    KindSpec {
        kind: "redemption.rejected",
        fields: &["from", "to", "points"],
        sms: false,
        about: "a reward request was not approved; the points are back",
    },
    KindSpec {
        kind: "redemption.cancelled",
        fields: &["from", "to", "points"],
        sms: false,
        about: "a reward request was cancelled; the points are back",
    },
    KindSpec {
        kind: "dunning.remind",
        fields: &["invoice_id", "step", "due_on", "why"],
        sms: true,
        about: "a payment reminder",
    },
    KindSpec {
        kind: "ticket.message",
        fields: &["ticket_id", "message_id", "channel", "subject", "body"],
        sms: false,
        about: "the team answered a ticket",
    },
    KindSpec {
        kind: TICKET_UPDATE,
        fields: &["ticket_id", "event", "due_at", "reason"],
        sms: false,
        about: "news about a ticket: a follow-up, a survey, a new estimate",
    },
    KindSpec {
        kind: "member.login_code",
        fields: &["code", "channel", "expires_at"],
        sms: true,
        about: "a one-time sign-in code",
    },
    KindSpec {
        kind: "member.birthday",
        fields: &["tier", "benefit", "year"],
        sms: false,
        about: "happy birthday, with the tier's birthday benefit",
    },
    KindSpec {
        kind: "change.estimate_ready",
        fields: &["ticket_id", "version", "total"],
        sms: false,
        about: "a change request's estimate awaits the customer's decision",
    },
    KindSpec {
        kind: "change.paid_estimate",
        fields: &["ticket_id", "fee"],
        sms: false,
        about: "on the paid-estimates list: the next estimate costs T-Points",
    },
    KindSpec {
        kind: "change.progress",
        fields: &["ticket_id", "deliver_on", "due_at"],
        sms: false,
        about: "progress of a change request in development: the delivery date holds",
    },
    KindSpec {
        kind: "change.date_moved",
        fields: &[
            "ticket_id",
            "start_on",
            "deliver_on",
            "was_start_on",
            "was_deliver_on",
            "reason",
        ],
        sms: false,
        about: "a change request's planned dates moved, and why",
    },
    KindSpec {
        kind: "application.already_on_file",
        fields: &["applied_at"],
        sms: false,
        about: "someone applied with contact details already on file",
    },
];

/// The spec of a member notice kind.
pub fn spec(kind: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.kind == kind)
}

/// The template kind a queued notice renders with, or `None`: an operational notice to staff.
/// A ticket's clock event is the member's only when it is addressed to the customer; a broadcast's
/// message renders with the broadcast's own texts.
pub fn template_kind(kind: &str, payload: &Value) -> Option<&'static str> {
    if kind == crate::broadcasts::BROADCAST {
        return Some(crate::broadcasts::BROADCAST);
    }
    if let Some(spec) = spec(kind) {
        return Some(spec.kind);
    }
    (kind.starts_with("ticket.") && payload.get("to").and_then(Value::as_str) == Some("customer"))
        .then_some(TICKET_UPDATE)
}

/// The channel a notice must go by, whatever the member prefers: a sign-in code goes where it was
/// asked for.
pub fn fixed_channel(kind: &str, payload: &Value) -> Option<Channel> {
    if kind != "member.login_code" {
        return None;
    }
    match payload.get("channel").and_then(Value::as_str) {
        Some("email") => Some(Channel::Email),
        Some("sms") => Some(Channel::Sms),
        _ => None,
    }
}

/// One message text in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub kind: String,
    pub language: Language,
    pub subject: String,
    pub body: String,
    /// The short text for SMS and WhatsApp (required where the kind goes by SMS; else the body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<String>,
}

/// The programme's templates: one per member kind and language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Templates {
    /// A member without a preference reads this language; a template missing in the member's
    /// language is taken from it.
    pub default_language: Language,
    pub templates: Vec<Template>,
}

/// Longest subject, body and SMS text accepted.
pub(crate) const SUBJECT_MAX: usize = 200;
pub(crate) const BODY_MAX: usize = 4000;
pub(crate) const SMS_MAX: usize = 320;

/// The `{{field}}` names in `text`, in order; an unclosed `{{` or an empty name is an error.
pub fn placeholders(text: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| "a `{{` is not closed with `}}`".to_string())?;
        let name = after[..close].trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("`{{{{{}}}}}` is not a field name", &after[..close]));
        }
        names.push(name.to_string());
        rest = &after[close + 2..];
    }
    Ok(names)
}

impl Template {
    /// Checks the template against its kind: known kind, placeholders among the kind's fields,
    /// lengths, the SMS variant where required. Errors name `prefix.field`.
    fn check(&self, prefix: &str, errors: &mut Errors) {
        let Some(spec) = spec(&self.kind) else {
            errors.add(
                format!("{prefix}.kind"),
                format!("`{}` is not a member notice kind", self.kind),
            );
            return;
        };
        let texts = [
            ("subject", Some(&self.subject), SUBJECT_MAX),
            ("body", Some(&self.body), BODY_MAX),
            ("sms", self.sms.as_ref(), SMS_MAX),
        ];
        for (field, text, max) in texts {
            let at = format!("{prefix}.{field}");
            match text {
                None if spec.sms && field == "sms" => {
                    errors.add(at, format!("required: `{}` goes by SMS", spec.kind))
                }
                None => {}
                Some(text) => check_text(&at, text, max, spec.kind, &fields_of(spec), errors),
            }
        }
    }
}

/// The fields a kind's templates may use.
fn fields_of(spec: &KindSpec) -> Vec<&'static str> {
    COMMON_FIELDS.iter().chain(spec.fields).copied().collect()
}

/// Checks one text of a template (or a broadcast's message) at `at`: 1 to `max` characters, and
/// placeholders among `fields` (what `kind` offers).
pub fn check_text(
    at: &str,
    text: &str,
    max: usize,
    kind: &str,
    fields: &[&str],
    errors: &mut Errors,
) {
    if text.trim().is_empty() || text.chars().count() > max {
        errors.add(at, format!("1 to {max} characters"));
        return;
    }
    match placeholders(text) {
        Err(e) => errors.add(at, e),
        Ok(names) => {
            for name in names.iter().filter(|n| !fields.contains(&n.as_str())) {
                let offered: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
                errors.add(
                    at,
                    format!(
                        "unknown placeholder `{{{{{name}}}}}`: `{kind}` offers {}",
                        offered.join(", ")
                    ),
                );
            }
        }
    }
}

impl Templates {
    /// Every template checked; one per kind and language; every member kind has one in the
    /// default language (so any member can be told).
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        let mut seen = BTreeSet::new();
        for (i, t) in self.templates.iter().enumerate() {
            let prefix = format!("templates[{i}]");
            t.check(&prefix, &mut errors);
            if !seen.insert((t.kind.clone(), t.language)) {
                errors.add(
                    prefix,
                    format!(
                        "a second `{}` template in `{}`",
                        t.kind,
                        t.language.as_str()
                    ),
                );
            }
        }
        for spec in KINDS {
            if !seen.contains(&(spec.kind.to_string(), self.default_language)) {
                errors.add(
                    "templates",
                    format!(
                        "`{}` has no template in the default language `{}`",
                        spec.kind,
                        self.default_language.as_str()
                    ),
                );
            }
        }
        errors.finish(())
    }

    /// The template of `kind` in `language`, else in the default language.
    pub fn find(&self, kind: &str, language: Language) -> Option<&Template> {
        let of = |l: Language| {
            self.templates
                .iter()
                .find(|t| t.kind == kind && t.language == l)
        };
        of(language).or_else(|| of(self.default_language))
    }
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub language: Language,
    pub subject: String,
    pub text: String,
}

/// A field's value as text: strings as they are, numbers and booleans printed, money as
/// `amount currency`, nothing for null.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Object(o) if o.contains_key("amount") && o.contains_key("currency") => {
            format!("{} {}", as_text(&o["amount"]), as_text(&o["currency"]))
        }
        other => other.to_string(),
    }
}

fn fill(text: &str, fields: &serde_json::Map<String, Value>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after
            .find("}}")
            .ok_or_else(|| "a `{{` is not closed with `}}`".to_string())?;
        let name = after[..close].trim();
        let value = fields
            .get(name)
            .ok_or_else(|| format!("the notice has no field `{name}`"))?;
        out.push_str(&as_text(value));
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Renders `template` with the notice's `fields` for `channel` (the SMS variant on short
/// channels, where there is one). A placeholder the notice lacks is an error, never a blank.
pub fn render(
    template: &Template,
    fields: &serde_json::Map<String, Value>,
    channel: Channel,
) -> Result<Message, String> {
    let text = match (&template.sms, channel.short()) {
        (Some(sms), true) => sms,
        _ => &template.body,
    };
    Ok(Message {
        language: template.language,
        subject: fill(&template.subject, fields)?,
        text: fill(text, fields)?,
    })
}

/// Sample fields for a preview: each of the kind's fields named after itself.
pub fn sample_fields(spec: &KindSpec) -> serde_json::Map<String, Value> {
    COMMON_FIELDS
        .iter()
        .chain(spec.fields)
        .map(|f| (f.to_string(), Value::String(format!("<{f}>"))))
        .collect()
}

/// A member's language and channels, in the order to try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preferences {
    pub language: Language,
    pub channels: Vec<Channel>,
}

impl Preferences {
    /// At least one channel, each once.
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        let distinct: BTreeSet<_> = self.channels.iter().collect();
        if self.channels.is_empty() || distinct.len() != self.channels.len() {
            errors.add(
                "channels",
                "one to three of email, sms, whatsapp, each once, in the order to try",
            );
        }
        errors.finish(())
    }
}

/// What a member who never chose gets: the programme's default language, email then SMS.
pub fn default_preferences(templates: &Templates) -> Preferences {
    Preferences {
        language: templates.default_language,
        channels: vec![Channel::Email, Channel::Sms],
    }
}

/// Where a member can be reached, and whether they let third parties carry their messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Consent `third_parties`: WhatsApp carries the message through a third party (seed 004:
    /// member data is shared with third parties only with consent).
    pub third_parties: bool,
}

/// The channels to try for a notice, in order, each with its address: the member's preference (or
/// the fixed channel), less channels without an address or the consent they need. Empty: the
/// member cannot be reached, which the notice records.
pub fn routes(
    preferences: &Preferences,
    reach: &Reach,
    fixed: Option<Channel>,
) -> Vec<(Channel, String)> {
    let order: Vec<Channel> = match fixed {
        Some(c) => vec![c],
        None => preferences.channels.clone(),
    };
    order
        .into_iter()
        .filter_map(|c| {
            let address = match c {
                Channel::Email => reach.email.clone(),
                Channel::Sms => reach.phone.clone(),
                Channel::Whatsapp => reach.phone.clone().filter(|_| reach.third_parties),
            }?;
            Some((c, address))
        })
        .collect()
}

/// Whether a partner's answer refuses a message for good (the address or the message is wrong),
/// so the next channel is tried, rather than later on the same one: a 4xx other than a timeout,
/// a conflict of timing or a rate limit.
pub fn permanent_refusal(status: u16) -> bool {
    (400..500).contains(&status) && !matches!(status, 408 | 409 | 425 | 429)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template(kind: &str, body: &str) -> Template {
        Template {
            kind: kind.into(),
            language: Language::En,
            subject: "Hello {{name}}".into(),
            body: body.into(),
            sms: None,
        }
    }

    #[test]
    fn the_shipped_templates_cover_every_kind_in_three_languages() {
        let t = crate::notice_texts::default_templates();
        assert_eq!(t.validate(), Ok(()));
        for spec in KINDS {
            for language in Language::ALL {
                assert!(
                    t.templates
                        .iter()
                        .any(|x| x.kind == spec.kind && x.language == language),
                    "{} in {}",
                    spec.kind,
                    language.as_str()
                );
            }
        }
    }

    #[test]
    fn unknown_placeholders_and_kinds_are_named() {
        let mut t = crate::notice_texts::default_templates();
        t.templates[0] = Template {
            language: Language::Es,
            ..template("onboarding.approved", "Su caso {{case_id}} {{ secret }}")
        };
        t.templates.push(template("nobody.knows", "x"));
        let last = format!("templates[{}].kind", t.templates.len() - 1);
        let e = t.validate().unwrap_err();
        assert_eq!(e.fields(), vec!["templates[0].body", last.as_str()]);
        let message = &e.as_slice()[0].message;
        assert!(
            message.contains("unknown placeholder `{{secret}}`"),
            "{message}"
        );
        assert!(message.contains("`case_id`"), "{message}");
        assert_eq!(
            placeholders("a {{ b }} c {{d}}"),
            Ok(vec!["b".to_string(), "d".to_string()])
        );
        assert!(placeholders("a {{ b").is_err());
        assert!(placeholders("a {{ b c }}").is_err());
        assert!(Language::parse("fr").unwrap_err().contains("es, en, zh"));
    }

    #[test]
    fn a_kind_that_goes_by_sms_needs_its_sms_text() {
        let mut t = crate::notice_texts::default_templates();
        let i = t
            .templates
            .iter()
            .position(|x| x.kind == "dunning.remind")
            .unwrap();
        t.templates[i].sms = None;
        assert_eq!(
            t.validate().unwrap_err().fields(),
            vec![format!("templates[{i}].sms")]
        );
    }

    #[test]
    fn rendering_fills_fields_and_refuses_a_missing_one() {
        let t = Template {
            sms: Some("Pay {{invoice_id}} by {{due_on}}".into()),
            ..template(
                "dunning.remind",
                "Dear {{name}}, invoice {{invoice_id}} is due {{due_on}}.",
            )
        };
        let fields = json!({"name": "Ana", "invoice_id": 42, "due_on": "2026-12-05"});
        let fields = fields.as_object().unwrap();
        let email = render(&t, fields, Channel::Email).unwrap();
        assert_eq!(email.subject, "Hello Ana");
        assert_eq!(email.text, "Dear Ana, invoice 42 is due 2026-12-05.");
        assert_eq!(
            render(&t, fields, Channel::Sms).unwrap().text,
            "Pay 42 by 2026-12-05"
        );
        let partial = json!({"name": "Ana"});
        assert_eq!(
            render(&t, partial.as_object().unwrap(), Channel::Email).unwrap_err(),
            "the notice has no field `invoice_id`"
        );
    }

    #[test]
    fn a_missing_language_falls_back_to_the_default() {
        let t = Templates {
            default_language: Language::Es,
            templates: vec![Template {
                language: Language::Es,
                ..template("onboarding.approved", "Bienvenido")
            }],
        };
        assert_eq!(
            t.find("onboarding.approved", Language::Zh)
                .map(|x| x.language),
            Some(Language::Es)
        );
        assert_eq!(t.find("membership.revoked", Language::Es), None);
    }

    #[test]
    fn routes_follow_the_preference_less_what_cannot_reach() {
        let prefs = Preferences {
            language: Language::Zh,
            channels: vec![Channel::Whatsapp, Channel::Email, Channel::Sms],
        };
        let reach = Reach {
            email: Some("ana@example.com".into()),
            phone: Some("+34600000000".into()),
            third_parties: false,
        };
        // No third-party consent: no WhatsApp.
        assert_eq!(
            routes(&prefs, &reach, None)
                .iter()
                .map(|r| r.0)
                .collect::<Vec<_>>(),
            vec![Channel::Email, Channel::Sms]
        );
        let consenting = Reach {
            third_parties: true,
            ..reach.clone()
        };
        assert_eq!(routes(&prefs, &consenting, None)[0].0, Channel::Whatsapp);
        assert_eq!(
            routes(&prefs, &reach, Some(Channel::Sms)),
            vec![(Channel::Sms, "+34600000000".to_string())]
        );
        assert!(routes(&prefs, &Reach::default(), None).is_empty());
        assert!(Preferences {
            channels: vec![Channel::Sms, Channel::Sms],
            ..prefs
        }
        .validate()
        .is_err());
    }

    #[test]
    fn staff_notices_stay_staff_notices() {
        assert_eq!(template_kind("order.closed", &json!({})), None);
        assert_eq!(
            template_kind("ticket.follow_up.1", &json!({"to": "customer"})),
            Some(TICKET_UPDATE)
        );
        assert_eq!(
            template_kind("ticket.resolution.breach", &json!({"to": "team"})),
            None
        );
        assert_eq!(
            fixed_channel("member.login_code", &json!({"channel": "sms"})),
            Some(Channel::Sms)
        );
        assert!(permanent_refusal(410) && !permanent_refusal(429) && !permanent_refusal(503));
    }
}
