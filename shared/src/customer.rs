//! Customers (accounts): the facts the programme's rules look at, plus the
//! contact data that is personal (PII) and shown only to roles allowed to see it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::validation::Errors;

/// A customer id as the operator's systems assign it: 1 to 64 of `A-Z a-z 0-9 . _ -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CustomerId(String);

impl CustomerId {
    pub fn parse(id: &str) -> Result<Self, String> {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
        if ok {
            Ok(CustomerId(id.to_string()))
        } else {
            Err("customer ids are 1 to 64 letters, digits, `.`, `_` or `-`".into())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Isp,
    Business,
    Consumer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceDelivery {
    /// Delivered on our own infrastructure.
    Direct,
    /// Delivered through a partner's network.
    ThirdParty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SupportPlan {
    Bronze,
    Silver,
    Gold,
    Platinum,
}

impl Segment {
    pub const ALL: [&'static str; 3] = ["isp", "business", "consumer"];
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Isp => "isp",
            Segment::Business => "business",
            Segment::Consumer => "consumer",
        }
    }
}

impl ServiceDelivery {
    pub const ALL: [&'static str; 2] = ["direct", "third_party"];
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceDelivery::Direct => "direct",
            ServiceDelivery::ThirdParty => "third_party",
        }
    }
}

impl SupportPlan {
    pub const ALL: [&'static str; 4] = ["platinum", "gold", "silver", "bronze"];
    pub fn as_str(self) -> &'static str {
        match self {
            SupportPlan::Platinum => "platinum",
            SupportPlan::Gold => "gold",
            SupportPlan::Silver => "silver",
            SupportPlan::Bronze => "bronze",
        }
    }
}

/// A special negotiation with the company, on record: who approved it, when, why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecialNegotiation {
    pub approved_by: String,
    pub approved_at: DateTime<Utc>,
    #[serde(default)]
    pub note: String,
}

/// The facts eligibility rules look at. In a web-form preview the visitor may
/// not know the delivery or the support plan; a rule on an unknown fact does not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerFacts {
    pub segment: Segment,
    pub plan_type: String,
    pub monthly_plan_amount: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_delivery: Option<ServiceDelivery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_plan: Option<SupportPlan>,
    #[serde(default)]
    pub key_account: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub special_negotiation: Option<SpecialNegotiation>,
    /// The business calendar this customer's tickets are counted on, when it
    /// is not their support plan's (a customer in another region).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_calendar: Option<String>,
}

/// Contact data: personal, returned only to roles allowed to see it, never logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// A customer as written by staff (`PUT /customers/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    pub legal_name: String,
    pub facts: CustomerFacts,
    #[serde(default)]
    pub contact: Contact,
}

const MAX_TEXT: usize = 200;

fn check_text(errors: &mut Errors, field: &str, value: &str, required: bool) {
    if required && value.trim().is_empty() {
        errors.add(field, "must not be empty");
    } else if value.chars().count() > MAX_TEXT {
        errors.add(field, format!("must be at most {MAX_TEXT} characters"));
    }
}

/// Checks facts against the programme's known plan types and the money rules.
pub fn validate_facts(
    errors: &mut Errors,
    prefix: &str,
    facts: &CustomerFacts,
    plan_types: &[String],
) {
    if !plan_types.contains(&facts.plan_type) {
        errors.add(
            format!("{prefix}plan_type"),
            format!(
                "unknown plan type `{}`; known: {}",
                facts.plan_type,
                plan_types.join(", ")
            ),
        );
    }
    if facts.monthly_plan_amount.is_negative() {
        errors.add(
            format!("{prefix}monthly_plan_amount.amount"),
            "must not be negative",
        );
    }
    if let Some(c) = &facts.support_calendar {
        if !crate::calendar::is_calendar_id(c) {
            errors.add(
                format!("{prefix}support_calendar"),
                "must be a calendar id: 1 to 64 lowercase letters, digits and dashes",
            );
        }
    }
    if let Some(n) = &facts.special_negotiation {
        check_text(
            errors,
            &format!("{prefix}special_negotiation.approved_by"),
            &n.approved_by,
            true,
        );
        check_text(
            errors,
            &format!("{prefix}special_negotiation.note"),
            &n.note,
            false,
        );
    }
}

