//! Every operation of the API, in one table: which component serves it, who
//! may call it, and whether it accepts `Idempotency-Key`. Components bind a
//! handler to each of their operations (`router::serve`); the end-to-end tests
//! check this table against `api/openapi.json` and against the live server.

use crate::auth::Role;

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a key (health, the OpenAPI document).
    Public,
    /// A partner's webhook: no bearer key, a Standard Webhooks signature
    /// instead, checked by the handler (`crate::webhooks::receive`).
    Signed,
    /// Callers whose key is bound to one of these roles.
    Roles(&'static [Role]),
}

#[derive(Debug, Clone, Copy)]
pub struct Operation {
    pub component: &'static str,
    pub method: &'static str,
    /// Path template: `{name}` captures one segment.
    pub path: &'static str,
    pub access: Access,
    /// Accepts `Idempotency-Key`: a retry with the same key returns the first result.
    pub idempotent: bool,
}

impl Operation {
    /// Whether `other` is this operation (the same method on the same path).
    pub fn is(&self, other: &Operation) -> bool {
        self.method == other.method && self.path == other.path
    }
}

const STAFF: Access = Access::Roles(&[Role::Staff]);
const CUSTOMER_READERS: Access = Access::Roles(&[
    Role::Staff,
    Role::CustomerSuccess,
    Role::ProgramManager,
    Role::Webform,
    Role::Chatbot,
]);
const CHECKERS: Access = Access::Roles(&[
    Role::Webform,
    Role::Chatbot,
    Role::Staff,
    Role::CustomerSuccess,
    Role::ProgramManager,
]);

const SCHEDULERS: Access = Access::Roles(&[Role::Scheduler, Role::Staff]);
const LIST_READERS: Access = Access::Roles(&[
    Role::Staff,
    Role::Scheduler,
    Role::CustomerSuccess,
    Role::ProgramManager,
]);

const CASE_READERS: Access =
    Access::Roles(&[Role::Staff, Role::CustomerSuccess, Role::ProgramManager]);
const REVIEWERS: Access = Access::Roles(&[Role::CustomerSuccess]);
const APPROVERS: Access = Access::Roles(&[Role::ProgramManager]);
const DECIDERS: Access = Access::Roles(&[Role::CustomerSuccess, Role::ProgramManager]);

const TIER_READERS: Access = Access::Roles(&[Role::Staff, Role::ProgramManager]);
/// Spend is recorded by staff tills and by partners' point-of-sale systems.
const SPEND_RECORDERS: Access = Access::Roles(&[Role::Staff, Role::Partner]);
const CARD_ISSUERS: Access = Access::Roles(&[Role::Staff, Role::ProgramManager]);
/// A point of sale verifies cards: partners, staff, and the web form / chat bot.
const CARD_VERIFIERS: Access = Access::Roles(&[
    Role::Partner,
    Role::Staff,
    Role::CustomerSuccess,
    Role::Webform,
    Role::Chatbot,
]);
/// A loss is reported to staff who check the member's identity (004).
const LOSS_TAKERS: Access = Access::Roles(&[Role::Staff, Role::CustomerSuccess]);

/// Members redeem through the web form and the chat bot, or at a staff desk.
const REDEEMERS: Access = Access::Roles(&[Role::Webform, Role::Chatbot, Role::Staff]);
/// Manual reviews are decided by staff and the programme manager (seed 000 SOP-003).
const REDEMPTION_DECIDERS: Access = Access::Roles(&[Role::Staff, Role::ProgramManager]);

/// Customers open tickets through the web form and the chat bot; staff only
/// write up change requests after a requirements meeting (002 §8.1).
const TICKET_OPENERS: Access = Access::Roles(&[Role::Webform, Role::Chatbot, Role::Staff]);

/// The customer's side replies and reopens; the team answers, asks, escalates, resolves, closes.
const TICKET_EVENT_SENDERS: Access = Access::Roles(&[
    Role::Staff,
    Role::CustomerSuccess,
    Role::Webform,
    Role::Chatbot,
]);

/// Promises to pay come through the customer's channels, staff and customer success.
const COMMITMENT_TAKERS: Access = Access::Roles(&[
    Role::Staff,
    Role::CustomerSuccess,
    Role::Webform,
    Role::Chatbot,
]);

