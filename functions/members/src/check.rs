//! `POST /api/v1/eligibility/check`: by customer id (the decision is recorded
//! with its reasons), or by facts in the body (a web-form "am I eligible?"
//! preview, recorded nowhere).

use serde::{Deserialize, Serialize};
use spin_sdk::http::Response;
use vip_domain::customer::{CustomerFacts, CustomerId};
use vip_domain::eligibility::{Decision, EvaluationError};
use vip_domain::validation::{Errors, FieldError};
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};

use crate::customers;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    #[serde(default)]
    customer_id: Option<String>,
    #[serde(default)]
    facts: Option<CustomerFacts>,
}

#[derive(Serialize)]
struct CheckResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    decision_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_id: Option<String>,
    /// The onboarding case a VIP decision opened (or the one already open).
    #[serde(skip_serializing_if = "Option::is_none")]
    onboarding_case_id: Option<i64>,
    preview: bool,
    evaluated_at: String,
    rules_version: i64,
    #[serde(flatten)]
    decision: Decision,
}

pub(crate) fn evaluation_problem(e: EvaluationError, prefix: &str) -> Problem {
    match e {
        EvaluationError::InvalidFacts(errors) => {
            let mut prefixed = Errors::new();
            for f in errors.into_vec() {
                prefixed.add(format!("{prefix}{}", f.field), f.message);
            }
            Problem::validation(prefixed)
        }
        EvaluationError::CurrencyMismatch { rule, detail } => Problem {
            errors: vec![FieldError {
                field: format!("{prefix}monthly_plan_amount.currency"),
                message: format!("does not match the currency of rule `{rule}`"),
            }],
            ..Problem::unprocessable("currency-mismatch", "Currencies do not match", detail)
        },
    }
}

pub fn post(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let request: CheckRequest = read_json(ctx.req)?;
    let db = Db::open()?;
    let program = vip_store::customers::RULES.load(&db, ctx.now)?;
    let evaluated_at = timestamp_text(ctx.now);
    match (request.customer_id, request.facts) {
        (Some(id), None) => {
            let id = CustomerId::parse(&id).map_err(|m| Problem::field("customer_id", m))?;
            let facts = customers::facts(&db, &id)?;
            let decision = program
                .document
                .evaluate(&facts)
                .map_err(|e| evaluation_problem(e, "facts."))?;
            let decision_id =
                vip_store::customers::record_decision(&db, ctx, &id, &decision, program.version)?;
            let onboarding_case_id = if decision.vip {
                crate::onboarding::open_for(&db, &id, decision_id, ctx)?
            } else {
                None
            };
            Ok(vip_kit::json(
                200,
                &CheckResponse {
                    decision_id: Some(decision_id),
                    customer_id: Some(id.as_str().into()),
                    onboarding_case_id,
                    preview: false,
                    evaluated_at,
                    rules_version: program.version,
                    decision,
                },
            ))
        }
        (None, Some(facts)) => {
            let decision = program
                .document
                .evaluate(&facts)
                .map_err(|e| evaluation_problem(e, "facts."))?;
            Ok(vip_kit::json(
                200,
                &CheckResponse {
                    decision_id: None,
                    customer_id: None,
                    onboarding_case_id: None,
                    preview: true,
                    evaluated_at,
                    rules_version: program.version,
                    decision,
                },
            ))
        }
        _ => Err(Problem::field(
            "body",
            "give exactly one of `customer_id` or `facts`",
        )),
    }
}
