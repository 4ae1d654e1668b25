//! The `members` component: customers, the programme's eligibility rules,
//! "is this customer VIP, and why?", onboarding, the tier ladder, members
//! and their purchases, and the month-end VIP list. A thin shell: it parses, authorises
//! (through the route table), calls `vip_domain`, and persists.
//! (No `forbid(unsafe_code)` here: spin-sdk's export macro emits the
//! component's `unsafe` ABI glue; this crate's own code has none.)

mod applications;
mod birthdays;
mod check;
mod customers;
mod members;
mod membership;
mod month_end;
mod onboarding;
mod privacy;
mod program;
mod sessions;
mod tasks;

use spin_sdk::http::{IncomingRequest, IntoResponse, Response};
use spin_sdk::http_component;
use vip_domain::month_end::Month;
use vip_kit::{api, Binding, Ctx, Problem};

/// This component's handlers for its operations in `vip_kit::api::OPERATIONS`.
const HANDLERS: &[Binding] = &[
    (&api::GET_HEALTH, health),
    (&api::GET_OPENAPI_JSON, openapi),
    (&api::POST_SESSION_CODES, sessions::request_code),
    (&api::POST_SESSIONS, sessions::sign_in),
    (&api::POST_SESSION_RENEW, sessions::renew),
    (&api::DELETE_SESSION, sessions::sign_out),
    (&api::GET_ME, sessions::me),
    (&api::POST_APPLICATIONS, applications::post),
    (&api::GET_ME_TIER, members::tier),
    (&api::GET_ME_EXPORT, privacy::export),
    (&api::GET_CUSTOMER_EXPORT, privacy::export),
    (&api::POST_ME_ERASURE, privacy::erase),
    (&api::GET_ME_CONSENTS, privacy::consents),
    (&api::PUT_ME_CONSENTS, privacy::put_consents),
    (&api::POST_CUSTOMER_ERASURE, privacy::erase),
    (&api::PUT_ME_CONTACT, sessions::put_contact),
    (&api::POST_CUSTOMER_SESSIONS, sessions::on_behalf),
    (&api::PUT_CUSTOMER, customers::put),
    (&api::GET_CUSTOMER, customers::get),
    (&api::POST_ELIGIBILITY_CHECK, check::post),
    (&api::GET_PROGRAM_ELIGIBILITY_RULES, program::get),
    (&api::PUT_PROGRAM_ELIGIBILITY_RULES, program::put),
    (&api::GET_PROGRAM_TIERS, program::get_tiers),
    (&api::GET_PROGRAM_SESSIONS, program::get_sessions),
    (&api::PUT_PROGRAM_SESSIONS, program::put_sessions),
    (&api::PUT_PROGRAM_TIERS, program::put_tiers),
    (&api::POST_MEMBER_PURCHASES, members::record_purchase),
    (&api::GET_MEMBER_TIER, members::tier),
    (&api::POST_MEMBERS_TIER_REVIEW, members::review),
    (&api::GET_MEMBER_MEMBERSHIP, membership::get),
    (&api::GET_ME_MEMBERSHIP, membership::get),
    (&api::POST_MEMBER_MEMBERSHIP_SUSPENSION, membership::suspend),
    (
        &api::POST_MEMBER_MEMBERSHIP_REACTIVATION,
        membership::reactivate,
    ),
    (&api::POST_MEMBER_MEMBERSHIP_EXIT, membership::exit),
    (&api::POST_ME_MEMBERSHIP_EXIT, membership::exit),
    (&api::POST_MEMBER_MEMBERSHIP_REVOCATION, membership::revoke),
    (&api::POST_ELIGIBILITY_MONTH_END, month_end::post),
    (&api::GET_ELIGIBILITY_MONTH_END, month_end::get),
    (&api::GET_ONBOARDING_CASES, onboarding::list),
    (&api::GET_ONBOARDING_CASE, onboarding::get),
    (&api::POST_ONBOARDING_CASE_REVIEW, onboarding::review),
    (&api::POST_ONBOARDING_CASE_APPROVE, onboarding::approve),
    (&api::POST_ONBOARDING_CASE_REJECT, onboarding::reject),
    (&api::GET_PROGRAM_ONBOARDING_TASKS, tasks::program),
    (&api::PUT_PROGRAM_ONBOARDING_TASKS, tasks::replace_program),
    (&api::GET_ONBOARDING_TASKS, tasks::list),
    (&api::PUT_CUSTOMER_BIRTH_DATE, birthdays::put),
    (&api::PUT_ME_BIRTH_DATE, birthdays::put),
    (&api::POST_MEMBERS_BIRTHDAYS_RUNS, birthdays::run),
    (&api::POST_ONBOARDING_TASK_ASSIGNMENT, tasks::assign),
    (&api::POST_ONBOARDING_TASK_COMPLETION, tasks::complete),
];

#[http_component]
async fn handle(req: IncomingRequest) -> impl IntoResponse {
    vip_kit::serve(req, "members", HANDLERS, vip_store::ownership::owner_of).await
}

fn health(_: &mut Ctx<'_>) -> Result<Response, Problem> {
    let database = vip_kit::db::Db::open()
        .and_then(|db| vip_store::customers::ping(&db))
        .is_ok();
    let (status, body) = if database {
        (200, serde_json::json!({ "status": "ok", "database": "ok" }))
    } else {
        (
            503,
            serde_json::json!({ "status": "degraded", "database": "unavailable" }),
        )
    };
    Ok(vip_kit::json(status, &body))
}

/// The OpenAPI 3.1 document of the whole API.
const OPENAPI: &str = include_str!("../../../api/openapi.json");

fn openapi(_: &mut Ctx<'_>) -> Result<Response, Problem> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(OPENAPI)
        .build())
}

// Daily: the tier review, the birthdays, then the month-end VIP list for
// the month just ended (answered as it was if already made).
vip_kit::cron_component!(HANDLERS, |event| {
    event.call(&api::POST_MEMBERS_TIER_REVIEW, "")?;
    event.call(&api::POST_MEMBERS_BIRTHDAYS_RUNS, "")?;
    event.call(
        &api::POST_ELIGIBILITY_MONTH_END,
        &format!("month={}", Month::last_closed(event.as_of)),
    )
});

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_a_handler_and_every_handler_an_operation() {
        vip_kit::router::assert_bound("members", super::HANDLERS);
    }
}
