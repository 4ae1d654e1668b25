//! The programme's configuration documents served by this component: the
//! eligibility rules and the tier ladder. Each is stored as one versioned
//! document (`vip_kit::settings`), seeded with the docs/domain.md defaults on first
//! use and replaced by staff.

use spin_sdk::http::Response;
use vip_domain::eligibility::{default_config, EligibilityConfig};
use vip_kit::settings::{Document, InUse, TIERS};
use vip_kit::{Ctx, Problem};

/// The eligibility rules. They may not drop a plan type a stored customer has.
pub const RULES: Document<EligibilityConfig> = Document {
    name: "eligibility",
    key: "rules",
    default: default_config,
    validate: EligibilityConfig::validate,
    in_use: Some(InUse {
        sql: "SELECT DISTINCT json_extract(facts, '$.plan_type') AS value FROM customers
              WHERE json_extract(facts, '$.plan_type') NOT IN (SELECT value FROM json_each(?1, '$.plan_types'))
              ORDER BY 1",
        field: "plan_types",
        slug: "plan-type-in-use",
        title: "A plan type the new rules drop is still in use",
        detail: "move those customers to another plan type first",
    }),
};

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
