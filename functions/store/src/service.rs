//! Service status, service orders and retention cases (docs/domain.md §6;
//! seed 001), and the suspension programme that drives them.

use crate::effects::Effect;
use vip_domain::suspension::{default_suspension_program, SuspensionProgram};
use vip_kit::settings::Document;

/// The triggers this aggregate's statements fire (see [`crate::effects`]).
pub const EFFECTS: &[Effect] = &[
    Effect {
        trigger: "service_status_inserted",
        table: "service_status",
        on: "INSERT",
        writes: &["audit_events"],
        does: "audits a customer's first service status",
    },
    Effect {
        trigger: "service_status_moved",
        table: "service_status",
        on: "UPDATE OF status",
        writes: &["audit_events"],
        does: "audits each service move",
    },
    Effect {
        trigger: "service_order_opened",
        table: "service_orders",
        on: "INSERT",
        writes: &["audit_events", "notice_outbox"],
        does: "audits an opened service order and tells the department list",
    },
    Effect {
        trigger: "service_order_moved",
        table: "service_orders",
        on: "UPDATE OF stage",
        writes: &["audit_events", "notice_outbox"],
        does: "audits each stage of an order and tells the department list",
    },
    Effect {
        trigger: "retention_case_opened",
        table: "retention_cases",
        on: "INSERT",
        writes: &["notice_outbox", "service_status"],
        does: "moves the service status into retention and tells sales",
    },
    Effect {
        trigger: "retention_case_moved",
        table: "retention_cases",
        on: "UPDATE OF status",
        writes: &["notice_outbox", "service_status"],
        does: "keeps the service status in step with the case and tells who acts next",
    },
];

/// The suspension programme: notice list, retries, retention windows (its
/// retry policy and call timeout also pace notice delivery).
pub const PROGRAM: Document<SuspensionProgram> = Document {
    name: "suspension",
    key: "program",
    default: default_suspension_program,
    validate: SuspensionProgram::validate,
    in_use: None,
};
