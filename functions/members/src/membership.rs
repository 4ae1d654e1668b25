//! A membership's state (docs/domain.md §1 "Membership states"; seed 004):
//! staff suspend and reactivate it with a reason, the member asks to leave
//! (exit), the programme manager revokes it for misconduct. Each move is the
//! domain's (`vip_domain::membership::transition`), written only if the state
//! read is still the latest; its trigger audits it, tells the member and
//! moves their card in use.

use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::membership::{check_reason, transition, MembershipEvent, MembershipState};
use vip_kit::body::read_json;
use vip_kit::db::{timestamp_text, Db};
use vip_kit::{Ctx, Problem};
use vip_store::memberships::{self, Found, NewStateChange};

use crate::customers::parse_id;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Move {
    #[serde(default)]
    reason: Option<String>,
}

/// The member `id`, or 404 if there is no such customer or membership.
fn member(db: &Db, id: &CustomerId) -> Result<(), Problem> {
    match memberships::membership(db, id)? {
        Found::Member(_) => Ok(()),
        Found::NotAMember => Err(Problem::not_found(format!(
            "customer `{}` is not a member (no approved onboarding)",
            id.as_str()
        ))),
        Found::NoCustomer => Err(Problem::not_found(format!("no customer `{}`", id.as_str()))),
    }
}

fn view(db: &Db, id: &CustomerId) -> Result<serde_json::Value, Problem> {
    let record = memberships::state(db, id)?;
    let not_active = memberships::not_active(db, id)?;
    Ok(json!({
        "customer_id": id.as_str(),
        "state": record.as_ref().map_or(MembershipState::Active, |r| r.state),
        "since": record.as_ref().map(|r| timestamp_text(r.since)),
        "reason": record.as_ref().and_then(|r| r.reason.clone()),
        "earns_and_redeems": not_active.is_none(),
        "not_active_because": not_active,
        "changes": memberships::state_changes(db, id)?,
    }))
}

/// `GET /api/v1/members/{id}/membership` (and `/me/membership`): the state,
/// since when and why, whether points are earned and redeemed, every move.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = parse_id(ctx)?;
    let db = Db::open()?;
    member(&db, &id)?;
    Ok(vip_kit::json(200, &view(&db, &id)?))
}

fn apply(ctx: &mut Ctx<'_>, event: MembershipEvent) -> Result<Response, Problem> {
    let id = parse_id(ctx)?;
    let body: Move = read_json(ctx.req)?;
    let reason = check_reason(event, body.reason.as_deref()).map_err(Problem::validation)?;
    let db = Db::open()?;
    member(&db, &id)?;
    let from = memberships::state(&db, &id)?.map_or(MembershipState::Active, |r| r.state);
    let to = transition(from, event).map_err(|e| {
        Problem::conflict(
            "invalid-membership-transition",
            "The membership cannot move that way",
            e.to_string(),
        )
    })?;
    let written = memberships::change_state(
        &db,
        &NewStateChange {
            customer: &id,
            event,
            from,
            to,
            reason: reason.as_deref(),
            at: ctx.now,
            by: &ctx.actor(),
        },
    )?;
    if !written {
        return Err(Problem::conflict(
            "concurrent-change",
            "The membership changed meanwhile",
            "read the membership again and retry",
        ));
    }
    Ok(vip_kit::json(200, &view(&db, &id)?))
}

/// `POST /api/v1/members/{id}/membership/suspension` `{reason}`.
pub fn suspend(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    apply(ctx, MembershipEvent::Suspend)
}

/// `POST /api/v1/members/{id}/membership/reactivation` `{reason?}`.
pub fn reactivate(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    apply(ctx, MembershipEvent::Reactivate)
}

/// `POST /api/v1/members/{id}/membership/exit` `{reason?}`: the member's request.
pub fn exit(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    apply(ctx, MembershipEvent::Exit)
}

/// `POST /api/v1/members/{id}/membership/revocation` `{reason}`: misconduct,
/// the programme manager only.
pub fn revoke(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    apply(ctx, MembershipEvent::Revoke)
}
