//! The `reports` component (issue 19; docs/reports.md), HTTP and cron: the
//! programme, points, support and collections reports, read from the
//! recorded facts for any period up to `as_of`, as JSON or CSV; the
//! executive summary against the previous period and the programme's
//! targets; and the weekly run that queues the summary to the programme
//! manager (cron hourly; the week's notice id makes it once per week).
//! Reports are aggregates: no line carries a member's identity. (No
//! `forbid(unsafe_code)`: the export macros emit the component's `unsafe`
//! ABI glue; this crate's own code has none.)

mod ask;
mod collections;
mod points;
mod programme;
mod summary;
mod support;

use spin_sdk::http::{IncomingRequest, IntoResponse, Response};
use spin_sdk::http_component;
use vip_kit::{api, Binding, Ctx, Problem};
use vip_store::reports::PROGRAM;

/// This component's handlers for its operations in `vip_kit::api::OPERATIONS`.
const HANDLERS: &[Binding] = &[
    (&api::GET_PROGRAM_REPORTS, program),
    (&api::PUT_PROGRAM_REPORTS, replace_program),
    (&api::GET_REPORT_PROGRAMME, programme::get),
    (&api::GET_REPORT_POINTS, points::get),
    (&api::GET_REPORT_SUPPORT, support::get),
    (&api::GET_REPORT_COLLECTIONS, collections::get),
    (&api::GET_REPORT_SUMMARY, summary::get),
    (&api::POST_REPORT_SUMMARY_RUNS, summary::run),
];

fn program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.get(ctx)
}

fn replace_program(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    PROGRAM.put(ctx)
}

#[http_component]
async fn handle(req: IncomingRequest) -> impl IntoResponse {
    vip_kit::serve(req, "reports", HANDLERS, vip_store::ownership::owner_of).await
}

vip_kit::cron_component!(HANDLERS, |event| event
    .call(&api::POST_REPORT_SUMMARY_RUNS, ""));

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_has_a_handler_and_every_handler_an_operation() {
        vip_kit::router::assert_bound("reports", super::HANDLERS);
    }

    /// docs/reports.md says how every figure is computed, in the words the
    /// reports answer in `definitions`.
    #[test]
    fn every_figure_is_documented_as_the_reports_define_it() {
        let docs = include_str!("../../../docs/reports.md");
        for (figure, text) in [
            super::programme::DEFINITIONS,
            super::points::DEFINITIONS,
            super::support::DEFINITIONS,
            super::collections::DEFINITIONS,
        ]
        .concat()
        {
            assert!(
                docs.contains(&format!("| `{figure}` | {text} |")),
                "{figure} is not documented as defined"
            );
        }
    }
}
