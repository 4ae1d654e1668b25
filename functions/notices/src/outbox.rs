//! Delivery of the notice outbox (every component's notices: onboarding,
//! tickets, dunning, orders, retention, membership). At least once: a notice
//! is marked delivered only after a partner accepted it, and a failed one is
//! tried again after the programme's backoff; its outbox id is its
//! `webhook-id`, so the receiver drops a repeat (after a crash between the
//! call and the mark, or a run fired twice).
//!
//! A notice to staff goes to the notification webhook as it is. A notice to
//! a member (`vip_domain::notices::template_kind`) is rendered from the
//! programme's template in the member's language and sent to the partner
//! endpoint of the first channel of their preference that can reach them
//! (`vip_domain::notices::routes`); a channel that refuses it for good hands
//! it to the next. A template that cannot be rendered is a failure recorded
//! on the notice (and retried once staff fix it), never a silent drop.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use vip_domain::broadcasts::{BroadcastRequest, BROADCAST};
use vip_domain::customer::CustomerId;
use vip_domain::notices::{
    fixed_channel, permanent_refusal, render, routes, template_kind, Channel, Language, Template,
    Templates,
};
use vip_domain::suspension::SuspensionProgram;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::outbound::Endpoint;
use vip_kit::Problem;
use vip_store::notices::{Attempt, Delivery, Notice, TEMPLATES};

/// The secret every notification endpoint verifies the signature with.
const SECRET: &str = "notification_webhook_secret";

/// The variable holding each endpoint's URL: staff notices, then each channel's.
fn url_variable(channel: Option<Channel>) -> &'static str {
    match channel {
        None => "notification_url",
        Some(Channel::Email) => "notification_email_url",
        Some(Channel::Sms) => "notification_sms_url",
        Some(Channel::Whatsapp) => "notification_whatsapp_url",
    }
}

/// Endpoints configured on first use in a run.
#[derive(Default)]
struct Endpoints(HashMap<&'static str, Endpoint>);

impl Endpoints {
    fn get(&mut self, channel: Option<Channel>) -> Result<&Endpoint, Problem> {
        let variable = url_variable(channel);
        if !self.0.contains_key(variable) {
            self.0
                .insert(variable, Endpoint::configured(variable, SECRET)?);
        }
        self.0
            .get(variable)
            .ok_or_else(|| Problem::internal("an endpoint vanished"))
    }
}

/// One run's settings and endpoints.
struct Sender<'a> {
    db: &'a Db,
    templates: Templates,
    /// Each broadcast's texts, read once a run.
    broadcasts: HashMap<i64, Templates>,
    endpoints: Endpoints,
    now: DateTime<Utc>,
    timeout: Duration,
}

