//! Support channels as programme data (seed 000 §5.2, seed 003): when each
//! channel takes a contact, and the answer time VIP members are promised
//! through it. The VIP phone line is open 08:00–20:00 every day, and at any
//! hour for tiers whose benefits include a 24/7 line (gold and above by
//! default); VIP email is answered within 2 hours; the emergency line is
//! always open (and starts at L3, `crate::levels`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::calendar::{is_calendar_id, Schedule};
use crate::sla::Span;
use crate::tickets::Channel;
use crate::validation::Errors;

/// One channel's rule.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelRule {
    /// The calendar of its opening hours; `None`: always open.
    #[serde(default)]
    pub hours: Option<String>,
    /// A member whose tier has the 24/7 phone benefit reaches it at any hour.
    #[serde(default)]
    pub open_24x7_for_tier_benefit: bool,
    /// The first answer a VIP member (one with a tier) is promised through
    /// this channel; the stricter of it and the plan's target applies.
    #[serde(default)]
    pub vip_first_response: Option<Span>,
}

/// Every channel's rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channels {
    pub web_form: ChannelRule,
    pub chat_bot: ChannelRule,
    pub email: ChannelRule,
    pub phone: ChannelRule,
    pub live_chat: ChannelRule,
    pub whatsapp: ChannelRule,
    pub emergency_line: ChannelRule,
}

/// The calendar the default phone hours are kept in.
pub const VIP_PHONE_CALENDAR: &str = "vip-phone";

pub fn default_channels() -> Channels {
    Channels {
        web_form: ChannelRule::default(),
        chat_bot: ChannelRule::default(),
        email: ChannelRule {
            vip_first_response: Some(Span::Minutes(120)),
            ..ChannelRule::default()
        },
        phone: ChannelRule {
            hours: Some(VIP_PHONE_CALENDAR.into()),
            open_24x7_for_tier_benefit: true,
            vip_first_response: None,
        },
        live_chat: ChannelRule::default(),
        whatsapp: ChannelRule::default(),
        emergency_line: ChannelRule::default(),
    }
}

impl Channels {
    pub fn rule(&self, channel: Channel) -> &ChannelRule {
        match channel {
            Channel::WebForm => &self.web_form,
            Channel::ChatBot => &self.chat_bot,
            Channel::Email => &self.email,
            Channel::Phone => &self.phone,
            Channel::LiveChat => &self.live_chat,
            Channel::WhatsApp => &self.whatsapp,
            Channel::EmergencyLine => &self.emergency_line,
        }
    }

    /// Every channel's rule, by name.
    pub fn all(&self) -> [(&'static str, &ChannelRule); 7] {
        [
            ("web_form", &self.web_form),
            ("chat_bot", &self.chat_bot),
            ("email", &self.email),
            ("phone", &self.phone),
            ("live_chat", &self.live_chat),
            ("whatsapp", &self.whatsapp),
            ("emergency_line", &self.emergency_line),
        ]
    }

    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        for (name, rule) in self.all() {
            if rule.hours.as_deref().is_some_and(|id| !is_calendar_id(id)) {
                errors.add(
                    format!("channels.{name}.hours"),
                    "must be a calendar id (a-z, 0-9, -)",
                );
            }
        }
        errors.finish(())
    }
}

/// What the caller knows of the member behind a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// A VIP member (holds a tier).
    pub member: bool,
    /// Their tier's benefits include the 24/7 phone line.
    pub phone_24x7: bool,
}

/// Whether `rule` takes a contact from `caller` at `at`: `hours` is the
/// compiled calendar of the channel's hours, when it has some.
pub fn is_open(
    rule: &ChannelRule,
    hours: Option<&Schedule>,
    caller: Caller,
    at: DateTime<Utc>,
) -> bool {
    if rule.open_24x7_for_tier_benefit && caller.phone_24x7 {
        return true;
    }
    hours.is_none_or(|h| h.is_open(at))
}

/// The first-response target through `rule` for `caller`: the plan's, or the
/// channel's VIP promise when that is stricter (same clock, same units).
pub fn first_response_minutes(
    rule: &ChannelRule,
    caller: Caller,
    plan_minutes: i64,
    natural: bool,
    business_day_hours: u32,
) -> i64 {
    match rule.vip_first_response.filter(|_| caller.member) {
        Some(span) => plan_minutes.min(span.duration(natural, business_day_hours).num_minutes()),
        None => plan_minutes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_phone_line_keeps_its_hours_except_for_tiers_with_the_24x7_benefit() {
        let channels = default_channels();
        assert!(channels.validate().is_ok());
        let hours = Calendar::vip_phone_hours().compile();
        let phone = channels.rule(Channel::Phone);
        let silver = Caller {
            member: true,
            phone_24x7: false,
        };
        let gold = Caller {
            member: true,
            phone_24x7: true,
        };
        // Sunday 29 Nov 2026: 19:59 Madrid open, 20:00 closed; gold at any hour.
        assert!(is_open(
            phone,
            Some(&hours),
            silver,
            t("2026-11-29T18:59:00Z")
        ));
        assert!(!is_open(
            phone,
            Some(&hours),
            silver,
            t("2026-11-29T19:00:00Z")
        ));
        assert!(is_open(
            phone,
            Some(&hours),
            gold,
            t("2026-11-29T23:30:00Z")
        ));
        let web = channels.rule(Channel::WebForm);
        assert!(is_open(web, None, silver, t("2026-11-29T23:30:00Z")));
    }

    #[test]
    fn vip_email_is_answered_within_two_hours() {
        let channels = default_channels();
        let email = channels.rule(Channel::Email);
        let member = Caller {
            member: true,
            phone_24x7: false,
        };
        let customer = Caller {
            member: false,
            phone_24x7: false,
        };
        assert_eq!(first_response_minutes(email, member, 480, false, 9), 120);
        assert_eq!(first_response_minutes(email, member, 60, false, 9), 60);
        assert_eq!(first_response_minutes(email, customer, 480, false, 9), 480);
    }
}
