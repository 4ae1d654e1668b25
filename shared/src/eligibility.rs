//! Who is VIP (docs/domain.md §1, seed 001 "Proceso para definir un cliente como VIP").
//!
//! The rule set is data: rules of four shapes (field equals, field in set,
//! amount greater than, flag set) combined with `any` or `all`. Evaluating it
//! returns the decision, every rule's outcome and a human-readable reason, so a
//! web form or a chat bot can explain why a customer is, or is not, VIP.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::customer::{validate_facts, CustomerFacts, Segment, ServiceDelivery, SupportPlan};
use crate::money::Money;
use crate::validation::Errors;

/// How rule outcomes combine into the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// VIP when at least one rule matches.
    Any,
    /// VIP when every rule matches.
    All,
}

/// A customer fact with a text value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Segment,
    PlanType,
    ServiceDelivery,
    SupportPlan,
}

/// A customer fact with a money value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountField {
    MonthlyPlanAmount,
}

/// A yes/no customer fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    KeyAccount,
    SpecialNegotiation,
}

/// What a rule checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    FieldEquals { field: Field, value: String },
    FieldInSet { field: Field, values: Vec<String> },
    AmountGreaterThan { field: AmountField, amount: Money },
    FlagSet { flag: Flag },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub when: Condition,
}

/// The programme's eligibility configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibilityConfig {
    /// The plan types the business sells; customers with any other are refused.
    pub plan_types: Vec<String>,
    pub combine: Combine,
    pub rules: Vec<Rule>,
}

/// One rule's outcome for one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleOutcome {
    pub rule: String,
    pub description: String,
    pub matched: bool,
    pub reason: String,
}

/// The decision and its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub vip: bool,
    pub combine: Combine,
    /// One sentence for a person.
    pub summary: String,
    /// Ids of the rules that matched.
    pub matched_rules: Vec<String>,
    pub outcomes: Vec<RuleOutcome>,
}

/// Why facts could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvaluationError {
    /// The facts are invalid for this programme (e.g. an unknown plan type).
    InvalidFacts(Errors),
    /// A rule's amount and the customer's amount are in different currencies.
    CurrencyMismatch { rule: String, detail: String },
}

impl Field {
    fn label(self) -> &'static str {
        match self {
            Field::Segment => "segment",
            Field::PlanType => "plan type",
            Field::ServiceDelivery => "service delivery",
            Field::SupportPlan => "support plan",
        }
    }

    fn value(self, facts: &CustomerFacts) -> Option<&str> {
        match self {
            Field::Segment => Some(facts.segment.as_str()),
            Field::PlanType => Some(facts.plan_type.as_str()),
            Field::ServiceDelivery => facts.service_delivery.map(ServiceDelivery::as_str),
            Field::SupportPlan => facts.support_plan.map(SupportPlan::as_str),
        }
    }

    /// The values this field can take in this programme.
    fn allowed(self, plan_types: &[String]) -> Vec<&str> {
        match self {
            Field::Segment => Segment::ALL.to_vec(),
            Field::PlanType => plan_types.iter().map(String::as_str).collect(),
            Field::ServiceDelivery => ServiceDelivery::ALL.to_vec(),
            Field::SupportPlan => SupportPlan::ALL.to_vec(),
        }
    }
}

fn outcome(rule: &Rule, matched: bool, reason: String) -> RuleOutcome {
    RuleOutcome {
        rule: rule.id.clone(),
        description: rule.description.clone(),
        matched,
        reason,
    }
}

