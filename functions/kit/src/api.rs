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
    /// A member with a member token (`Authorization: Bearer vipm_…`), for
    /// their own data (`/api/v1/me/…`); no API key. The router gives the
    /// handler the member as the `{id}` path parameter, so `/me/points`
    /// runs the handler of `/members/{id}/points` for the member alone.
    Member,
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
    /// Whose data a `webform` or `chatbot` caller touches: such a caller
    /// sends `X-Member-Token` and acts only on that member.
    pub scope: Scope,
}

/// Which member an operation is about, for the roles that act for one
/// member (`webform`, `chatbot`), and for a member's own operations
/// (`Access::Member`: what the path names must be theirs; a body is given
/// their `customer_id`). Staff roles are not scoped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// About no one member (the rewards catalogue, a card check at a till).
    Open,
    /// About the member who owns the path parameter; `{id}` is the customer.
    Path(&'static str),
    /// About the member the JSON body's `customer_id` names, when it names one.
    Body,
    /// A list: filtered to the member (`?customer_id=` may name only them).
    List,
}

impl Scope {
    /// How the OpenAPI document says it (`x-member-token`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Open => "none",
            Scope::Path(_) => "required",
            Scope::Body => "when-naming-a-customer",
            Scope::List => "required",
        }
    }
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

/// Who sets the programme's report targets and limits.
const TARGET_SETTERS: Access = Access::Roles(&[Role::Staff, Role::ProgramManager]);

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

/// Customers open tickets through the web form and the chat bot, and by
/// email through the gateway (scheduler); staff log customers' calls and
/// write up change requests after a requirements meeting (002 §8.1).
const TICKET_OPENERS: Access =
    Access::Roles(&[Role::Webform, Role::Chatbot, Role::Staff, Role::Scheduler]);

/// The customer's side replies and reopens; the team answers, asks, escalates, resolves, closes.
const TICKET_EVENT_SENDERS: Access = Access::Roles(&[
    Role::Staff,
    Role::CustomerSuccess,
    Role::Webform,
    Role::Chatbot,
]);

/// The team works tickets: assigns, reassigns, reclassifies.
const TICKET_WORKERS: Access = Access::Roles(&[Role::Staff, Role::CustomerSuccess]);

/// Survey answers come from the customer's channels, or staff taking one by phone.
const SURVEY_TAKERS: Access = Access::Roles(&[Role::Webform, Role::Chatbot, Role::Staff]);

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
/// Staff, customer success and the programme manager suspend and reactivate memberships.
const MEMBERSHIP_KEEPERS: Access =
    Access::Roles(&[Role::Staff, Role::CustomerSuccess, Role::ProgramManager]);
/// Sales (staff) or customer success record that a customer was kept.
const RETAINERS: Access = Access::Roles(&[Role::Staff, Role::CustomerSuccess]);
/// A desk or call-centre agent acting for a member whose identity they have
/// checked: opens a member session for them, exports or erases their data
/// (audited).
const ASSISTERS: Access = Access::Roles(&[Role::Staff, Role::CustomerSuccess]);

/// Declares one named constant per operation (`POST_REDEMPTIONS`), which
/// components bind their handlers to and cron entries call, and
/// [`OPERATIONS`], every one of them: each route is typed once, here.
macro_rules! operations {
    ($($name:ident = ($component:literal, $method:literal, $path:literal, $access:expr, $idempotent:literal, $scope:expr),)*) => {
        $(
            #[doc = concat!("`", $method, " ", $path, "`, served by `", $component, "`.")]
            pub const $name: Operation = Operation {
                component: $component,
                method: $method,
                path: $path,
                access: $access,
                idempotent: $idempotent,
                scope: $scope,
            };
        )*

        /// Every operation, one row each.
        pub const OPERATIONS: &[Operation] = &[$($name),*];
    };
}

