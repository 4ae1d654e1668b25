//! Training, "Formación" (002 §10.3): staff write up the request and its
//! budget in T-Points; the customer approves it (the points are reserved) or
//! turns it down; approved training is planned, then closed with the
//! materials delivered (the points are spent), or cancelled (released).

use serde::Deserialize;
use serde_json::json;
use spin_sdk::http::Response;
use vip_domain::customer::CustomerId;
use vip_domain::training::{
    budget, check_materials, check_sessions, Session, TrainingInput, TrainingMove,
};
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::{Ctx, Problem};
use vip_store::change_requests::PROGRAM;
use vip_store::trainings::{self as store, Training, TrainingUpdate};

use crate::decisions::{ensure_available, reason};

fn found(db: &Db, id: i64) -> Result<Training, Problem> {
    store::find(db, id)?.ok_or_else(|| Problem::not_found(format!("there is no training `{id}`")))
}

fn view(db: &Db, t: &Training) -> Result<serde_json::Value, Problem> {
    Ok(json!({
        "id": t.id,
        "customer_id": t.customer_id,
        "request": t.request,
        "budget": t.budget,
        "state": t.state,
        "sessions": t.sessions,
        "materials": t.materials,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "tpoints": vip_store::tpoints::balance(db, &t.customer_id)?,
    }))
}

/// `POST /api/v1/customers/{id}/trainings` (a [`TrainingInput`]): the
/// request and its budget, explained line by line; 201.
pub fn create(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let input: TrainingInput = read_json(ctx.req)?;
    let db = Db::open()?;
    let customer = CustomerId::parse(ctx.param("id")).map_err(|m| Problem::field("id", m))?;
    if !vip_store::customers::exists(&db, &customer)? {
        return Err(Problem::not_found(format!(
            "no customer {}",
            customer.as_str()
        )));
    }
    let program = PROGRAM.load(&db, ctx.now)?.document;
    let budget = budget(&program.training, program.step(), &input).map_err(Problem::validation)?;
    let id = store::create(
        &db,
        customer.as_str(),
        &input,
        &budget,
        ctx.now,
        &ctx.actor(),
    )?;
    Ok(vip_kit::json(201, &view(&db, &found(&db, id)?)?))
}

/// `GET /api/v1/trainings/{training}`, `GET /api/v1/me/trainings/{training}`.
pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("training", "training")?;
    let db = Db::open()?;
    Ok(vip_kit::json(200, &view(&db, &found(&db, id)?)?))
}

/// Applies `step` to training `id`, with what it writes; a guard that fails
/// is explained from the training as it now stands.
fn step(
    ctx: &Ctx<'_>,
    id: i64,
    step: TrainingMove,
    sessions: Option<&[Session]>,
    materials: Option<&[String]>,
    reason: Option<&str>,
) -> Result<Response, Problem> {
    let db = Db::open()?;
    let t = found(&db, id)?;
    let refused = |state: vip_domain::training::TrainingState, wanted: &str| {
        Problem::conflict(
            "training-state",
            "Not possible in the training's state",
            format!("the training is {}: not open to {wanted}", state.as_str()),
        )
        .with_facts(json!({"state": state}))
    };
    step.check(t.state).map_err(|w| refused(t.state, w))?;
    if step == TrainingMove::Plan {
        let today = PROGRAM
            .load(&db, ctx.now)?
            .document
            .delivery
            .zone
            .date_of(ctx.now);
        check_sessions(&t.request, sessions.unwrap_or_default(), today)
            .map_err(Problem::validation)?;
    }
    let total = t.budget.total;
    let needs = (step == TrainingMove::Approve).then_some(total);
    let moved = store::apply(
        &db,
        &TrainingUpdate {
            id,
            from: t.state,
            to: step.to(),
            settlement: step.settlement(total),
            needs,
            sessions,
            materials,
            reason,
            at: ctx.now,
            by: &ctx.actor(),
        },
    )?;
    let now = found(&db, id)?;
    if !moved {
        step.check(now.state).map_err(|w| refused(now.state, w))?;
        ensure_available(&db, &t.customer_id, needs, "approving this training")?;
        return Err(refused(now.state, "this move (another came first)"));
    }
    Ok(vip_kit::json(200, &view(&db, &now)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum Answer {
    Approve,
    Reject,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionInput {
    decision: Answer,
    reason: Option<String>,
}

/// `POST /api/v1/trainings/{training}/decision` and the member's:
/// `{decision: approve|reject, reason?}`. Approving reserves the budget (409
/// `insufficient-tpoints` with the balance and the shortfall).
pub fn decide(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("training", "training")?;
    let input: DecisionInput = read_json(ctx.req)?;
    let reason = reason(input.reason.as_deref())?;
    let m = match input.decision {
        Answer::Approve => TrainingMove::Approve,
        Answer::Reject => TrainingMove::Reject,
    };
    step(ctx, id, m, None, None, reason.as_deref())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanInput {
    sessions: Vec<Session>,
}

/// `PUT /api/v1/trainings/{training}/plan` `{sessions: [{on, minutes}]}`:
/// only once the customer approved (409 before); again to move sessions.
pub fn plan(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("training", "training")?;
    let input: PlanInput = read_json(ctx.req)?;
    step(
        ctx,
        id,
        TrainingMove::Plan,
        Some(&input.sessions),
        None,
        None,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClosureInput {
    materials: Vec<String>,
}

/// `POST /api/v1/trainings/{training}/closure` `{materials}`: the planned
/// training is closed with the materials delivered; the points are spent.
pub fn close(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("training", "training")?;
    let input: ClosureInput = read_json(ctx.req)?;
    check_materials(&input.materials).map_err(Problem::validation)?;
    step(
        ctx,
        id,
        TrainingMove::Close,
        None,
        Some(&input.materials),
        None,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelInput {
    reason: Option<String>,
}

/// `POST /api/v1/trainings/{training}/cancellation` `{reason?}`: approved or
/// planned training is withdrawn; the points are released.
pub fn cancel(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let id = ctx.id_param("training", "training")?;
    let input: CancelInput = read_json(ctx.req)?;
    let reason = reason(input.reason.as_deref())?;
    step(ctx, id, TrainingMove::Cancel, None, None, reason.as_deref())
}