fn evaluate_rule(rule: &Rule, facts: &CustomerFacts) -> Result<RuleOutcome, EvaluationError> {
    Ok(match &rule.when {
        Condition::FieldEquals { field, value } => match field.value(facts) {
            None => outcome(rule, false, format!("{} is not known", field.label())),
            Some(actual) if actual == value => {
                outcome(rule, true, format!("{} is {actual}", field.label()))
            }
            Some(actual) => outcome(
                rule,
                false,
                format!("{} is {actual}, not {value}", field.label()),
            ),
        },
        Condition::FieldInSet { field, values } => match field.value(facts) {
            None => outcome(rule, false, format!("{} is not known", field.label())),
            Some(actual) => {
                let matched = values.iter().any(|v| v == actual);
                let relation = if matched { "one of" } else { "not one of" };
                outcome(
                    rule,
                    matched,
                    format!(
                        "{} is {actual}, {relation} {}",
                        field.label(),
                        values.join(", ")
                    ),
                )
            }
        },
        Condition::AmountGreaterThan {
            field: AmountField::MonthlyPlanAmount,
            amount,
        } => {
            let actual = &facts.monthly_plan_amount;
            match actual.compare(amount) {
                Ok(Ordering::Greater) => outcome(
                    rule,
                    true,
                    format!("monthly plan amount {actual} is greater than {amount}"),
                ),
                Ok(_) => outcome(
                    rule,
                    false,
                    format!("monthly plan amount {actual} is not greater than {amount}"),
                ),
                Err(_) => {
                    return Err(EvaluationError::CurrencyMismatch {
                        rule: rule.id.clone(),
                        detail: format!(
                        "the monthly plan amount is in {}, but rule `{}` compares with {amount}",
                        actual.currency(),
                        rule.id
                    ),
                    })
                }
            }
        }
        Condition::FlagSet {
            flag: Flag::KeyAccount,
        } => {
            if facts.key_account {
                outcome(rule, true, "the customer is a key account".into())
            } else {
                outcome(rule, false, "the customer is not a key account".into())
            }
        }
        Condition::FlagSet {
            flag: Flag::SpecialNegotiation,
        } => match &facts.special_negotiation {
            Some(n) => outcome(
                rule,
                true,
                format!(
                    "a special negotiation approved by {} on {} is on record",
                    n.approved_by,
                    n.approved_at.format("%Y-%m-%d")
                ),
            ),
            None => outcome(rule, false, "no special negotiation is on record".into()),
        },
    })
}

