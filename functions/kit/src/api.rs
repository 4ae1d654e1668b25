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

const fn op(
    component: &'static str,
    method: &'static str,
    path: &'static str,
    access: Access,
    idempotent: bool,
) -> Operation {
    Operation {
        component,
        method,
        path,
        access,
        idempotent,
    }
}

/// Every operation, one row each.
#[rustfmt::skip]
pub const OPERATIONS: &[Operation] = &[
    // component      method    path                                            who may call          Idempotency-Key
    op("members",     "GET",    "/api/v1/health",                               Access::Public,       false),
    op("members",     "GET",    "/api/v1/openapi.json",                         Access::Public,       false),
    op("members",     "PUT",    "/api/v1/customers/{id}",                       STAFF,                false),
    op("members",     "GET",    "/api/v1/customers/{id}",                       CUSTOMER_READERS,     false),
    op("members",     "POST",   "/api/v1/eligibility/check",                    CHECKERS,             true),
    op("members",     "GET",    "/api/v1/program/eligibility-rules",            STAFF,                false),
    op("members",     "PUT",    "/api/v1/program/eligibility-rules",            STAFF,                false),
    op("members",     "POST",   "/api/v1/eligibility/month-end",                SCHEDULERS,           false),
    op("members",     "GET",    "/api/v1/eligibility/month-end",                LIST_READERS,         false),
    op("members",     "GET",    "/api/v1/onboarding/cases",                     CASE_READERS,         false),
    op("members",     "GET",    "/api/v1/onboarding/cases/{id}",                CASE_READERS,         false),
    op("members",     "POST",   "/api/v1/onboarding/cases/{id}/review",         REVIEWERS,            false),
    op("members",     "POST",   "/api/v1/onboarding/cases/{id}/approve",        APPROVERS,            false),
    op("members",     "POST",   "/api/v1/onboarding/cases/{id}/reject",         DECIDERS,             false),
    op("members",     "GET",    "/api/v1/program/tiers",                        TIER_READERS,         false),
    op("members",     "PUT",    "/api/v1/program/tiers",                        STAFF,                false),
    op("members",     "POST",   "/api/v1/members/{id}/purchases",               SPEND_RECORDERS,      true),
    op("members",     "GET",    "/api/v1/members/{id}/tier",                    CUSTOMER_READERS,     false),
    op("members",     "POST",   "/api/v1/members/tier-review",                  SCHEDULERS,           false),
    op("cards",       "POST",   "/api/v1/cards",                                CARD_ISSUERS,         true),
    op("cards",       "GET",    "/api/v1/cards",                                CUSTOMER_READERS,     false),
    op("cards",       "GET",    "/api/v1/cards/verification-key",               Access::Public,       false),
    op("cards",       "POST",   "/api/v1/cards/verify",                         CARD_VERIFIERS,       false),
    op("cards",       "POST",   "/api/v1/cards/orders/run",                     SCHEDULERS,           false),
    op("cards",       "GET",    "/api/v1/cards/{number}",                       CUSTOMER_READERS,     false),
    op("cards",       "POST",   "/api/v1/cards/{number}/report-lost",           LOSS_TAKERS,          true),
    op("rewards",     "GET",    "/api/v1/program/points",                       TIER_READERS,         false),
    op("rewards",     "PUT",    "/api/v1/program/points",                       STAFF,                false),
    op("rewards",     "GET",    "/api/v1/members/{id}/points",                  CUSTOMER_READERS,     false),
    op("rewards",     "POST",   "/api/v1/members/{id}/points/adjustments",      STAFF,                true),
    op("rewards",     "POST",   "/api/v1/points/expiry",                        SCHEDULERS,           false),
    op("rewards",     "POST",   "/api/v1/rewards",                              STAFF,                false),
    op("rewards",     "GET",    "/api/v1/rewards",                              CUSTOMER_READERS,     false),
    op("rewards",     "GET",    "/api/v1/rewards/{reward}",                     CUSTOMER_READERS,     false),
    op("rewards",     "PUT",    "/api/v1/rewards/{reward}",                     STAFF,                false),
    op("rewards",     "POST",   "/api/v1/rewards/{reward}/stock",               STAFF,                false),
    op("rewards",     "POST",   "/api/v1/redemptions",                          REDEEMERS,            true),
    op("rewards",     "GET",    "/api/v1/redemptions",                          CUSTOMER_READERS,     false),
    op("rewards",     "GET",    "/api/v1/redemptions/{redemption}",             CUSTOMER_READERS,     false),
    op("rewards",     "POST",   "/api/v1/redemptions/{redemption}/approve",     REDEMPTION_DECIDERS,  false),
    op("rewards",     "POST",   "/api/v1/redemptions/{redemption}/reject",      REDEMPTION_DECIDERS,  false),
    op("rewards",     "POST",   "/api/v1/redemptions/{redemption}/fulfil",      REDEMPTION_DECIDERS,  false),
    op("rewards",     "POST",   "/api/v1/redemptions/{redemption}/cancel",      REDEEMERS,            false),
    op("tickets",     "GET",    "/api/v1/calendars",                            CASE_READERS,         false),
    op("tickets",     "GET",    "/api/v1/calendars/{calendar}",                 CASE_READERS,         false),
    op("tickets",     "PUT",    "/api/v1/calendars/{calendar}",                 STAFF,                false),
    op("tickets",     "DELETE", "/api/v1/calendars/{calendar}",                 STAFF,                false),
    op("tickets",     "GET",    "/api/v1/calendars/{calendar}/deadline",        CASE_READERS,         false),
    op("tickets",     "GET",    "/api/v1/program/tickets",                      TIER_READERS,         false),
    op("tickets",     "PUT",    "/api/v1/program/tickets",                      STAFF,                false),
    op("tickets",     "POST",   "/api/v1/tickets",                              TICKET_OPENERS,       true),
    op("tickets",     "GET",    "/api/v1/tickets/queue",                        CASE_READERS,         false),
    op("tickets",     "POST",   "/api/v1/tickets/sla-sweep",                    SCHEDULERS,           false),
    op("tickets",     "GET",    "/api/v1/tickets/{ticket}",                     CUSTOMER_READERS,     false),
    op("tickets",     "GET",    "/api/v1/tickets/{ticket}/sla",                 CUSTOMER_READERS,     false),
    op("tickets",     "POST",   "/api/v1/tickets/{ticket}/events",              TICKET_EVENT_SENDERS, false),
    op("tickets",     "GET",    "/api/v1/tickets/{ticket}/history",             CASE_READERS,         false),
    op("tickets",     "POST",   "/api/v1/tickets/{ticket}/split",               STAFF,                false),
    op("collections", "GET",    "/api/v1/program/collections",                  TIER_READERS,         false),
    op("collections", "PUT",    "/api/v1/program/collections",                  STAFF,                false),
    op("collections", "POST",   "/api/v1/invoices",                             STAFF,                false),
    op("collections", "POST",   "/api/v1/invoices/issue",                       SCHEDULERS,           false),
    op("collections", "GET",    "/api/v1/invoices/{invoice}",                   CASE_READERS,         false),
    op("collections", "POST",   "/api/v1/invoices/{invoice}/receipt",           STAFF,                false),
    op("collections", "POST",   "/api/v1/invoices/{invoice}/payments",          STAFF,                false),
    op("collections", "POST",   "/api/v1/invoices/{invoice}/commitments",       COMMITMENT_TAKERS,    false),
    op("collections", "GET",    "/api/v1/customers/{id}/collections/preview",   CASE_READERS,         false),
    op("collections", "POST",   "/api/v1/dunning/runs",                         SCHEDULERS,           false),
    op("collections", "POST",   "/api/v1/webhooks/payments",                    Access::Signed,       false),
    op("suspension",  "GET",    "/api/v1/program/suspension",                   TIER_READERS,         false),
    op("suspension",  "PUT",    "/api/v1/program/suspension",                   STAFF,                false),
    op("suspension",  "GET",    "/api/v1/customers/{id}/service",               CASE_READERS,         false),
    op("suspension",  "POST",   "/api/v1/customers/{id}/service/reconnection",  STAFF,                false),
    op("suspension",  "POST",   "/api/v1/customers/{id}/service/disconnection", LEAVE_TAKERS,         false),
    op("suspension",  "POST",   "/api/v1/customers/{id}/service/powered-off",   STAFF,                false),
    op("suspension",  "POST",   "/api/v1/customers/{id}/service/retained",      RETAINERS,            false),
    op("suspension",  "GET",    "/api/v1/service-orders/{order}",               CASE_READERS,         false),
    op("suspension",  "POST",   "/api/v1/suspension/runs",                      SCHEDULERS,           false),
    op("notices",     "POST",   "/api/v1/notices/runs",                         SCHEDULERS,           false),
    op("suspension",  "POST",   "/api/v1/webhooks/service-orders",              Access::Signed,       false),
];
