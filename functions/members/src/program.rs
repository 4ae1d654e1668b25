//! The programme's configuration documents served by this component: the
//! eligibility rules (`vip_store::customers::RULES`) and the tier ladder.
//! Each is stored as one versioned document (`vip_kit::settings`), seeded
//! with the docs/domain.md defaults on first use and replaced by staff.

use spin_sdk::http::Response;
use vip_kit::{Ctx, Problem};
use vip_store::customers::RULES;
use vip_store::memberships::TIERS;

pub fn get(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    RULES.get(ctx)
}

pub fn put(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    RULES.put(ctx)
}

pub fn get_tiers(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    TIERS.get(ctx)
}

pub fn put_tiers(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    TIERS.put(ctx)
}

pub fn get_sessions(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    vip_store::sessions::POLICY.get(ctx)
}

pub fn put_sessions(ctx: &mut Ctx<'_>) -> Result<Response, Problem> {
    vip_store::sessions::POLICY.put(ctx)
}