impl EligibilityConfig {
    /// Decides whether a customer with these facts is VIP, and why.
    pub fn evaluate(&self, facts: &CustomerFacts) -> Result<Decision, EvaluationError> {
        let mut errors = Errors::new();
        validate_facts(&mut errors, "", facts, &self.plan_types);
        if !errors.is_empty() {
            return Err(EvaluationError::InvalidFacts(errors));
        }
        let outcomes = self
            .rules
            .iter()
            .map(|r| evaluate_rule(r, facts))
            .collect::<Result<Vec<_>, _>>()?;
        let matched_rules: Vec<String> = outcomes
            .iter()
            .filter(|o| o.matched)
            .map(|o| o.rule.clone())
            .collect();
        let vip = match self.combine {
            Combine::Any => !matched_rules.is_empty(),
            Combine::All => matched_rules.len() == outcomes.len(),
        };
        let total = outcomes.len();
        let matched_descriptions: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.matched)
            .map(|o| o.description.as_str())
            .collect();
        let summary = match (vip, self.combine) {
            (true, Combine::Any) => format!(
                "VIP: {} of {total} rules matched ({})",
                matched_rules.len(),
                matched_descriptions.join("; ")
            ),
            (true, Combine::All) => format!("VIP: all {total} rules matched"),
            (false, Combine::Any) => format!("Not VIP: none of the {total} rules matched"),
            (false, Combine::All) => {
                let failed: Vec<&str> = outcomes
                    .iter()
                    .filter(|o| !o.matched)
                    .map(|o| o.description.as_str())
                    .collect();
                format!(
                    "Not VIP: every rule must match and {} did not ({})",
                    failed.len(),
                    failed.join("; ")
                )
            }
        };
        Ok(Decision {
            vip,
            combine: self.combine,
            summary,
            matched_rules,
            outcomes,
        })
    }

    /// Checks the configuration; reports every problem with its field path.
    pub fn validate(&self) -> Result<(), Errors> {
        let mut errors = Errors::new();
        if self.plan_types.is_empty() {
            errors.add("plan_types", "must list at least one plan type");
        }
        for (i, p) in self.plan_types.iter().enumerate() {
            if !is_identifier(p) {
                errors.add(
                    format!("plan_types[{i}]"),
                    "must be lowercase letters, digits and `_`, starting with a letter",
                );
            }
            if self.plan_types.iter().take(i).any(|q| q == p) {
                errors.add(format!("plan_types[{i}]"), format!("`{p}` is listed twice"));
            }
        }
        if self.rules.is_empty() {
            errors.add("rules", "must contain at least one rule");
        }
        if self.rules.len() > MAX_RULES {
            errors.add("rules", format!("at most {MAX_RULES} rules"));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let at = format!("rules[{i}]");
            if !is_identifier(&rule.id) {
                errors.add(
                    format!("{at}.id"),
                    "must be lowercase letters, digits and `_`, starting with a letter",
                );
            }
            if self.rules.iter().take(i).any(|r| r.id == rule.id) {
                errors.add(
                    format!("{at}.id"),
                    format!("`{}` is used by another rule", rule.id),
                );
            }
            if rule.description.trim().is_empty() || rule.description.chars().count() > 200 {
                errors.add(format!("{at}.description"), "must be 1 to 200 characters");
            }
            match &rule.when {
                Condition::FieldEquals { field, value } => check_value(
                    &mut errors,
                    &format!("{at}.when.value"),
                    *field,
                    value,
                    &self.plan_types,
                ),
                Condition::FieldInSet { field, values } => {
                    if values.is_empty() {
                        errors.add(format!("{at}.when.values"), "must list at least one value");
                    }
                    for (j, v) in values.iter().enumerate() {
                        check_value(
                            &mut errors,
                            &format!("{at}.when.values[{j}]"),
                            *field,
                            v,
                            &self.plan_types,
                        );
                    }
                }
                Condition::AmountGreaterThan { amount, .. } => {
                    if amount.is_negative() {
                        errors.add(format!("{at}.when.amount.amount"), "must not be negative");
                    }
                }
                Condition::FlagSet { .. } => {}
            }
        }
        errors.finish(())
    }
}

const MAX_RULES: usize = 50;