impl Sender<'_> {
    /// The template a member notice renders with in `language`: the
    /// programme's for its kind, or its broadcast's own texts.
    fn template(
        &mut self,
        kind: &str,
        notice: &Notice,
        language: Language,
    ) -> Result<Option<Template>, Problem> {
        if kind != BROADCAST {
            return Ok(self.templates.find(kind, language).cloned());
        }
        let Some(id) = notice.payload.get("broadcast_id").and_then(Value::as_i64) else {
            return Ok(None);
        };
        if !self.broadcasts.contains_key(&id) {
            let Some(b) = vip_store::broadcasts::find(self.db, id)? else {
                return Ok(None);
            };
            let texts = BroadcastRequest::templates(&b.messages, self.templates.default_language);
            self.broadcasts.insert(id, texts);
        }
        Ok(self
            .broadcasts
            .get(&id)
            .and_then(|t| t.find(kind, language))
            .cloned())
    }

    fn envelope(notice: &Notice, extra: Value) -> Vec<u8> {
        let mut data = json!({
            "notice_id": notice.id,
            "customer_id": notice.customer.as_ref().map(CustomerId::as_str),
            "notice": notice.payload,
        });
        if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
            data.extend(extra);
        }
        json!({
            "type": notice.kind,
            "timestamp": timestamp_text(notice.created_at),
            "data": data,
        })
        .to_string()
        .into_bytes()
    }

    fn send_to_staff(&mut self, notice: &Notice) -> Result<Attempt, Problem> {
        let body = Self::envelope(notice, json!({}));
        let (now, timeout) = (self.now, self.timeout);
        Ok(
            match self
                .endpoints
                .get(None)?
                .post(&notice.id, &body, now, timeout)
            {
                Ok(()) => Attempt::Delivered { route: None },
                Err(error) => Attempt::Failed { error, route: None },
            },
        )
    }

    fn send_to_member(
        &mut self,
        notice: &Notice,
        customer: &CustomerId,
        kind: &str,
    ) -> Result<Attempt, Problem> {
        let Some((name, reach)) = vip_store::notices::reach(self.db, customer)? else {
            return Ok(Attempt::GaveUp {
                reason: format!("customer `{}` is not on file", customer.as_str()),
            });
        };
        let preferences = vip_store::notices::preferences(self.db, customer, &self.templates)?;
        let fixed = fixed_channel(&notice.kind, &notice.payload);
        let routes = routes(&preferences, &reach, fixed);
        if routes.is_empty() {
            let wanted: Vec<&str> = fixed
                .map_or(preferences.channels.clone(), |c| vec![c])
                .iter()
                .map(|c| c.as_str())
                .collect();
            return Ok(Attempt::GaveUp {
                reason: format!(
                    "the member cannot be reached: none of {} has an address on file and the consent it needs",
                    wanted.join(", ")
                ),
            });
        }
        let Some(template) = self.template(kind, notice, preferences.language)? else {
            return Ok(Attempt::Failed {
                error: format!("no `{kind}` template"),
                route: None,
            });
        };
        let mut fields = notice.payload.as_object().cloned().unwrap_or_default();
        fields.insert("name".into(), Value::String(name));
        fields.insert("customer_id".into(), customer.as_str().into());
        let (now, timeout) = (self.now, self.timeout);
        let mut refusals = Vec::new();
        for (channel, address) in routes {
            let route = Some((channel, template.language));
            let message = match render(&template, &fields, channel) {
                Ok(m) => m,
                Err(e) => {
                    return Ok(Attempt::Failed {
                        error: format!("template `{kind}` ({}): {e}", template.language.as_str()),
                        route,
                    })
                }
            };
            let body = Self::envelope(
                notice,
                json!({"channel": channel, "to": address, "message": message}),
            );
            match self
                .endpoints
                .get(Some(channel))?
                .call(&notice.id, &body, now, timeout)
            {
                Ok(()) => return Ok(Attempt::Delivered { route }),
                Err(f) if f.status.is_some_and(permanent_refusal) => {
                    refusals.push(format!("{}: {}", channel.as_str(), f.message));
                }
                Err(f) => {
                    return Ok(Attempt::Failed {
                        error: f.message,
                        route,
                    })
                }
            }
        }
        Ok(Attempt::GaveUp {
            reason: format!("every channel refused it for good: {}", refusals.join("; ")),
        })
    }
}

/// Delivers every notice due by `as_of` (never tried, or its retry due), signed at `now`.
pub fn deliver(
    db: &Db,
    program: &SuspensionProgram,
    as_of: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Delivery, Problem> {
    let mut sender = Sender {
        db,
        templates: TEMPLATES.load(db, now)?.document,
        broadcasts: HashMap::new(),
        endpoints: Endpoints::default(),
        now,
        timeout: program.call_timeout(),
    };
    vip_store::notices::deliver(db, &program.retry, as_of, now, |notice| {
        match (
            notice.customer.as_ref(),
            template_kind(&notice.kind, &notice.payload),
        ) {
            (Some(customer), Some(kind)) => sender.send_to_member(notice, customer, kind),
            _ => sender.send_to_staff(notice),
        }
    })
}
