//! The programme's configuration documents served by this component: the
//! eligibility rules and the tier ladder. Each is stored as one versioned
//! document (`vip_kit::settings`), seeded with the DOMAIN.md defaults on first
//! use and replaced by staff.

use serde::Serialize;
use spin_sdk::http::Response;
use vip_domain::eligibility::{default_config, EligibilityConfig};
use vip_domain::tiers::{default_tier_program, TierProgram};
use vip_kit::body::read_json;
use vip_kit::db::Db;
use vip_kit::settings::{self, InUse};
use vip_kit::{Ctx, Problem};

const RULES: &str = "eligibility";
const TIERS: &str = "tiers";

/// The eligibility rules in force and their version.
#[derive(Serialize)]
pub struct Program {
    pub version: i64,
    pub updated_at: String,
    pub updated_by: String,
    pub rules: EligibilityConfig,
}

/// The eligibility rules in force, seeding the defaults the first time.
pub fn load(db: &Db, now: chrono::DateTime<chrono::Utc>) -> Result<Program, Problem> {
    let s = settings::load(db, RULES, default_config, now)?;
    Ok(Program {
        version: s.version,
        updated_at: s.updated_at,
        updated_by: s.updated_by,
        rules: s.document,
    })
}

pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let program = load(&Db::open()?, ctx.now)?;
    Ok(settings::respond(program.version, &program))
}

/// Rules may not drop a plan type a stored customer has.
const PLAN_TYPES_IN_USE: InUse = InUse {
    sql: "SELECT DISTINCT json_extract(facts, '$.plan_type') FROM customers
          WHERE json_extract(facts, '$.plan_type') NOT IN (SELECT value FROM json_each(?1, '$.plan_types'))
          ORDER BY 1",
    field: "plan_types",
    slug: "plan-type-in-use",
    title: "A plan type the new rules drop is still in use",
    detail: "move those customers to another plan type first",
};

pub fn put(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let config: EligibilityConfig = read_json(ctx.req)?;
    config.validate().map_err(Problem::validation)?;
    let expected = settings::if_match(ctx)?;
    let db = Db::open()?;
    load(&db, ctx.now)?;
    settings::replace(&db, ctx, RULES, &config, expected, &PLAN_TYPES_IN_USE)?;
    get(ctx)
}

/// The tier ladder in force and its version.
#[derive(Serialize)]
pub struct Tiers {
    pub version: i64,
    pub updated_at: String,
    pub updated_by: String,
    pub ladder: TierProgram,
}

/// The tier ladder in force, seeding the defaults the first time.
pub fn load_tiers(db: &Db, now: chrono::DateTime<chrono::Utc>) -> Result<Tiers, Problem> {
    let s = settings::load(db, TIERS, default_tier_program, now)?;
    Ok(Tiers {
        version: s.version,
        updated_at: s.updated_at,
        updated_by: s.updated_by,
        ladder: s.document,
    })
}

pub fn get_tiers(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let tiers = load_tiers(&Db::open()?, ctx.now)?;
    Ok(settings::respond(tiers.version, &tiers))
}

/// A ladder may not drop a tier a member holds.
const TIERS_IN_USE: InUse = InUse {
    sql: "SELECT DISTINCT tier FROM memberships
          WHERE tier NOT IN (SELECT json_extract(value, '$.id') FROM json_each(?1, '$.tiers'))
          ORDER BY 1",
    field: "tiers",
    slug: "tier-in-use",
    title: "A tier the new ladder drops is held by members",
    detail: "keep the tier, or move its members first",
};

pub fn put_tiers(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    let ladder: TierProgram = read_json(ctx.req)?;
    ladder.validate().map_err(Problem::validation)?;
    let expected = settings::if_match(ctx)?;
    let db = Db::open()?;
    load_tiers(&db, ctx.now)?;
    settings::replace(&db, ctx, TIERS, &ladder, expected, &TIERS_IN_USE)?;
    get_tiers(ctx)
}