#[rustfmt::skip]
operations! {
    // name                                component       method    path                                             who may call          Idempotency-Key  a web form or chat bot acts for
    GET_HEALTH                          = ("members",      "GET",    "/api/v1/health",                                Access::Public,       false, Scope::Open),
    GET_OPENAPI_JSON                    = ("members",      "GET",    "/api/v1/openapi.json",                          Access::Public,       false, Scope::Open),
    POST_SESSION_CODES                  = ("members",      "POST",   "/api/v1/sessions/codes",                        Access::Public,       false, Scope::Open),
    POST_SESSIONS                       = ("members",      "POST",   "/api/v1/sessions",                              Access::Public,       false, Scope::Open),
    POST_SESSION_RENEW                  = ("members",      "POST",   "/api/v1/sessions/current/renew",                Access::Member,       false, Scope::Open),
    DELETE_SESSION                      = ("members",      "DELETE", "/api/v1/sessions/current",                      Access::Member,       false, Scope::Open),
    POST_APPLICATIONS                   = ("members",      "POST",   "/api/v1/applications",                          Access::Public,       false, Scope::Open),
    GET_ME                              = ("members",      "GET",    "/api/v1/me",                                    Access::Member,       false, Scope::Open),
    PUT_ME_CONTACT                      = ("members",      "PUT",    "/api/v1/me/contact",                            Access::Member,       false, Scope::Open),
    GET_ME_EXPORT                       = ("members",      "GET",    "/api/v1/me/export",                             Access::Member,       false, Scope::Open),
    GET_CUSTOMER_EXPORT                 = ("members",      "GET",    "/api/v1/customers/{id}/export",                 ASSISTERS,            false, Scope::Open),
    POST_ME_ERASURE                     = ("members",      "POST",   "/api/v1/me/erasure",                            Access::Member,       false, Scope::Open),
    POST_CUSTOMER_ERASURE               = ("members",      "POST",   "/api/v1/customers/{id}/erasure",                ASSISTERS,            false, Scope::Open),
    GET_ME_CONSENTS                     = ("members",      "GET",    "/api/v1/me/consents",                           Access::Member,       false, Scope::Open),
    PUT_ME_CONSENTS                     = ("members",      "PUT",    "/api/v1/me/consents",                           Access::Member,       false, Scope::Open),
    GET_ME_TIER                         = ("members",      "GET",    "/api/v1/me/tier",                               Access::Member,       false, Scope::Open),
    GET_ME_MEMBERSHIP                   = ("members",      "GET",    "/api/v1/me/membership",                         Access::Member,       false, Scope::Open),
    GET_ME_NOTICE_PREFERENCES           = ("notices",      "GET",    "/api/v1/me/notice-preferences",                 Access::Member,       false, Scope::Open),
    PUT_ME_NOTICE_PREFERENCES           = ("notices",      "PUT",    "/api/v1/me/notice-preferences",                 Access::Member,       false, Scope::Open),
    POST_ME_MEMBERSHIP_EXIT             = ("members",      "POST",   "/api/v1/me/membership/exit",                    Access::Member,       false, Scope::Open),
    PUT_ME_BIRTH_DATE                   = ("members",      "PUT",    "/api/v1/me/birth-date",                         Access::Member,       false, Scope::Open),
    GET_ME_CARDS                        = ("cards",        "GET",    "/api/v1/me/cards",                              Access::Member,       false, Scope::Open),
    GET_ME_POINTS                       = ("rewards",      "GET",    "/api/v1/me/points",                             Access::Member,       false, Scope::Open),
    GET_ME_REWARDS                      = ("rewards",      "GET",    "/api/v1/me/rewards",                            Access::Member,       false, Scope::Open),
    POST_ME_REDEMPTIONS                 = ("rewards",      "POST",   "/api/v1/me/redemptions",                        Access::Member,       true,  Scope::Body),
    POST_ME_REDEMPTION_CANCEL           = ("rewards",      "POST",   "/api/v1/me/redemptions/{redemption}/cancel",    Access::Member,       false, Scope::Path("redemption")),
    POST_ME_TICKETS                     = ("tickets",      "POST",   "/api/v1/me/tickets",                            Access::Member,       true,  Scope::Body),
    GET_ME_TICKETS                      = ("tickets",      "GET",    "/api/v1/me/tickets",                            Access::Member,       false, Scope::Open),
    GET_ME_INVOICES                     = ("collections",  "GET",    "/api/v1/me/invoices",                           Access::Member,       false, Scope::Open),
    GET_ME_TICKET                       = ("tickets",      "GET",    "/api/v1/me/tickets/{ticket}",                   Access::Member,       false, Scope::Path("ticket")),
    POST_ME_TICKET_EVENTS               = ("tickets",      "POST",   "/api/v1/me/tickets/{ticket}/events",            Access::Member,       false, Scope::Path("ticket")),
    GET_ME_TICKET_MESSAGES              = ("tickets",      "GET",    "/api/v1/me/tickets/{ticket}/messages",          Access::Member,       false, Scope::Path("ticket")),
    POST_ME_TICKET_MESSAGES             = ("tickets",      "POST",   "/api/v1/me/tickets/{ticket}/messages",          Access::Member,       true,  Scope::Path("ticket")),
    POST_ME_TICKET_SURVEY               = ("tickets",      "POST",   "/api/v1/me/tickets/{ticket}/survey",            Access::Member,       false, Scope::Path("ticket")),
    POST_ME_CARD_REPORT_LOST            = ("cards",        "POST",   "/api/v1/me/cards/{number}/report-lost",         Access::Member,       true,  Scope::Path("number")),
    GET_ME_INVOICE                      = ("collections",  "GET",    "/api/v1/me/invoices/{invoice}",                 Access::Member,       false, Scope::Path("invoice")),
    POST_ME_INVOICE_COMMITMENTS         = ("collections",  "POST",   "/api/v1/me/invoices/{invoice}/commitments",     Access::Member,       false, Scope::Path("invoice")),
    GET_ME_REDEMPTIONS                  = ("rewards",      "GET",    "/api/v1/me/redemptions",                        Access::Member,       false, Scope::Open),
    GET_ME_SERVICE                      = ("suspension",   "GET",    "/api/v1/me/service",                            Access::Member,       false, Scope::Open),
    PUT_CUSTOMER                        = ("members",      "PUT",    "/api/v1/customers/{id}",                        STAFF,                false, Scope::Open),
    POST_CUSTOMER_SESSIONS              = ("members",      "POST",   "/api/v1/customers/{id}/sessions",               ASSISTERS,            false, Scope::Open),
    GET_CUSTOMER                        = ("members",      "GET",    "/api/v1/customers/{id}",                        CUSTOMER_READERS,     false, Scope::Path("id")),
    POST_ELIGIBILITY_CHECK              = ("members",      "POST",   "/api/v1/eligibility/check",                     CHECKERS,             true, Scope::Body),
    GET_PROGRAM_ELIGIBILITY_RULES       = ("members",      "GET",    "/api/v1/program/eligibility-rules",             STAFF,                false, Scope::Open),
    PUT_PROGRAM_ELIGIBILITY_RULES       = ("members",      "PUT",    "/api/v1/program/eligibility-rules",             STAFF,                false, Scope::Open),
    POST_ELIGIBILITY_MONTH_END          = ("members",      "POST",   "/api/v1/eligibility/month-end",                 SCHEDULERS,           false, Scope::Open),
    GET_ELIGIBILITY_MONTH_END           = ("members",      "GET",    "/api/v1/eligibility/month-end",                 LIST_READERS,         false, Scope::Open),
    GET_ONBOARDING_CASES                = ("members",      "GET",    "/api/v1/onboarding/cases",                      CASE_READERS,         false, Scope::Open),
    GET_ONBOARDING_CASE                 = ("members",      "GET",    "/api/v1/onboarding/cases/{id}",                 CASE_READERS,         false, Scope::Open),
    POST_ONBOARDING_CASE_REVIEW         = ("members",      "POST",   "/api/v1/onboarding/cases/{id}/review",          REVIEWERS,            false, Scope::Open),
    POST_ONBOARDING_CASE_APPROVE        = ("members",      "POST",   "/api/v1/onboarding/cases/{id}/approve",         APPROVERS,            false, Scope::Open),
    POST_ONBOARDING_CASE_REJECT         = ("members",      "POST",   "/api/v1/onboarding/cases/{id}/reject",          DECIDERS,             false, Scope::Open),
    GET_PROGRAM_ONBOARDING_TASKS        = ("members",      "GET",    "/api/v1/program/onboarding-tasks",              CASE_READERS,         false, Scope::Open),
    PUT_PROGRAM_ONBOARDING_TASKS        = ("members",      "PUT",    "/api/v1/program/onboarding-tasks",              TARGET_SETTERS,       false, Scope::Open),
    GET_ONBOARDING_TASKS                = ("members",      "GET",    "/api/v1/onboarding/tasks",                      CASE_READERS,         false, Scope::Open),
    POST_ONBOARDING_TASK_ASSIGNMENT     = ("members",      "POST",   "/api/v1/onboarding/tasks/{task}/assignment",    CASE_READERS,         false, Scope::Open),
    POST_ONBOARDING_TASK_COMPLETION     = ("members",      "POST",   "/api/v1/onboarding/tasks/{task}/completion",    CASE_READERS,         false, Scope::Open),
    GET_PROGRAM_SESSIONS                = ("members",      "GET",    "/api/v1/program/sessions",                      TIER_READERS,         false, Scope::Open),
    PUT_PROGRAM_SESSIONS                = ("members",      "PUT",    "/api/v1/program/sessions",                      STAFF,                false, Scope::Open),
    GET_PROGRAM_TIERS                   = ("members",      "GET",    "/api/v1/program/tiers",                         TIER_READERS,         false, Scope::Open),
    PUT_PROGRAM_TIERS                   = ("members",      "PUT",    "/api/v1/program/tiers",                         STAFF,                false, Scope::Open),
    POST_MEMBER_PURCHASES               = ("members",      "POST",   "/api/v1/members/{id}/purchases",                SPEND_RECORDERS,      true, Scope::Open),
    GET_MEMBER_TIER                     = ("members",      "GET",    "/api/v1/members/{id}/tier",                     CUSTOMER_READERS,     false, Scope::Path("id")),
    POST_MEMBERS_TIER_REVIEW            = ("members",      "POST",   "/api/v1/members/tier-review",                   SCHEDULERS,           false, Scope::Open),
    POST_MEMBERS_BIRTHDAYS_RUNS         = ("members",      "POST",   "/api/v1/members/birthdays/runs",                SCHEDULERS,           false, Scope::Open),
    PUT_CUSTOMER_BIRTH_DATE             = ("members",      "PUT",    "/api/v1/customers/{id}/birth-date",             LEAVE_TAKERS,         false, Scope::Path("id")),
    GET_MEMBER_MEMBERSHIP               = ("members",      "GET",    "/api/v1/members/{id}/membership",               CUSTOMER_READERS,     false, Scope::Path("id")),
    POST_MEMBER_MEMBERSHIP_SUSPENSION   = ("members",      "POST",   "/api/v1/members/{id}/membership/suspension",    MEMBERSHIP_KEEPERS,   false, Scope::Open),
    POST_MEMBER_MEMBERSHIP_REACTIVATION = ("members",      "POST",   "/api/v1/members/{id}/membership/reactivation",  MEMBERSHIP_KEEPERS,   false, Scope::Open),
    POST_MEMBER_MEMBERSHIP_EXIT         = ("members",      "POST",   "/api/v1/members/{id}/membership/exit",          LEAVE_TAKERS,         false, Scope::Path("id")),
    POST_MEMBER_MEMBERSHIP_REVOCATION   = ("members",      "POST",   "/api/v1/members/{id}/membership/revocation",    APPROVERS,            false, Scope::Open),
    POST_CARDS                          = ("cards",        "POST",   "/api/v1/cards",                                 CARD_ISSUERS,         true, Scope::Open),
    GET_CARDS                           = ("cards",        "GET",    "/api/v1/cards",                                 CUSTOMER_READERS,     false, Scope::List),
    GET_CARDS_VERIFICATION_KEY          = ("cards",        "GET",    "/api/v1/cards/verification-key",                Access::Public,       false, Scope::Open),
    POST_CARDS_VERIFY                   = ("cards",        "POST",   "/api/v1/cards/verify",                          CARD_VERIFIERS,       false, Scope::Open),
    POST_CARDS_ORDERS_RUN               = ("cards",        "POST",   "/api/v1/cards/orders/run",                      SCHEDULERS,           false, Scope::Open),
    GET_CARD                            = ("cards",        "GET",    "/api/v1/cards/{number}",                        CUSTOMER_READERS,     false, Scope::Path("number")),
    POST_CARD_REPORT_LOST               = ("cards",        "POST",   "/api/v1/cards/{number}/report-lost",            LOSS_TAKERS,          true, Scope::Open),
    POST_CARD_SUSPEND                   = ("cards",        "POST",   "/api/v1/cards/{number}/suspend",                MEMBERSHIP_KEEPERS,   false, Scope::Open),
    POST_CARD_REACTIVATE                = ("cards",        "POST",   "/api/v1/cards/{number}/reactivate",             MEMBERSHIP_KEEPERS,   false, Scope::Open),
    POST_CARD_REVOKE                    = ("cards",        "POST",   "/api/v1/cards/{number}/revoke",                 APPROVERS,            false, Scope::Open),
    GET_PROGRAM_POINTS                  = ("rewards",      "GET",    "/api/v1/program/points",                        TIER_READERS,         false, Scope::Open),
    PUT_PROGRAM_POINTS                  = ("rewards",      "PUT",    "/api/v1/program/points",                        STAFF,                false, Scope::Open),
    GET_MEMBER_POINTS                   = ("rewards",      "GET",    "/api/v1/members/{id}/points",                   CUSTOMER_READERS,     false, Scope::Path("id")),
    POST_MEMBER_POINTS_ADJUSTMENTS      = ("rewards",      "POST",   "/api/v1/members/{id}/points/adjustments",       STAFF,                true, Scope::Open),
    POST_POINTS_EXPIRY                  = ("rewards",      "POST",   "/api/v1/points/expiry",                         SCHEDULERS,           false, Scope::Open),
    POST_REWARDS                        = ("rewards",      "POST",   "/api/v1/rewards",                               STAFF,                false, Scope::Open),
    GET_REWARDS                         = ("rewards",      "GET",    "/api/v1/rewards",                               CUSTOMER_READERS,     false, Scope::Open),
    GET_REWARD                          = ("rewards",      "GET",    "/api/v1/rewards/{reward}",                      CUSTOMER_READERS,     false, Scope::Open),
    PUT_REWARD                          = ("rewards",      "PUT",    "/api/v1/rewards/{reward}",                      STAFF,                false, Scope::Open),
    POST_REWARD_STOCK                   = ("rewards",      "POST",   "/api/v1/rewards/{reward}/stock",                STAFF,                false, Scope::Open),
    POST_REDEMPTIONS                    = ("rewards",      "POST",   "/api/v1/redemptions",                           REDEEMERS,            true, Scope::Body),
    GET_REDEMPTIONS                     = ("rewards",      "GET",    "/api/v1/redemptions",                           CUSTOMER_READERS,     false, Scope::List),
    GET_REDEMPTION                      = ("rewards",      "GET",    "/api/v1/redemptions/{redemption}",              CUSTOMER_READERS,     false, Scope::Path("redemption")),
    POST_REDEMPTION_APPROVE             = ("rewards",      "POST",   "/api/v1/redemptions/{redemption}/approve",      REDEMPTION_DECIDERS,  false, Scope::Open),
    POST_REDEMPTION_REJECT              = ("rewards",      "POST",   "/api/v1/redemptions/{redemption}/reject",       REDEMPTION_DECIDERS,  false, Scope::Open),
    POST_REDEMPTION_FULFIL              = ("rewards",      "POST",   "/api/v1/redemptions/{redemption}/fulfil",       REDEMPTION_DECIDERS,  false, Scope::Open),
    POST_REDEMPTION_CANCEL              = ("rewards",      "POST",   "/api/v1/redemptions/{redemption}/cancel",       REDEEMERS,            false, Scope::Path("redemption")),
    GET_PROGRAM_CHANGE_REQUESTS         = ("changes",      "GET",    "/api/v1/program/change-requests",               CASE_READERS,         false, Scope::Open),
    PUT_PROGRAM_CHANGE_REQUESTS         = ("changes",      "PUT",    "/api/v1/program/change-requests",               TARGET_SETTERS,       false, Scope::Open),
    GET_CUSTOMER_TPOINTS                = ("changes",      "GET",    "/api/v1/customers/{id}/tpoints",                CUSTOMER_READERS,     false, Scope::Path("id")),
    POST_CUSTOMER_TPOINT_PACKS          = ("changes",      "POST",   "/api/v1/customers/{id}/tpoints/packs",          STAFF,                true,  Scope::Open),
    GET_ME_TPOINTS                      = ("changes",      "GET",    "/api/v1/me/tpoints",                            Access::Member,       false, Scope::Open),
    POST_CHANGE_REQUEST_SIZING          = ("changes",      "POST",   "/api/v1/change-requests/{ticket}/sizing",       TICKET_WORKERS,       false, Scope::Open),
    POST_CHANGE_REQUEST_ESTIMATES       = ("changes",      "POST",   "/api/v1/change-requests/{ticket}/estimates",    TICKET_WORKERS,       false, Scope::Open),
    POST_CHANGE_REQUEST_REVIEW          = ("changes",      "POST",   "/api/v1/change-requests/{ticket}/estimates/{version}/review", TICKET_WORKERS, false, Scope::Open),
    GET_CHANGE_REQUEST                  = ("changes",      "GET",    "/api/v1/change-requests/{ticket}",              CUSTOMER_READERS,     false, Scope::Path("ticket")),
    POST_CHANGE_REQUEST_DECISION        = ("changes",      "POST",   "/api/v1/change-requests/{ticket}/decision",     TICKET_EVENT_SENDERS, false, Scope::Path("ticket")),
    POST_CHANGE_REQUEST_VALIDATION      = ("changes",      "POST",   "/api/v1/change-requests/{ticket}/validation",   TICKET_EVENT_SENDERS, false, Scope::Path("ticket")),
    POST_CHANGE_REQUEST_CANCELLATION    = ("changes",      "POST",   "/api/v1/change-requests/{ticket}/cancellation", TICKET_WORKERS,       false, Scope::Open),
    PUT_CHANGE_REQUEST_PLAN             = ("changes",      "PUT",    "/api/v1/change-requests/{ticket}/plan",         TICKET_WORKERS,       false, Scope::Open),
    POST_CHANGE_REQUEST_DEVELOPMENT     = ("changes",      "POST",   "/api/v1/change-requests/{ticket}/development",  TICKET_WORKERS,       false, Scope::Open),
    POST_CHANGE_REQUEST_HOURS           = ("changes",      "POST",   "/api/v1/change-requests/{ticket}/hours",        TICKET_WORKERS,       false, Scope::Open),
    POST_CHANGE_REQUEST_DELIVERY        = ("changes",      "POST",   "/api/v1/change-requests/{ticket}/delivery",     TICKET_WORKERS,       false, Scope::Open),
    POST_CHANGE_REQUEST_DELIVERY_REJECTION = ("changes",   "POST",   "/api/v1/change-requests/{ticket}/delivery-rejection", TICKET_EVENT_SENDERS, false, Scope::Path("ticket")),
    POST_CHANGE_REQUEST_PROGRESS_RUNS   = ("changes",      "POST",   "/api/v1/change-requests/progress-runs",         SCHEDULERS,           false, Scope::Open),
    POST_ME_CHANGE_REQUEST_DELIVERY_REJECTION = ("changes", "POST",  "/api/v1/me/change-requests/{ticket}/delivery-rejection", Access::Member, false, Scope::Path("ticket")),
    POST_CUSTOMER_TRAININGS             = ("changes",      "POST",   "/api/v1/customers/{id}/trainings",              TICKET_WORKERS,       false, Scope::Open),
    GET_TRAINING                        = ("changes",      "GET",    "/api/v1/trainings/{training}",                  CUSTOMER_READERS,     false, Scope::Path("training")),
    POST_TRAINING_DECISION              = ("changes",      "POST",   "/api/v1/trainings/{training}/decision",         TICKET_EVENT_SENDERS, false, Scope::Path("training")),
    PUT_TRAINING_PLAN                   = ("changes",      "PUT",    "/api/v1/trainings/{training}/plan",             TICKET_WORKERS,       false, Scope::Open),
    POST_TRAINING_CLOSURE               = ("changes",      "POST",   "/api/v1/trainings/{training}/closure",          TICKET_WORKERS,       false, Scope::Open),
    POST_TRAINING_CANCELLATION          = ("changes",      "POST",   "/api/v1/trainings/{training}/cancellation",     TICKET_WORKERS,       false, Scope::Open),
    GET_ME_TRAINING                     = ("changes",      "GET",    "/api/v1/me/trainings/{training}",               Access::Member,       false, Scope::Path("training")),
    POST_ME_TRAINING_DECISION           = ("changes",      "POST",   "/api/v1/me/trainings/{training}/decision",      Access::Member,       false, Scope::Path("training")),
    POST_TPOINTS_EXPIRY_RUNS            = ("changes",      "POST",   "/api/v1/tpoints/expiry-runs",                   SCHEDULERS,           false, Scope::Open),
    GET_ME_CHANGE_REQUEST               = ("changes",      "GET",    "/api/v1/me/change-requests/{ticket}",           Access::Member,       false, Scope::Path("ticket")),
    POST_ME_CHANGE_REQUEST_DECISION     = ("changes",      "POST",   "/api/v1/me/change-requests/{ticket}/decision",  Access::Member,       false, Scope::Path("ticket")),
    POST_ME_CHANGE_REQUEST_VALIDATION   = ("changes",      "POST",   "/api/v1/me/change-requests/{ticket}/validation", Access::Member,      false, Scope::Path("ticket")),
    GET_CALENDARS                       = ("tickets",      "GET",    "/api/v1/calendars",                             CASE_READERS,         false, Scope::Open),
    GET_CALENDAR                        = ("tickets",      "GET",    "/api/v1/calendars/{calendar}",                  CASE_READERS,         false, Scope::Open),
    PUT_CALENDAR                        = ("tickets",      "PUT",    "/api/v1/calendars/{calendar}",                  STAFF,                false, Scope::Open),
    DELETE_CALENDAR                     = ("tickets",      "DELETE", "/api/v1/calendars/{calendar}",                  STAFF,                false, Scope::Open),
    GET_CALENDAR_DEADLINE               = ("tickets",      "GET",    "/api/v1/calendars/{calendar}/deadline",         CASE_READERS,         false, Scope::Open),
    GET_PROGRAM_TICKETS                 = ("tickets",      "GET",    "/api/v1/program/tickets",                       TIER_READERS,         false, Scope::Open),
    PUT_PROGRAM_TICKETS                 = ("tickets",      "PUT",    "/api/v1/program/tickets",                       STAFF,                false, Scope::Open),
    POST_TICKETS                        = ("tickets",      "POST",   "/api/v1/tickets",                               TICKET_OPENERS,       true, Scope::Body),
    GET_TICKETS_QUEUE                   = ("tickets",      "GET",    "/api/v1/tickets/queue",                         CASE_READERS,         false, Scope::Open),
    POST_TICKETS_SLA_SWEEP              = ("tickets",      "POST",   "/api/v1/tickets/sla-sweep",                     SCHEDULERS,           false, Scope::Open),
    GET_TICKET                          = ("tickets",      "GET",    "/api/v1/tickets/{ticket}",                      CUSTOMER_READERS,     false, Scope::Path("ticket")),
    GET_TICKET_SLA                      = ("tickets",      "GET",    "/api/v1/tickets/{ticket}/sla",                  CUSTOMER_READERS,     false, Scope::Path("ticket")),
    POST_TICKET_EVENTS                  = ("tickets",      "POST",   "/api/v1/tickets/{ticket}/events",               TICKET_EVENT_SENDERS, false, Scope::Path("ticket")),
    GET_TICKET_MESSAGES                 = ("tickets",      "GET",    "/api/v1/tickets/{ticket}/messages",             CUSTOMER_READERS,     false, Scope::Path("ticket")),
    POST_TICKET_MESSAGES                = ("tickets",      "POST",   "/api/v1/tickets/{ticket}/messages",             TICKET_EVENT_SENDERS, true, Scope::Path("ticket")),
    POST_TICKET_ASSIGNMENT              = ("tickets",      "POST",   "/api/v1/tickets/{ticket}/assignment",           TICKET_WORKERS,       false, Scope::Open),
    POST_TICKET_CLASSIFICATION          = ("tickets",      "POST",   "/api/v1/tickets/{ticket}/classification",       TICKET_WORKERS,       false, Scope::Open),
    POST_TICKET_PROVIDER_WAIT           = ("tickets",      "POST",   "/api/v1/tickets/{ticket}/provider-wait",        TICKET_WORKERS,       false, Scope::Open),
    POST_TICKET_PROVIDER_ANSWER         = ("tickets",      "POST",   "/api/v1/tickets/{ticket}/provider-wait/answer", TICKET_WORKERS,       false, Scope::Open),
    GET_TICKET_SURVEY                   = ("tickets",      "GET",    "/api/v1/tickets/{ticket}/survey",               CASE_READERS,         false, Scope::Open),
    POST_TICKET_SURVEY                  = ("tickets",      "POST",   "/api/v1/tickets/{ticket}/survey",               SURVEY_TAKERS,        false, Scope::Path("ticket")),
    GET_TICKET_HISTORY                  = ("tickets",      "GET",    "/api/v1/tickets/{ticket}/history",              CASE_READERS,         false, Scope::Open),
    POST_TICKET_SPLIT                   = ("tickets",      "POST",   "/api/v1/tickets/{ticket}/split",                STAFF,                false, Scope::Open),
    GET_PROGRAM_COLLECTIONS             = ("collections",  "GET",    "/api/v1/program/collections",                   TIER_READERS,         false, Scope::Open),
    PUT_PROGRAM_COLLECTIONS             = ("collections",  "PUT",    "/api/v1/program/collections",                   STAFF,                false, Scope::Open),
    POST_INVOICES                       = ("collections",  "POST",   "/api/v1/invoices",                              STAFF,                false, Scope::Open),
    POST_INVOICES_ISSUE                 = ("collections",  "POST",   "/api/v1/invoices/issue",                        SCHEDULERS,           false, Scope::Open),
    GET_INVOICE                         = ("collections",  "GET",    "/api/v1/invoices/{invoice}",                    CASE_READERS,         false, Scope::Open),
    POST_INVOICE_RECEIPT                = ("collections",  "POST",   "/api/v1/invoices/{invoice}/receipt",            STAFF,                false, Scope::Open),
    POST_INVOICE_PAYMENTS               = ("collections",  "POST",   "/api/v1/invoices/{invoice}/payments",           STAFF,                false, Scope::Open),
    POST_INVOICE_COMMITMENTS            = ("collections",  "POST",   "/api/v1/invoices/{invoice}/commitments",        COMMITMENT_TAKERS,    false, Scope::Path("invoice")),
    GET_CUSTOMER_COLLECTIONS_PREVIEW    = ("collections",  "GET",    "/api/v1/customers/{id}/collections/preview",    CASE_READERS,         false, Scope::Open),
    POST_DUNNING_RUNS                   = ("collections",  "POST",   "/api/v1/dunning/runs",                          SCHEDULERS,           false, Scope::Open),
    PUT_CUSTOMER_COLLECTOR              = ("collections",  "PUT",    "/api/v1/customers/{id}/collector",              STAFF,                false, Scope::Open),
    GET_COLLECTOR_CUSTOMERS             = ("collections",  "GET",    "/api/v1/collectors/{collector}/customers",      CASE_READERS,         false, Scope::Open),
    POST_WEBHOOKS_PAYMENTS              = ("collections",  "POST",   "/api/v1/webhooks/payments",                     Access::Signed,       false, Scope::Open),
    GET_PROGRAM_SUSPENSION              = ("suspension",   "GET",    "/api/v1/program/suspension",                    TIER_READERS,         false, Scope::Open),
    PUT_PROGRAM_SUSPENSION              = ("suspension",   "PUT",    "/api/v1/program/suspension",                    STAFF,                false, Scope::Open),
    GET_CUSTOMER_SERVICE                = ("suspension",   "GET",    "/api/v1/customers/{id}/service",                CASE_READERS,         false, Scope::Open),
    POST_CUSTOMER_SERVICE_RECONNECTION  = ("suspension",   "POST",   "/api/v1/customers/{id}/service/reconnection",   STAFF,                false, Scope::Open),
    POST_CUSTOMER_SERVICE_DISCONNECTION = ("suspension",   "POST",   "/api/v1/customers/{id}/service/disconnection",  LEAVE_TAKERS,         false, Scope::Path("id")),
    POST_CUSTOMER_SERVICE_POWERED_OFF   = ("suspension",   "POST",   "/api/v1/customers/{id}/service/powered-off",    STAFF,                false, Scope::Open),
    POST_CUSTOMER_SERVICE_RETAINED      = ("suspension",   "POST",   "/api/v1/customers/{id}/service/retained",       RETAINERS,            false, Scope::Open),
    GET_DISCONNECTION_REQUESTS          = ("suspension",   "GET",    "/api/v1/disconnection-requests",                RETAINERS,            false, Scope::Open),
    GET_LEGAL_HANDOFFS                  = ("suspension",   "GET",    "/api/v1/legal-handoffs",                        CASE_READERS,         false, Scope::Open),
    POST_LEGAL_HANDOFF_CLOSURE          = ("suspension",   "POST",   "/api/v1/legal-handoffs/{handoff}/closure",      STAFF,                false, Scope::Open),
    GET_SERVICE_ORDER                   = ("suspension",   "GET",    "/api/v1/service-orders/{order}",                CASE_READERS,         false, Scope::Open),
    POST_SUSPENSION_RUNS                = ("suspension",   "POST",   "/api/v1/suspension/runs",                       SCHEDULERS,           false, Scope::Open),
    POST_NOTICES_RUNS                   = ("notices",      "POST",   "/api/v1/notices/runs",                          SCHEDULERS,           false, Scope::Open),
    GET_NOTICES_UNDELIVERED             = ("notices",      "GET",    "/api/v1/notices/undelivered",                   CASE_READERS,         false, Scope::Open),
    GET_PROGRAM_NOTICE_TEMPLATES        = ("notices",      "GET",    "/api/v1/program/notice-templates",              CASE_READERS,         false, Scope::Open),
    PUT_PROGRAM_NOTICE_TEMPLATES        = ("notices",      "PUT",    "/api/v1/program/notice-templates",              TARGET_SETTERS,       false, Scope::Open),
    POST_NOTICE_TEMPLATE_PREVIEW        = ("notices",      "POST",   "/api/v1/notice-templates/{kind}/preview",       CASE_READERS,         false, Scope::Open),
    GET_PROGRAM_BROADCASTS              = ("notices",      "GET",    "/api/v1/program/broadcasts",                    CASE_READERS,         false, Scope::Open),
    PUT_PROGRAM_BROADCASTS              = ("notices",      "PUT",    "/api/v1/program/broadcasts",                    TARGET_SETTERS,       false, Scope::Open),
    POST_BROADCASTS                     = ("notices",      "POST",   "/api/v1/broadcasts",                            TARGET_SETTERS,       true,  Scope::Open),
    GET_BROADCAST                       = ("notices",      "GET",    "/api/v1/broadcasts/{broadcast}",                CASE_READERS,         false, Scope::Open),
    GET_CUSTOMER_NOTICE_PREFERENCES     = ("notices",      "GET",    "/api/v1/customers/{id}/notice-preferences",     CUSTOMER_READERS,     false, Scope::Path("id")),
    PUT_CUSTOMER_NOTICE_PREFERENCES     = ("notices",      "PUT",    "/api/v1/customers/{id}/notice-preferences",     LEAVE_TAKERS,         false, Scope::Path("id")),
    POST_WEBHOOKS_SERVICE_ORDERS        = ("suspension",   "POST",   "/api/v1/webhooks/service-orders",               Access::Signed,       false, Scope::Open),
    GET_PROGRAM_REPORTS                 = ("reports",      "GET",    "/api/v1/program/reports",                       CASE_READERS,         false, Scope::Open),
    PUT_PROGRAM_REPORTS                 = ("reports",      "PUT",    "/api/v1/program/reports",                       TARGET_SETTERS,       false, Scope::Open),
    GET_REPORT_PROGRAMME                = ("reports",      "GET",    "/api/v1/reports/programme",                     CASE_READERS,         false, Scope::Open),
    GET_REPORT_POINTS                   = ("reports",      "GET",    "/api/v1/reports/points",                        CASE_READERS,         false, Scope::Open),
    GET_REPORT_SUPPORT                  = ("reports",      "GET",    "/api/v1/reports/support",                       CASE_READERS,         false, Scope::Open),
    GET_REPORT_COLLECTIONS              = ("reports",      "GET",    "/api/v1/reports/collections",                   CASE_READERS,         false, Scope::Open),
    GET_REPORT_SUMMARY                  = ("reports",      "GET",    "/api/v1/reports/summary",                       CASE_READERS,         false, Scope::Open),
    POST_REPORT_SUMMARY_RUNS            = ("reports",      "POST",   "/api/v1/reports/summary/runs",                  SCHEDULERS,           false, Scope::Open),
}