impl Customer {
    /// Validates a customer for storage: stored customers must state their
    /// delivery and support plan, which a preview may leave unknown.
    pub fn validate(&self, plan_types: &[String]) -> Result<(), Errors> {
        let mut errors = Errors::new();
        check_text(&mut errors, "legal_name", &self.legal_name, true);
        validate_facts(&mut errors, "facts.", &self.facts, plan_types);
        if self.facts.service_delivery.is_none() {
            errors.add(
                "facts.service_delivery",
                format!("is required: one of {}", ServiceDelivery::ALL.join(", ")),
            );
        }
        if self.facts.support_plan.is_none() {
            errors.add(
                "facts.support_plan",
                format!("is required: one of {}", SupportPlan::ALL.join(", ")),
            );
        }
        self.contact.check(&mut errors, "contact.");
        errors.finish(())
    }
}

impl Contact {
    /// Adds what is wrong with these contact details to `errors`, each field
    /// named after `prefix` (`contact.` in a customer).
    pub fn check(&self, errors: &mut Errors, prefix: &str) {
        for (field, value) in [("name", &self.name), ("phone", &self.phone)] {
            if let Some(v) = value {
                check_text(errors, &format!("{prefix}{field}"), v, false);
            }
        }
        if let Some(email) = &self.email {
            let valid = email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace)
            });
            if !valid || email.len() > MAX_TEXT {
                errors.add(format!("{prefix}email"), "is not an email address");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_types() -> Vec<String> {
        ["dedicated", "corporate", "business", "residential"]
            .map(String::from)
            .to_vec()
    }

    fn customer(json: &str) -> Customer {
        serde_json::from_str(json).unwrap()
    }

    const VALID: &str = r#"{"legal_name":"Acme","facts":{"segment":"business","plan_type":"business",
        "monthly_plan_amount":{"amount":"120.00","currency":"USD"},"service_delivery":"direct",
        "support_plan":"gold"},"contact":{"email":"ops@acme.test"}}"#;

    #[test]
    fn a_valid_customer_passes() {
        assert_eq!(customer(VALID).validate(&plan_types()), Ok(()));
    }

    #[test]
    fn every_mistake_is_reported_with_its_field() {
        let bad = VALID
            .replace(r#""legal_name":"Acme""#, r#""legal_name":" ""#)
            .replace(r#""plan_type":"business""#, r#""plan_type":"gold-plated""#)
            .replace(r#""amount":"120.00""#, r#""amount":"-1.00""#)
            .replace(r#""service_delivery":"direct","#, "")
            .replace("ops@acme.test", "not-an-email");
        let errors = customer(&bad).validate(&plan_types()).unwrap_err();
        let fields = errors.fields();
        assert_eq!(
            fields,
            [
                "legal_name",
                "facts.plan_type",
                "facts.monthly_plan_amount.amount",
                "facts.service_delivery",
                "contact.email"
            ]
        );
    }

    #[test]
    fn unknown_fields_and_values_are_refused_by_the_parser() {
        assert!(
            serde_json::from_str::<Customer>(&VALID.replace("\"segment\"", "\"segmnt\"")).is_err()
        );
        assert!(serde_json::from_str::<Customer>(
            &VALID.replace("\"business\",\"plan", "\"bank\",\"plan")
        )
        .is_err());
    }

    #[test]
    fn customer_ids() {
        assert!(CustomerId::parse("C-001.a_b").is_ok());
        assert!(CustomerId::parse("").is_err());
        assert!(CustomerId::parse("a/b").is_err());
        assert!(CustomerId::parse(&"x".repeat(65)).is_err());
    }
}