/// Customers ask to leave through their channels, staff and customer success.
const LEAVE_TAKERS: Access = Access::Roles(&[
    Role::Staff,
    Role::CustomerSuccess,
    Role::Webform,
    Role::Chatbot,
]);
/// Sales (staff) or customer success record that a customer was kept.
const RETAINERS: Access = Access::Roles(&[Role::Staff, Role::CustomerSuccess]);

/// Declares one named constant per operation (`POST_REDEMPTIONS`), which
/// components bind their handlers to and cron entries call, and
/// [`OPERATIONS`], every one of them: each route is typed once, here.
macro_rules! operations {
    ($($name:ident = ($component:literal, $method:literal, $path:literal, $access:expr, $idempotent:literal),)*) => {
        $(
            #[doc = concat!("`", $method, " ", $path, "`, served by `", $component, "`.")]
            pub const $name: Operation = Operation {
                component: $component,
                method: $method,
                path: $path,
                access: $access,
                idempotent: $idempotent,
            };
        )*

        /// Every operation, one row each.
        pub const OPERATIONS: &[Operation] = &[$($name),*];
    };
}

#[rustfmt::skip]
operations! {
    // name                                component       method    path                                             who may call          Idempotency-Key
    GET_HEALTH                          = ("members",      "GET",    "/api/v1/health",                                Access::Public,       false),
    GET_OPENAPI_JSON                    = ("members",      "GET",    "/api/v1/openapi.json",                          Access::Public,       false),
    PUT_CUSTOMER                        = ("members",      "PUT",    "/api/v1/customers/{id}",                        STAFF,                false),
    GET_CUSTOMER                        = ("members",      "GET",    "/api/v1/customers/{id}",                        CUSTOMER_READERS,     false),
    POST_ELIGIBILITY_CHECK              = ("members",      "POST",   "/api/v1/eligibility/check",                     CHECKERS,             true),
    GET_PROGRAM_ELIGIBILITY_RULES       = ("members",      "GET",    "/api/v1/program/eligibility-rules",             STAFF,                false),
    PUT_PROGRAM_ELIGIBILITY_RULES       = ("members",      "PUT",    "/api/v1/program/eligibility-rules",             STAFF,                false),
    POST_ELIGIBILITY_MONTH_END          = ("members",      "POST",   "/api/v1/eligibility/month-end",                 SCHEDULERS,           false),
    GET_ELIGIBILITY_MONTH_END           = ("members",      "GET",    "/api/v1/eligibility/month-end",                 LIST_READERS,         false),
    GET_ONBOARDING_CASES                = ("members",      "GET",    "/api/v1/onboarding/cases",                      CASE_READERS,         false),
    GET_ONBOARDING_CASE                 = ("members",      "GET",    "/api/v1/onboarding/cases/{id}",                 CASE_READERS,         false),
    POST_ONBOARDING_CASE_REVIEW         = ("members",      "POST",   "/api/v1/onboarding/cases/{id}/review",          REVIEWERS,            false),
    POST_ONBOARDING_CASE_APPROVE        = ("members",      "POST",   "/api/v1/onboarding/cases/{id}/approve",         APPROVERS,            false),
    POST_ONBOARDING_CASE_REJECT         = ("members",      "POST",   "/api/v1/onboarding/cases/{id}/reject",          DECIDERS,             false),
    GET_PROGRAM_TIERS                   = ("members",      "GET",    "/api/v1/program/tiers",                         TIER_READERS,         false),
    PUT_PROGRAM_TIERS                   = ("members",      "PUT",    "/api/v1/program/tiers",                         STAFF,                false),
    POST_MEMBER_PURCHASES               = ("members",      "POST",   "/api/v1/members/{id}/purchases",                SPEND_RECORDERS,      true),
    GET_MEMBER_TIER                     = ("members",      "GET",    "/api/v1/members/{id}/tier",                     CUSTOMER_READERS,     false),
    POST_MEMBERS_TIER_REVIEW            = ("members",      "POST",   "/api/v1/members/tier-review",                   SCHEDULERS,           false),
    POST_CARDS                          = ("cards",        "POST",   "/api/v1/cards",                                 CARD_ISSUERS,         true),
    GET_CARDS                           = ("cards",        "GET",    "/api/v1/cards",                                 CUSTOMER_READERS,     false),
    GET_CARDS_VERIFICATION_KEY          = ("cards",        "GET",    "/api/v1/cards/verification-key",                Access::Public,       false),
    POST_CARDS_VERIFY                   = ("cards",        "POST",   "/api/v1/cards/verify",                          CARD_VERIFIERS,       false),
    POST_CARDS_ORDERS_RUN               = ("cards",        "POST",   "/api/v1/cards/orders/run",                      SCHEDULERS,           false),
    GET_CARD                            = ("cards",        "GET",    "/api/v1/cards/{number}",                        CUSTOMER_READERS,     false),
    POST_CARD_REPORT_LOST               = ("cards",        "POST",   "/api/v1/cards/{number}/report-lost",            LOSS_TAKERS,          true),
    GET_PROGRAM_POINTS                  = ("rewards",      "GET",    "/api/v1/program/points",                        TIER_READERS,         false),
    PUT_PROGRAM_POINTS                  = ("rewards",      "PUT",    "/api/v1/program/points",                        STAFF,                false),
    GET_MEMBER_POINTS                   = ("rewards",      "GET",    "/api/v1/members/{id}/points",                   CUSTOMER_READERS,     false),
    POST_MEMBER_POINTS_ADJUSTMENTS      = ("rewards",      "POST",   "/api/v1/members/{id}/points/adjustments",       STAFF,                true),
    POST_POINTS_EXPIRY                  = ("rewards",      "POST",   "/api/v1/points/expiry",                         SCHEDULERS,           false),
    POST_REWARDS                        = ("rewards",      "POST",   "/api/v1/rewards",                               STAFF,                false),
    GET_REWARDS                         = ("rewards",      "GET",    "/api/v1/rewards",                               CUSTOMER_READERS,     false),
    GET_REWARD                          = ("rewards",      "GET",    "/api/v1/rewards/{reward}",                      CUSTOMER_READERS,     false),
    PUT_REWARD                          = ("rewards",      "PUT",    "/api/v1/rewards/{reward}",                      STAFF,                false),
    POST_REWARD_STOCK                   = ("rewards",      "POST",   "/api/v1/rewards/{reward}/stock",                STAFF,                false),
    POST_REDEMPTIONS                    = ("rewards",      "POST",   "/api/v1/redemptions",                           REDEEMERS,            true),
    GET_REDEMPTIONS                     = ("rewards",      "GET",    "/api/v1/redemptions",                           CUSTOMER_READERS,     false),
    GET_REDEMPTION                      = ("rewards",      "GET",    "/api/v1/redemptions/{redemption}",              CUSTOMER_READERS,     false),
    POST_REDEMPTION_APPROVE             = ("rewards",      "POST",   "/api/v1/redemptions/{redemption}/approve",      REDEMPTION_DECIDERS,  false),
    POST_REDEMPTION_REJECT              = ("rewards",      "POST",   "/api/v1/redemptions/{redemption}/reject",       REDEMPTION_DECIDERS,  false),
    POST_REDEMPTION_FULFIL              = ("rewards",      "POST",   "/api/v1/redemptions/{redemption}/fulfil",       REDEMPTION_DECIDERS,  false),
    POST_REDEMPTION_CANCEL              = ("rewards",      "POST",   "/api/v1/redemptions/{redemption}/cancel",       REDEEMERS,            false),
    GET_CALENDARS                       = ("tickets",      "GET",    "/api/v1/calendars",                             CASE_READERS,         false),
    GET_CALENDAR                        = ("tickets",      "GET",    "/api/v1/calendars/{calendar}",                  CASE_READERS,         false),
    PUT_CALENDAR                        = ("tickets",      "PUT",    "/api/v1/calendars/{calendar}",                  STAFF,                false),
    DELETE_CALENDAR                     = ("tickets",      "DELETE", "/api/v1/calendars/{calendar}",                  STAFF,                false),
    GET_CALENDAR_DEADLINE               = ("tickets",      "GET",    "/api/v1/calendars/{calendar}/deadline",         CASE_READERS,         false),
    GET_PROGRAM_TICKETS                 = ("tickets",      "GET",    "/api/v1/program/tickets",                       TIER_READERS,         false),
    PUT_PROGRAM_TICKETS                 = ("tickets",      "PUT",    "/api/v1/program/tickets",                       STAFF,                false),
    POST_TICKETS                        = ("tickets",      "POST",   "/api/v1/tickets",                               TICKET_OPENERS,       true),
    GET_TICKETS_QUEUE                   = ("tickets",      "GET",    "/api/v1/tickets/queue",                         CASE_READERS,         false),
    POST_TICKETS_SLA_SWEEP              = ("tickets",      "POST",   "/api/v1/tickets/sla-sweep",                     SCHEDULERS,           false),
    GET_TICKET                          = ("tickets",      "GET",    "/api/v1/tickets/{ticket}",                      CUSTOMER_READERS,     false),
    GET_TICKET_SLA                      = ("tickets",      "GET",    "/api/v1/tickets/{ticket}/sla",                  CUSTOMER_READERS,     false),
    POST_TICKET_EVENTS                  = ("tickets",      "POST",   "/api/v1/tickets/{ticket}/events",               TICKET_EVENT_SENDERS, false),
    GET_TICKET_HISTORY                  = ("tickets",      "GET",    "/api/v1/tickets/{ticket}/history",              CASE_READERS,         false),
    POST_TICKET_SPLIT                   = ("tickets",      "POST",   "/api/v1/tickets/{ticket}/split",                STAFF,                false),
    GET_PROGRAM_COLLECTIONS             = ("collections",  "GET",    "/api/v1/program/collections",                   TIER_READERS,         false),
    PUT_PROGRAM_COLLECTIONS             = ("collections",  "PUT",    "/api/v1/program/collections",                   STAFF,                false),
    POST_INVOICES                       = ("collections",  "POST",   "/api/v1/invoices",                              STAFF,                false),
    POST_INVOICES_ISSUE                 = ("collections",  "POST",   "/api/v1/invoices/issue",                        SCHEDULERS,           false),
    GET_INVOICE                         = ("collections",  "GET",    "/api/v1/invoices/{invoice}",                    CASE_READERS,         false),
    POST_INVOICE_RECEIPT                = ("collections",  "POST",   "/api/v1/invoices/{invoice}/receipt",            STAFF,                false),
    POST_INVOICE_PAYMENTS               = ("collections",  "POST",   "/api/v1/invoices/{invoice}/payments",           STAFF,                false),
    POST_INVOICE_COMMITMENTS            = ("collections",  "POST",   "/api/v1/invoices/{invoice}/commitments",        COMMITMENT_TAKERS,    false),
    GET_CUSTOMER_COLLECTIONS_PREVIEW    = ("collections",  "GET",    "/api/v1/customers/{id}/collections/preview",    CASE_READERS,         false),
    POST_DUNNING_RUNS                   = ("collections",  "POST",   "/api/v1/dunning/runs",                          SCHEDULERS,           false),
    POST_WEBHOOKS_PAYMENTS              = ("collections",  "POST",   "/api/v1/webhooks/payments",                     Access::Signed,       false),
    GET_PROGRAM_SUSPENSION              = ("suspension",   "GET",    "/api/v1/program/suspension",                    TIER_READERS,         false),
    PUT_PROGRAM_SUSPENSION              = ("suspension",   "PUT",    "/api/v1/program/suspension",                    STAFF,                false),
    GET_CUSTOMER_SERVICE                = ("suspension",   "GET",    "/api/v1/customers/{id}/service",                CASE_READERS,         false),
    POST_CUSTOMER_SERVICE_RECONNECTION  = ("suspension",   "POST",   "/api/v1/customers/{id}/service/reconnection",   STAFF,                false),
    POST_CUSTOMER_SERVICE_DISCONNECTION = ("suspension",   "POST",   "/api/v1/customers/{id}/service/disconnection",  LEAVE_TAKERS,         false),
    POST_CUSTOMER_SERVICE_POWERED_OFF   = ("suspension",   "POST",   "/api/v1/customers/{id}/service/powered-off",    STAFF,                false),
    POST_CUSTOMER_SERVICE_RETAINED      = ("suspension",   "POST",   "/api/v1/customers/{id}/service/retained",       RETAINERS,            false),
    GET_SERVICE_ORDER                   = ("suspension",   "GET",    "/api/v1/service-orders/{order}",                CASE_READERS,         false),
    POST_SUSPENSION_RUNS                = ("suspension",   "POST",   "/api/v1/suspension/runs",                       SCHEDULERS,           false),
    POST_NOTICES_RUNS                   = ("notices",      "POST",   "/api/v1/notices/runs",                          SCHEDULERS,           false),
    POST_WEBHOOKS_SERVICE_ORDERS        = ("suspension",   "POST",   "/api/v1/webhooks/service-orders",               Access::Signed,       false),
}