fn is_identifier(s: &str) -> bool {
    s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn check_value(errors: &mut Errors, at: &str, field: Field, value: &str, plan_types: &[String]) {
    let allowed = field.allowed(plan_types);
    if !allowed.contains(&value) {
        errors.add(
            at,
            format!(
                "`{value}` is not a {}; expected one of {}",
                field.label(),
                allowed.join(", ")
            ),
        );
    }
}

/// The defaults of docs/domain.md §1: VIP when ANY holds: Dedicated or Corporate
/// plan; an ISP; monthly plan amount strictly greater than 500.00; a special
/// negotiation on record. The currency is the programme's (USD by default,
/// the seed's `$500.00`).
pub fn default_config() -> EligibilityConfig {
    let usd_500 = Money::from_minor(50_000, crate::money::Currency::USD);
    EligibilityConfig {
        plan_types: ["dedicated", "corporate", "business", "residential"]
            .map(String::from)
            .to_vec(),
        combine: Combine::Any,
        rules: vec![
            Rule {
                id: "dedicated_or_corporate_plan".into(),
                description: "Plan is Dedicated or Corporate".into(),
                when: Condition::FieldInSet {
                    field: Field::PlanType,
                    values: vec!["dedicated".into(), "corporate".into()],
                },
            },
            Rule {
                id: "isp_customer".into(),
                description: "The customer is an ISP".into(),
                when: Condition::FieldEquals {
                    field: Field::Segment,
                    value: "isp".into(),
                },
            },
            Rule {
                id: "monthly_plan_over_500".into(),
                description: "Monthly plan amount is greater than 500.00".into(),
                when: Condition::AmountGreaterThan {
                    field: AmountField::MonthlyPlanAmount,
                    amount: usd_500,
                },
            },
            Rule {
                id: "special_negotiation".into(),
                description: "A special negotiation with the company is on record".into(),
                when: Condition::FlagSet {
                    flag: Flag::SpecialNegotiation,
                },
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::SpecialNegotiation;
    use chrono::TimeZone;

    fn facts(json: &str) -> CustomerFacts {
        let base = serde_json::json!({
            "segment": "consumer", "plan_type": "residential",
            "monthly_plan_amount": {"amount": "50.00", "currency": "USD"},
        });
        let mut merged = base.as_object().cloned().unwrap_or_default();
        if let Ok(serde_json::Value::Object(extra)) =
            serde_json::from_str::<serde_json::Value>(json)
        {
            merged.extend(extra);
        }
        serde_json::from_value(serde_json::Value::Object(merged)).unwrap()
    }

    fn decide(json: &str) -> Decision {
        default_config().evaluate(&facts(json)).unwrap()
    }

    #[test]
    fn the_default_configuration_is_valid() {
        assert_eq!(default_config().validate(), Ok(()));
    }

    #[test]
    fn an_ordinary_customer_is_not_vip_and_every_rule_says_why() {
        let d = decide("{}");
        assert!(!d.vip);
        assert!(d.matched_rules.is_empty());
        assert_eq!(d.summary, "Not VIP: none of the 4 rules matched");
        let reasons: Vec<&str> = d.outcomes.iter().map(|o| o.reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "plan type is residential, not one of dedicated, corporate",
                "segment is consumer, not isp",
                "monthly plan amount 50.00 USD is not greater than 500.00 USD",
                "no special negotiation is on record",
            ]
        );
    }

    #[test]
    fn each_default_rule_alone_makes_a_vip() {
        for (json, rule) in [
            (
                r#"{"plan_type":"dedicated"}"#,
                "dedicated_or_corporate_plan",
            ),
            (
                r#"{"plan_type":"corporate"}"#,
                "dedicated_or_corporate_plan",
            ),
            (r#"{"segment":"isp"}"#, "isp_customer"),
            (
                r#"{"monthly_plan_amount":{"amount":"900.00","currency":"USD"}}"#,
                "monthly_plan_over_500",
            ),
            (
                r#"{"special_negotiation":{"approved_by":"CFO","approved_at":"2026-01-05T10:00:00Z"}}"#,
                "special_negotiation",
            ),
        ] {
            let d = decide(json);
            assert!(d.vip, "{json}");
            assert_eq!(d.matched_rules, vec![rule.to_string()], "{json}");
            assert!(
                d.summary.starts_with("VIP: 1 of 4 rules matched"),
                "{}",
                d.summary
            );
        }
    }

    #[test]
    fn the_amount_boundary_is_strictly_greater_than_500() {
        let at = |a: &str| {
            decide(&format!(
                r#"{{"monthly_plan_amount":{{"amount":"{a}","currency":"USD"}}}}"#
            ))
            .vip
        };
        assert!(!at("500.00"));
        assert!(!at("500"));
        assert!(at("500.01"));
        assert!(!at("499.99"));
    }

    #[test]
    fn the_special_negotiation_reason_names_who_and_when() {
        let mut f = facts("{}");
        f.special_negotiation = Some(SpecialNegotiation {
            approved_by: "Director of Sales".into(),
            approved_at: chrono::Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap(),
            note: String::new(),
        });
        let d = default_config().evaluate(&f).unwrap();
        let o = d
            .outcomes
            .iter()
            .find(|o| o.rule == "special_negotiation")
            .unwrap();
        assert_eq!(
            o.reason,
            "a special negotiation approved by Director of Sales on 2025-03-01 is on record"
        );
    }

    #[test]
    fn unknown_plan_types_are_refused_not_guessed() {
        let err = default_config()
            .evaluate(&facts(r#"{"plan_type":"platinum_plus"}"#))
            .unwrap_err();
        match err {
            EvaluationError::InvalidFacts(e) => {
                assert_eq!(e.as_slice()[0].field, "plan_type");
                assert!(e.as_slice()[0].message.contains("platinum_plus"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_currency_mismatch_is_an_error_naming_the_rule() {
        let err = default_config()
            .evaluate(&facts(
                r#"{"monthly_plan_amount":{"amount":"900.00","currency":"EUR"}}"#,
            ))
            .unwrap_err();
        assert!(
            matches!(err, EvaluationError::CurrencyMismatch { ref rule, .. } if rule == "monthly_plan_over_500"),
            "{err:?}"
        );
    }

    #[test]
    fn all_requires_every_rule_and_unknown_facts_do_not_match() {
        let mut config = default_config();
        config.combine = Combine::All;
        config.rules.truncate(2);
        let d = config
            .evaluate(&facts(r#"{"plan_type":"dedicated","segment":"isp"}"#))
            .unwrap();
        assert!(d.vip);
        assert_eq!(d.summary, "VIP: all 2 rules matched");
        let d = config
            .evaluate(&facts(r#"{"plan_type":"dedicated"}"#))
            .unwrap();
        assert!(!d.vip);
        assert!(
            d.summary.contains("The customer is an ISP"),
            "{}",
            d.summary
        );

        config.rules = vec![Rule {
            id: "gold_support".into(),
            description: "Gold support".into(),
            when: Condition::FieldEquals {
                field: Field::SupportPlan,
                value: "gold".into(),
            },
        }];
        let d = config.evaluate(&facts("{}")).unwrap();
        assert_eq!(d.outcomes[0].reason, "support plan is not known");
        assert!(
            config
                .evaluate(&facts(r#"{"support_plan":"gold"}"#))
                .unwrap()
                .vip
        );
    }

    #[test]
    fn key_account_flag_rule() {
        let mut config = default_config();
        config.rules = vec![Rule {
            id: "key".into(),
            description: "Key account".into(),
            when: Condition::FlagSet {
                flag: Flag::KeyAccount,
            },
        }];
        assert!(
            config
                .evaluate(&facts(r#"{"key_account":true}"#))
                .unwrap()
                .vip
        );
        assert!(!config.evaluate(&facts("{}")).unwrap().vip);
    }

    #[test]
    fn configuration_errors_are_all_reported_with_paths() {
        let config: EligibilityConfig = serde_json::from_value(serde_json::json!({
            "plan_types": ["dedicated", "dedicated", "Bad Type"],
            "combine": "any",
            "rules": [
                {"id": "a", "description": "", "when": {"kind": "field_equals", "field": "segment", "value": "bank"}},
                {"id": "a", "description": "dup", "when": {"kind": "field_in_set", "field": "plan_type", "values": []}},
                {"id": "Bad", "description": "x", "when": {"kind": "field_in_set", "field": "plan_type", "values": ["corporate"]}},
                {"id": "neg", "description": "x", "when": {"kind": "amount_greater_than", "field": "monthly_plan_amount",
                    "amount": {"amount": "-1.00", "currency": "USD"}}}
            ]
        }))
        .unwrap();
        let errors = config.validate().unwrap_err();
        let fields = errors.fields();
        assert_eq!(
            fields,
            [
                "plan_types[1]",
                "plan_types[2]",
                "rules[0].description",
                "rules[0].when.value",
                "rules[1].id",
                "rules[1].when.values",
                "rules[2].id",
                "rules[2].when.values[0]",
                "rules[3].when.amount.amount",
            ]
        );
        let empty = EligibilityConfig {
            plan_types: vec![],
            combine: Combine::Any,
            rules: vec![],
        };
        assert_eq!(empty.validate().unwrap_err().into_vec().len(), 2);
    }

    #[test]
    fn unknown_rule_shapes_are_refused_by_the_parser() {
        let bad = serde_json::json!({"id": "x", "description": "x", "when": {"kind": "regex_match", "field": "segment"}});
        assert!(serde_json::from_value::<Rule>(bad).is_err());
        let extra = serde_json::json!({"id": "x", "description": "x", "when": {"kind": "flag_set", "flag": "key_account", "x": 1}});
        assert!(serde_json::from_value::<Rule>(extra).is_err());
    }
}
